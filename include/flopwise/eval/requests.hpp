#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "flopwise/language_model.hpp"

namespace flopwise::eval {

// One request to the model, of any kind.
struct Request {
    RequestKind kind = RequestKind::loglikelihood;
    LoglikelihoodRequest loglikelihood;
    RollingRequest rolling;
    GenerateRequest generation;

    static Request make_loglikelihood(std::string context, std::string continuation);
    static Request make_rolling(std::string text);
    static Request make_generation(std::string context, std::vector<std::string> stop, int32_t max_tokens);
    // Characters the model reads; the runner orders work by it.
    size_t length() const;
};

// The model's answer to one request.
struct Response {
    RequestKind kind = RequestKind::loglikelihood;
    LoglikelihoodResult loglikelihood;
    RollingResult rolling;
    GenerateResult generation;

    const std::optional<std::string>& error() const;
    const ComputeUsage& usage() const;
};

// Everything that determines a request's answer, as canonical JSON (the cache key covers it),
// and back.
nlohmann::ordered_json to_json(const Request& request);
Request request_from_json(const nlohmann::ordered_json& json);
// The cache key: SHA-256 of the model's identity key and the canonical request.
std::string request_key(const std::string& model_key, const Request& request);
// What identifies a model's answers: a hash of its identity without the user's spelling of it
// (the same file opened by two paths answers the same).
std::string model_key(const ModelIdentity& identity);
nlohmann::ordered_json to_json(const ModelIdentity& identity);

// Lossless round trip (doubles keep every bit, an error message included) for the request cache,
// the samples files and answers sent between processes.
nlohmann::ordered_json to_json(const Response& response);
Response response_from_json(RequestKind kind, const nlohmann::ordered_json& json);
nlohmann::ordered_json to_json(const ComputeUsage& usage);
ComputeUsage usage_from_json(const nlohmann::ordered_json& json);

}  // namespace flopwise::eval

#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopwise/compute_usage.hpp"
#include "flopwise/conversation.hpp"
#include "flopwise/engine.hpp"

namespace flopwise {

// Who answered: enough to tell two models apart and to audit a run.
struct ModelIdentity {
    std::string backend;        // "engine", "openai", "openai-chat", "anthropic", "openai-responses"
    std::string spec;           // as given by the user (never contains an API key)
    std::string name;
    std::string file_sha256;    // local models
    std::string architecture;
    std::string quantization;   // e.g. "Q4_K_M" or the dominant tensor type
    int64_t parameters = 0;
    int64_t non_embedding_parameters = 0;
    bool flops_counted = false;  // true: FLOPs are counted by the engine; false: estimated (or unknown)
    nlohmann::json details = nlohmann::json::object();
    // Remote backends: how the model was reached and accounted for (endpoint, the model card the
    // FLOPs estimate comes from, the price applied). None of it changes the answers, so it is
    // reported but not part of the model key: a rerun through another URL reuses the cache.
    nlohmann::json service = nlohmann::json::object();
};

// One request kind each; text in, scores or text out. A result with `error` set failed (after any
// retries) and must be recorded as failed, never scored as wrong.
struct LoglikelihoodRequest {
    std::string context;
    std::string continuation;
};
struct LoglikelihoodResult {
    double logprob = 0.0;
    bool greedy = false;
    std::vector<double> token_logprobs;
    int64_t context_tokens = 0;
    int64_t continuation_tokens = 0;
    ComputeUsage usage;
    std::optional<std::string> error;
};

// Log-likelihood of a whole text (perplexity tasks), every token scored.
struct RollingRequest {
    std::string text;
};
struct RollingResult {
    double logprob = 0.0;
    int64_t tokens = 0;
    ComputeUsage usage;
    std::optional<std::string> error;
};

struct GenerateRequest {
    std::string context;
    // The same prompt as a conversation, for chat APIs; set by the evaluation runner only for a
    // model whose reads_conversation() is true. Its flattened() is `context`, byte for byte.
    std::optional<Conversation> conversation;
    std::vector<std::string> stop;
    int32_t max_tokens = 256;
    SamplingOptions sampling;
};
struct GenerateResult {
    std::string text;
    std::string finish_reason;
    int64_t prompt_tokens = 0;
    int64_t generated_tokens = 0;
    ComputeUsage usage;
    std::optional<std::string> error;
};

enum class RequestKind { loglikelihood, rolling, generation };
std::string to_string(RequestKind kind);

// The contract every backend implements (the local engine, remote APIs). The evaluation runner
// sends batches; a backend may reorder and batch internally but returns results in request order.
class LanguageModel {
public:
    virtual ~LanguageModel() = default;
    virtual const ModelIdentity& identity() const = 0;
    virtual bool supports(RequestKind kind) const = 0;
    virtual std::vector<LoglikelihoodResult> loglikelihood(std::span<const LoglikelihoodRequest> requests) = 0;
    virtual std::vector<RollingResult> loglikelihood_rolling(std::span<const RollingRequest> requests) = 0;
    virtual std::vector<GenerateResult> generate(std::span<const GenerateRequest> requests) = 0;
    // Whether generate() reads GenerateRequest::conversation (chat APIs sending few-shot examples
    // as turns). Every other model gets the flat context alone, and its requests and cache keys
    // are exactly what they were before conversations existed.
    virtual bool reads_conversation() const { return false; }
    // What the backend did to answer, beyond the answers (remote backends: calls, retries by
    // reason, failures); null when there is nothing to report.
    virtual nlohmann::json statistics() const { return nullptr; }
};

}  // namespace flopwise

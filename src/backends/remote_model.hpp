#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "card_flops.hpp"
#include "flopwise/backends.hpp"
#include "flopwise/error.hpp"
#include "flopwise/remote/http_client.hpp"

namespace flopwise {

// A 2xx body that is not what the API promises (not JSON, fields missing or of the wrong type):
// treated like a transient fault and retried.
class MalformedResponse : public Error {
public:
    using Error::Error;
};

// A response body's usage object (a null value when it has none).
const nlohmann::json& usage_of(const nlohmann::json& body);
// A token count the server reported in a usage object (`usage.prompt_tokens`, ...); -1 when it is
// missing or not an integer.
int64_t reported_tokens(const nlohmann::json& usage, const char* field);

// What differs between the APIs, besides the bodies.
struct ApiSettings {
    std::string backend;           // "openai", "openai-chat", "anthropic", "openai-responses"
    std::string public_base_url;   // used when no --base-url is given
    std::string key_variable;      // environment variable holding the key, unless --api-key-env names another
    std::string path;              // appended to the base URL
    // HTTP headers that carry the key and the API version ({} when there is no key).
    std::function<std::vector<std::string>(const std::string& key)> auth_headers;
    bool chat = false;  // takes a conversation of messages (few-shot examples as turns)
};

// The part every remote backend shares: endpoint, key, HTTP client with retries and rate limits,
// identity, and the accounting (tokens as the server reports them, FLOPs estimated from the model
// card). Subclasses write request bodies and read responses. Generation is common to all APIs;
// log-likelihoods only where the API can give prompt log-probabilities.
class RemoteModel : public LanguageModel {
public:
    RemoteModel(const std::string& spec, const std::string& model, const ApiSettings& api, const ModelOptions& options);

    const ModelIdentity& identity() const override { return identity_; }
    bool supports(RequestKind kind) const override { return kind == RequestKind::generation; }
    bool reads_conversation() const override { return reads_conversation_; }
    std::vector<LoglikelihoodResult> loglikelihood(std::span<const LoglikelihoodRequest> requests) override;
    std::vector<RollingResult> loglikelihood_rolling(std::span<const RollingRequest> requests) override;
    std::vector<GenerateResult> generate(std::span<const GenerateRequest> requests) override;
    nlohmann::json statistics() const override;

protected:
    // A generation as the API reports it; token counts of -1 when the server gave none.
    struct Generation {
        std::string text;
        std::string finish_reason;
        int64_t prompt_tokens = -1;
        int64_t output_tokens = -1;    // everything generated, reasoning included
        int64_t reasoning_tokens = 0;  // the hidden part of output_tokens
    };
    virtual nlohmann::json generation_body(const GenerateRequest& request) const = 0;
    virtual Generation parse_generation(const nlohmann::json& body) const = 0;  // MalformedResponse when unusable

    remote::HttpRequest make_request(const nlohmann::json& body, double estimated_tokens) const;
    // Sends the calls; `read` takes each 2xx JSON body (MalformedResponse: retried; any other
    // exception stops the batch) and returns the tokens the server counted (-1: unknown).
    std::vector<remote::HttpOutcome> send(const std::vector<remote::HttpRequest>& requests,
                                          const std::function<double(size_t index, const nlohmann::json& body)>& read);
    // The error recorded for a call that finally failed: names the backend, model and request.
    std::string failure(const remote::HttpOutcome& outcome, size_t index, size_t count, const std::string& what) const;
    ComputeUsage usage(int64_t prompt_tokens, int64_t output_tokens, int64_t reasoning_tokens) const;
    ComputeUsage prompt_only_usage(int64_t prompt_tokens) const;  // every position computed (echoed log-probs)

    // What a chat API is sent for a request: the system message and the turns. With the request's
    // conversation: its system message for --system-prompt and its turns; without: the system
    // prompt and the flat context as one user turn.
    struct ChatMessages {
        std::string system;
        std::vector<ChatTurn> turns;
    };
    ChatMessages chat_messages(const GenerateRequest& request) const;
    // Turns as the APIs' message lists take them: [{"role": ..., "content": ...}, ...].
    static nlohmann::json messages_json(const std::vector<ChatTurn>& turns);

    const std::string model_;
    const std::string system_prompt_;
    const std::string base_url_;
    ModelIdentity identity_;

private:
    bool reads_conversation_ = false;
    std::string url_;
    std::vector<std::string> headers_;
    std::unique_ptr<remote::HttpClient> client_;
    std::optional<CardFlops> flops_;
};

// A result that records a failure and nothing else.
template <typename Result>
Result failed_result(std::string error) {
    Result r;
    r.error = std::move(error);
    return r;
}

// Text cut at the first stop sequence (servers differ in whether and how they apply them).
std::string cut_at_stop(const std::string& text, const std::vector<std::string>& stop);
// Tokens a text may count for against a tokens-per-minute limit before the server has counted them.
double rough_token_count(const std::string& text);
// A short quotation of a request's text for error messages.
std::string quote_start(const std::string& text);

}  // namespace flopwise

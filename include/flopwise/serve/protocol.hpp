#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopwise/error.hpp"
#include "flopwise/serve/chat_template.hpp"
#include "flopwise/tokenizer.hpp"

namespace flopwise::serve {

// A failure answered to the client the way the OpenAI API does: an HTTP status and
// {"error": {"message", "type", "param", "code"}}.
class ApiError : public Error {
public:
    ApiError(int status, std::string type, std::string code, std::string param, const std::string& message)
        : Error(message), status(status), type(std::move(type)), code(std::move(code)), param(std::move(param)) {}
    int status;
    std::string type;
    std::string code;
    std::string param;  // the request field at fault, empty when none
};
// 400 invalid_request_error about `param`.
ApiError invalid_request(const std::string& param, const std::string& message, const std::string& code = "invalid_value");
nlohmann::json error_body(const ApiError& error);

// A prompt as text or as token ids (both forms are accepted by the Completions API).
using Prompt = std::variant<std::string, std::vector<TokenId>>;

// Fields shared by both endpoints.
struct SamplingFields {
    std::string model;
    std::optional<int32_t> max_tokens;  // absent: the endpoint's default
    std::vector<std::string> stop;
    double temperature = 1.0;
    double top_p = 1.0;
    int32_t top_k = 0;       // an extension vLLM and llama.cpp accept too; 0 = no limit
    uint64_t seed = 0;       // absent: 0, so that repeated requests give repeated answers
    bool stream = false;
    bool include_usage = false;  // stream_options.include_usage: a last chunk with usage
};

struct CompletionRequest {
    std::vector<Prompt> prompts;  // one choice each
    SamplingFields fields;
    std::optional<int32_t> logprobs;  // how many top log-probs per token; absent: no log-probs
    bool echo = false;
};

struct ChatRequest {
    std::vector<ChatMessage> messages;
    SamplingFields fields;
    bool logprobs = false;
    int32_t top_logprobs = 0;
};

// Largest values a request may ask for.
inline constexpr int32_t kMaxTopLogprobs = 20;
inline constexpr size_t kMaxStopStrings = 16;
inline constexpr size_t kMaxPrompts = 256;

// Parse and validate a request body; every problem throws ApiError naming the field.
CompletionRequest parse_completion_request(std::string_view body);
ChatRequest parse_chat_request(std::string_view body);

}  // namespace flopwise::serve

// anthropic:MODEL, Anthropic's Messages API (/v1/messages): generation only. The system prompt
// and task description go in the top-level `system` field, few-shot examples as alternating
// user/assistant messages (or with --chat-fewshot flat the whole prompt as one user message).
#include <algorithm>

#include "remote_backends.hpp"
#include "remote_model.hpp"

namespace flopwise {

namespace {

// The API version this adapter speaks (the anthropic-version header), the one the official SDK
// (anthropic 2.12) sends. It has no sampling settings: requests carry none, and the model decodes
// as the API decides.
constexpr const char* kAnthropicVersion = "2026-10-21";

// The key as a bearer token, as the official SDK sends it (the API takes an x-api-key header too).
std::vector<std::string> anthropic_auth(const std::string& key) {
    std::vector<std::string> headers = bearer_auth(key);
    headers.push_back(std::string("anthropic-version: ") + kAnthropicVersion);
    return headers;
}

class AnthropicMessages : public RemoteModel {
public:
    AnthropicMessages(const std::string& spec, const std::string& model, const ModelOptions& options)
        : RemoteModel(spec, model, {"anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY", "/v1/messages", anthropic_auth, true}, options) {}

protected:
    nlohmann::json generation_body(const GenerateRequest& r) const override {
        const ChatMessages chat = chat_messages(r);
        nlohmann::json body = {{"model", model_}, {"max_tokens", r.max_tokens}, {"messages", messages_json(chat.turns)}};
        if (!chat.system.empty()) body["system"] = chat.system;
        // The API refuses stop sequences that are only whitespace ("\n\n"); those are applied to the text afterwards.
        std::vector<std::string> stop;
        for (const auto& s : r.stop)
            if (s.find_first_not_of(" \t\r\n") != std::string::npos) stop.push_back(s);
        if (!stop.empty()) body["stop_sequences"] = stop;
        return body;
    }

    Generation parse_generation(const nlohmann::json& body) const override {
        if (!body.is_object() || !body.contains("content") || !body["content"].is_array()) throw MalformedResponse("no 'content' list in the response");
        Generation g;
        for (const auto& block : body["content"]) {
            if (!block.is_object()) throw MalformedResponse("a content block is not an object");
            // Thinking blocks are not part of the answer.
            if (block.value("type", "") == "text") {
                if (!block.contains("text") || !block["text"].is_string()) throw MalformedResponse("a text block has no text");
                g.text += block["text"].get<std::string>();
            }
        }
        g.finish_reason = body.contains("stop_reason") && body["stop_reason"].is_string() ? body["stop_reason"].get<std::string>() : "";
        const nlohmann::json& usage = usage_of(body);
        g.prompt_tokens = reported_tokens(usage, "input_tokens");
        g.output_tokens = reported_tokens(usage, "output_tokens");
        if (usage.is_object() && usage.contains("output_tokens_details"))
            g.reasoning_tokens = std::max<int64_t>(reported_tokens(usage["output_tokens_details"], "thinking_tokens"), 0);
        return g;
    }
};

}  // namespace

std::unique_ptr<LanguageModel> make_anthropic_model(const std::string& spec, const std::string& model, const ModelOptions& options) {
    return std::make_unique<AnthropicMessages>(spec, model, options);
}

}  // namespace flopwise

// openai-chat:MODEL, the Chat Completions API (/v1/chat/completions): generation only. Few-shot
// examples go as user/assistant messages after the system message (system prompt and task
// description), or with --chat-fewshot flat the whole prompt as one user message.
#include "remote_backends.hpp"
#include "remote_model.hpp"

namespace flopwise {

namespace {

class OpenAIChat : public RemoteModel {
public:
    OpenAIChat(const std::string& spec, const std::string& model, const ModelOptions& options)
        : RemoteModel(spec, model, {"openai-chat", "https://api.openai.com/v1", "OPENAI_API_KEY", "/chat/completions", bearer_auth, true}, options) {}

protected:
    nlohmann::json generation_body(const GenerateRequest& r) const override {
        const ChatMessages chat = chat_messages(r);
        nlohmann::json messages = nlohmann::json::array();
        if (!chat.system.empty()) messages.push_back({{"role", "system"}, {"content", chat.system}});
        for (auto& message : messages_json(chat.turns)) messages.push_back(std::move(message));
        nlohmann::json body = {{"model", model_}, {"messages", messages}};
        add_openai_generation_settings(body, r);
        return body;
    }

    Generation parse_generation(const nlohmann::json& body) const override {
        if (!body.is_object() || !body.contains("choices") || !body["choices"].is_array() || body["choices"].empty())
            throw MalformedResponse("no 'choices' in the response");
        const auto& choice = body["choices"][0];
        if (!choice.is_object() || !choice.contains("message") || !choice["message"].is_object()) throw MalformedResponse("no 'message' in 'choices[0]'");
        const auto& content = choice["message"].contains("content") ? choice["message"]["content"] : nlohmann::json();
        if (!content.is_string() && !content.is_null()) throw MalformedResponse("'message.content' is neither text nor null");
        Generation g;
        g.text = content.is_string() ? content.get<std::string>() : "";
        g.finish_reason = choice.contains("finish_reason") && choice["finish_reason"].is_string() ? choice["finish_reason"].get<std::string>() : "";
        const nlohmann::json& usage = usage_of(body);
        g.prompt_tokens = reported_tokens(usage, "prompt_tokens");
        g.output_tokens = reported_tokens(usage, "completion_tokens");
        if (usage.is_object() && usage.contains("completion_tokens_details"))
            g.reasoning_tokens = std::max<int64_t>(reported_tokens(usage["completion_tokens_details"], "reasoning_tokens"), 0);
        return g;
    }
};

}  // namespace

std::unique_ptr<LanguageModel> make_openai_chat_model(const std::string& spec, const std::string& model, const ModelOptions& options) {
    return std::make_unique<OpenAIChat>(spec, model, options);
}

}  // namespace flopwise

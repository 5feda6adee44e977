// openai-responses:MODEL, the Responses API (/v1/responses) that reasoning models are served
// through: generation only. Reasoning tokens are hidden; the server counts them inside the output
// tokens, and they are reported apart from the visible output (usage, cost and compute estimate).
#include "remote_backends.hpp"
#include "remote_model.hpp"

namespace flopwise {

namespace {

class OpenAIResponses : public RemoteModel {
public:
    OpenAIResponses(const std::string& spec, const std::string& model, const ModelOptions& options)
        : RemoteModel(spec, model, {"openai-responses", "https://api.openai.com/v1", "OPENAI_API_KEY", "/responses", bearer_auth, true}, options) {}

protected:
    // The system message goes in `instructions`; one user turn as the input text, several (few-shot
    // examples as turns) as a list of messages. Reasoning models refuse sampling settings, so they
    // are sent only when a task asks to sample. The API has no stop sequences; they are applied to
    // the text afterwards.
    nlohmann::json generation_body(const GenerateRequest& r) const override {
        const ChatMessages chat = chat_messages(r);
        const nlohmann::json input = chat.turns.size() == 1 ? nlohmann::json(chat.turns.front().content) : messages_json(chat.turns);
        nlohmann::json body = {{"model", model_}, {"input", input}, {"max_output_tokens", r.max_tokens}, {"store", false}};
        if (!chat.system.empty()) body["instructions"] = chat.system;
        if (r.sampling.temperature > 0) body["temperature"] = r.sampling.temperature;
        if (r.sampling.top_p < 1.0) body["top_p"] = r.sampling.top_p;
        return body;
    }

    Generation parse_generation(const nlohmann::json& body) const override {
        if (!body.is_object() || !body.contains("output") || !body["output"].is_array()) throw MalformedResponse("no 'output' list in the response");
        Generation g;
        for (const auto& item : body["output"]) {
            if (!item.is_object()) throw MalformedResponse("an output item is not an object");
            if (item.value("type", "") != "message") continue;  // reasoning summaries and tool calls are not the answer
            if (!item.contains("content") || !item["content"].is_array()) throw MalformedResponse("a message item has no content list");
            for (const auto& part : item["content"])
                if (part.is_object() && part.value("type", "") == "output_text") {
                    if (!part.contains("text") || !part["text"].is_string()) throw MalformedResponse("an output_text part has no text");
                    g.text += part["text"].get<std::string>();
                }
        }
        const std::string status = body.contains("status") && body["status"].is_string() ? body["status"].get<std::string>() : "";
        g.finish_reason = status == "completed" ? "stop" : status;
        if (status == "incomplete" && body.contains("incomplete_details") && body["incomplete_details"].is_object() &&
            body["incomplete_details"].contains("reason") && body["incomplete_details"]["reason"].is_string()) {
            const std::string reason = body["incomplete_details"]["reason"].get<std::string>();
            g.finish_reason = reason == "max_output_tokens" ? "length" : "incomplete: " + reason;
        }
        const nlohmann::json& usage = usage_of(body);
        g.prompt_tokens = reported_tokens(usage, "input_tokens");
        g.output_tokens = reported_tokens(usage, "output_tokens");
        if (usage.is_object() && usage.contains("output_tokens_details"))
            g.reasoning_tokens = std::max<int64_t>(reported_tokens(usage["output_tokens_details"], "reasoning_tokens"), 0);
        return g;
    }
};

}  // namespace

std::unique_ptr<LanguageModel> make_openai_responses_model(const std::string& spec, const std::string& model, const ModelOptions& options) {
    return std::make_unique<OpenAIResponses>(spec, model, options);
}

}  // namespace flopwise

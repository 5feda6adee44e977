// anthropic:MODEL, Anthropic's Messages API (/v1/messages): generation only.
#include <algorithm>

#include "remote_backends.hpp"
#include "remote_model.hpp"

namespace flopwise {

namespace {

// The API version this adapter speaks (sent in the anthropic-version header).
constexpr const char* kAnthropicVersion = "2023-06-01";

std::vector<std::string> anthropic_auth(const std::string& key) { return {"x-api-key: " + key, std::string("anthropic-version: ") + kAnthropicVersion}; }

int64_t usage_field(const nlohmann::json& usage, const char* field) {
    return usage.is_object() && usage.contains(field) && usage[field].is_number_integer() ? usage[field].get<int64_t>() : -1;
}

class AnthropicMessages : public RemoteModel {
public:
    AnthropicMessages(const std::string& spec, const std::string& model, const ModelOptions& options)
        : RemoteModel(spec, model, {"anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY", "/v1/messages", anthropic_auth}, options) {}

protected:
    nlohmann::json generation_body(const GenerateRequest& r) const override {
        nlohmann::json body = {{"model", model_},
                               {"max_tokens", r.max_tokens},
                               {"messages", nlohmann::json::array({{{"role", "user"}, {"content", r.context}}})},
                               {"temperature", std::min(r.sampling.temperature, 1.0)}};
        if (!system_prompt_.empty()) body["system"] = system_prompt_;
        if (r.sampling.top_p < 1.0) body["top_p"] = r.sampling.top_p;
        if (r.sampling.top_k > 0) body["top_k"] = r.sampling.top_k;
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
        const auto& usage = body.contains("usage") ? body["usage"] : nlohmann::json();
        g.prompt_tokens = usage_field(usage, "input_tokens");
        g.output_tokens = usage_field(usage, "output_tokens");
        return g;
    }
};

}  // namespace

std::unique_ptr<LanguageModel> make_anthropic_model(const std::string& spec, const std::string& model, const ModelOptions& options) {
    return std::make_unique<AnthropicMessages>(spec, model, options);
}

}  // namespace flopwise

#pragma once
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopwise/engine.hpp"
#include "flopwise/serve/chat_template.hpp"
#include "flopwise/serve/protocol.hpp"
#include "flopwise/serve/scheduler.hpp"

namespace flopwise::serve {

using ordered_json = nlohmann::ordered_json;

// Sends one server-sent event; false when the client has gone away.
using ChunkSink = std::function<bool(const ordered_json& chunk)>;
// Whether the client can still be written to (checked while nothing is ready to send).
using ClientAlive = std::function<bool()>;

// One prompt ready for the engine: its tokens, validated against the context length.
struct PreparedPrompt {
    std::string text;  // what the prompt reads as (echoed back)
    GenerationRequest generation;
    bool score_prompt = false;  // echo with logprobs: the prompt tokens' own log-probs
    int32_t top_logprobs = 0;
};

// The OpenAI API's meaning on top of the scheduler: turns parsed requests into engine requests
// and results into response bodies and stream chunks. Validation that needs the model (model
// name, token ids, context length, chat template) happens in prepare_*, before any response starts.
class OpenAiApi {
public:
    OpenAiApi(Engine& engine, Scheduler& scheduler, std::string model_name, std::optional<ChatTemplate> chat_template,
              std::string no_template_reason);

    const std::string& model_name() const { return model_name_; }
    // "chat template NAME", or why chat requests are refused.
    std::string chat_template_summary() const {
        return chat_template_ ? "chat template " + chat_template_->name() : "chat unavailable: " + no_template_reason_;
    }
    ordered_json models() const;

    std::vector<PreparedPrompt> prepare_completion(const CompletionRequest& request) const;
    ordered_json complete(const CompletionRequest& request, const std::vector<PreparedPrompt>& prompts);
    void stream_completion(const CompletionRequest& request, const std::vector<PreparedPrompt>& prompts, const ChunkSink& send,
                           const ClientAlive& alive);

    PreparedPrompt prepare_chat(const ChatRequest& request) const;
    ordered_json chat(const ChatRequest& request, const PreparedPrompt& prompt);
    void stream_chat(const ChatRequest& request, const PreparedPrompt& prompt, const ChunkSink& send, const ClientAlive& alive);

private:
    struct StreamShape;
    void check_model(const std::string& model) const;
    void check_context(size_t prompt_tokens, int32_t max_tokens, const std::string& param) const;
    GenerationRequest generation_request(const SamplingFields& fields, std::vector<TokenId> prompt, int32_t max_tokens) const;
    std::string next_id(const char* prefix);
    std::string piece(TokenId id) const { return engine_.tokenizer().token_to_piece(id); }
    ordered_json completion_logprobs(const PreparedPrompt& prompt, const std::optional<ScoreResult>& scored,
                                     const GenerationResult& generated, bool echo) const;
    ordered_json chat_logprobs(const GenerationResult& generated) const;
    void stream(const std::vector<PreparedPrompt>& prompts, bool include_usage, const StreamShape& shape, const ChunkSink& send,
                const ClientAlive& alive);

    Engine& engine_;
    Scheduler& scheduler_;
    std::string model_name_;
    std::optional<ChatTemplate> chat_template_;
    std::string no_template_reason_;
    int64_t created_;
    std::atomic<uint64_t> next_id_{0};
};

// The OpenAI API's finish reason for the engine's ("eos" and "stop" are both "stop").
std::string openai_finish_reason(const std::string& engine_reason);

}  // namespace flopwise::serve

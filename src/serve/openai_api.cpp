#include "openai_api.hpp"

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <future>
#include <memory>
#include <mutex>

#include "flopwise/serve/text_stream.hpp"

namespace flopwise::serve {
namespace {

constexpr int32_t kDefaultCompletionTokens = 16;  // the Completions API's default max_tokens

int64_t now() { return static_cast<int64_t>(std::time(nullptr)); }

ordered_json usage_json(int64_t prompt_tokens, int64_t completion_tokens) {
    return {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens}, {"total_tokens", prompt_tokens + completion_tokens}};
}

ordered_json bytes_of(const std::string& text) {
    ordered_json out = ordered_json::array();
    for (unsigned char c : text) out.push_back(c);
    return out;
}

// What a streamed generation reports to the thread writing the response.
struct StreamEvent {
    size_t index = 0;
    std::string text;
    std::string finish_reason;  // empty while the generation goes on
    int64_t completion_tokens = 0;
};

// Hands stream events from the scheduler's worker to the HTTP thread. Shared by both, so that a
// client going away (the HTTP thread returns) leaves the worker nothing dangling.
class StreamChannel {
public:
    explicit StreamChannel(const std::vector<PreparedPrompt>& prompts) {
        for (const auto& p : prompts) texts_.emplace_back(p.generation.stop);
    }
    // On the worker thread: the progress of generation `index`; false cancels it.
    bool progress(size_t index, const GenerationResult& p) {
        StreamEvent event{index, {}, p.finish_reason, static_cast<int64_t>(p.tokens.size())};
        event.text = p.finish_reason.empty() ? texts_[index].advance(p.text) : texts_[index].finish(p.text);
        if (!event.text.empty() || !event.finish_reason.empty()) {
            std::lock_guard lock(mutex_);
            events_.push_back(std::move(event));
        }
        ready_.notify_one();
        return !cancelled_;
    }
    std::optional<StreamEvent> next(std::chrono::milliseconds wait) {
        std::unique_lock lock(mutex_);
        if (!ready_.wait_for(lock, wait, [this] { return !events_.empty(); })) return std::nullopt;
        StreamEvent event = std::move(events_.front());
        events_.pop_front();
        return event;
    }
    void cancel() { cancelled_ = true; }

private:
    std::vector<TextStream> texts_;  // touched by the worker only
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<StreamEvent> events_;
    std::atomic<bool> cancelled_{false};
};

}  // namespace

std::string openai_finish_reason(const std::string& engine_reason) {
    if (engine_reason == "eos" || engine_reason == "stop") return "stop";
    if (engine_reason == "context") return "length";
    return engine_reason;
}

struct OpenAiApi::StreamShape {
    std::function<ordered_json(size_t index, const std::string& text, const std::string& finish_reason)> chunk;
    std::function<ordered_json(const ordered_json& usage)> usage_chunk;
};

OpenAiApi::OpenAiApi(Engine& engine, Scheduler& scheduler, std::string model_name, std::optional<ChatTemplate> chat_template,
                     std::string no_template_reason)
    : engine_(engine),
      scheduler_(scheduler),
      model_name_(std::move(model_name)),
      chat_template_(std::move(chat_template)),
      no_template_reason_(std::move(no_template_reason)),
      created_(now()) {}

ordered_json OpenAiApi::models() const {
    return {{"object", "list"},
            {"data", ordered_json::array({{{"id", model_name_},
                                           {"object", "model"},
                                           {"created", created_},
                                           {"owned_by", "flopwise"},
                                           {"max_model_len", engine_.max_context()}}})}};
}

std::string OpenAiApi::next_id(const char* prefix) { return prefix + std::to_string(++next_id_); }

void OpenAiApi::check_model(const std::string& model) const {
    if (model != model_name_)
        throw ApiError(404, "invalid_request_error", "model_not_found", "model",
                       "the model '" + model + "' does not exist; this server serves '" + model_name_ + "'");
}

void OpenAiApi::check_context(size_t prompt_tokens, int32_t max_tokens, const std::string& param) const {
    const int64_t limit = engine_.max_context();
    const int64_t prompt = static_cast<int64_t>(prompt_tokens);
    if (prompt > limit)
        throw invalid_request(param, "the prompt has " + std::to_string(prompt) + " tokens, more than the model's context length of " +
                                         std::to_string(limit) + " tokens", "context_length_exceeded");
    if (prompt + max_tokens > limit)
        throw invalid_request("max_tokens", "the model's context length is " + std::to_string(limit) + " tokens, but the prompt has " +
                                                std::to_string(prompt) + " and max_tokens asks for " + std::to_string(max_tokens) + " more",
                              "context_length_exceeded");
}

GenerationRequest OpenAiApi::generation_request(const SamplingFields& fields, std::vector<TokenId> prompt, int32_t max_tokens) const {
    GenerationRequest g;
    g.prompt = std::move(prompt);
    g.max_tokens = max_tokens;
    g.stop = fields.stop;
    g.sampling.temperature = fields.temperature;
    g.sampling.top_p = fields.top_p;
    g.sampling.top_k = fields.top_k;
    g.sampling.seed = fields.seed;
    return g;
}

std::vector<PreparedPrompt> OpenAiApi::prepare_completion(const CompletionRequest& request) const {
    check_model(request.fields.model);
    const Tokenizer& tokenizer = engine_.tokenizer();
    const int32_t max_tokens = request.fields.max_tokens.value_or(kDefaultCompletionTokens);
    std::vector<PreparedPrompt> out;
    for (size_t i = 0; i < request.prompts.size(); ++i) {
        const std::string field = request.prompts.size() == 1 ? "prompt" : "prompt[" + std::to_string(i) + "]";
        PreparedPrompt p;
        std::vector<TokenId> tokens;
        if (const auto* text = std::get_if<std::string>(&request.prompts[i])) {
            p.text = *text;
            tokens = tokenizer.encode(*text);
        } else {
            tokens = std::get<std::vector<TokenId>>(request.prompts[i]);
            for (TokenId id : tokens)
                if (id >= tokenizer.vocab_size())
                    throw invalid_request(field, "token id " + std::to_string(id) + " in '" + field + "' is outside the vocabulary of " +
                                                     std::to_string(tokenizer.vocab_size()) + " tokens");
            p.text = tokenizer.decode(tokens);
        }
        if (tokens.empty()) throw invalid_request(field, "'" + field + "' is empty and this model adds no BOS token to start from");
        check_context(tokens.size(), max_tokens, field);
        p.generation = generation_request(request.fields, std::move(tokens), max_tokens);
        if (request.logprobs) {
            p.generation.logprobs = true;
            p.generation.top_logprobs = *request.logprobs;
            p.top_logprobs = *request.logprobs;
            p.score_prompt = request.echo && p.generation.prompt.size() > 1;
        }
        out.push_back(std::move(p));
    }
    return out;
}

ordered_json OpenAiApi::completion_logprobs(const PreparedPrompt& prompt, const std::optional<ScoreResult>& scored,
                                            const GenerationResult& generated, bool echo) const {
    ordered_json tokens = ordered_json::array(), token_logprobs = ordered_json::array(), top_logprobs = ordered_json::array(),
                 text_offset = ordered_json::array();
    size_t offset = 0;
    auto top_object = [&](const TopLogprobs& top) {
        ordered_json object = ordered_json::object();
        for (const auto& t : top) {
            const std::string key = piece(t.token);
            if (!object.contains(key)) object[key] = t.logprob;  // tokens with the same text: the likelier one
        }
        return object;
    };
    auto add = [&](TokenId id, ordered_json logprob, ordered_json top) {
        const std::string text = piece(id);
        tokens.push_back(text);
        token_logprobs.push_back(std::move(logprob));
        top_logprobs.push_back(std::move(top));
        text_offset.push_back(offset);
        offset += text.size();
    };
    if (echo) {
        const auto& ids = prompt.generation.prompt;
        for (size_t i = 0; i < ids.size(); ++i) {
            if (i == 0 || !scored) add(ids[i], nullptr, nullptr);
            else add(ids[i], scored->token_logprobs[i - 1],
                     prompt.top_logprobs > 0 ? top_object(scored->top_logprobs[i - 1]) : ordered_json::object());
        }
        offset = prompt.text.size();  // generated tokens follow the echoed prompt text
    }
    for (size_t i = 0; i < generated.tokens.size(); ++i)
        add(generated.tokens[i], generated.token_logprobs[i],
            prompt.top_logprobs > 0 ? top_object(generated.top_logprobs[i]) : ordered_json::object());
    return {{"tokens", tokens}, {"token_logprobs", token_logprobs}, {"top_logprobs", top_logprobs}, {"text_offset", text_offset}};
}

ordered_json OpenAiApi::complete(const CompletionRequest& request, const std::vector<PreparedPrompt>& prompts) {
    std::vector<std::optional<std::future<ScoreResult>>> scores;
    std::vector<std::future<GenerationResult>> generations;
    for (const auto& p : prompts) {
        if (p.score_prompt) {
            ScoreRequest s;
            s.context = {p.generation.prompt.front()};
            s.continuation.assign(p.generation.prompt.begin() + 1, p.generation.prompt.end());
            s.top_logprobs = p.top_logprobs;
            scores.emplace_back(scheduler_.score(std::move(s)));
        } else {
            scores.emplace_back();
        }
        generations.push_back(scheduler_.generate(p.generation));
    }
    ordered_json choices = ordered_json::array();
    int64_t prompt_tokens = 0, completion_tokens = 0;
    for (size_t i = 0; i < prompts.size(); ++i) {
        std::optional<ScoreResult> scored;
        if (scores[i]) scored = scores[i]->get();
        const GenerationResult generated = generations[i].get();
        prompt_tokens += static_cast<int64_t>(prompts[i].generation.prompt.size());
        completion_tokens += static_cast<int64_t>(generated.tokens.size());
        choices.push_back({{"index", i},
                           {"text", (request.echo ? prompts[i].text : std::string()) + generated.text},
                           {"logprobs", request.logprobs ? completion_logprobs(prompts[i], scored, generated, request.echo) : ordered_json()},
                           {"finish_reason", openai_finish_reason(generated.finish_reason)}});
    }
    return {{"id", next_id("cmpl-")},
            {"object", "text_completion"},
            {"created", now()},
            {"model", model_name_},
            {"choices", choices},
            {"usage", usage_json(prompt_tokens, completion_tokens)}};
}

void OpenAiApi::stream(const std::vector<PreparedPrompt>& prompts, bool include_usage, const StreamShape& shape, const ChunkSink& send,
                       const ClientAlive& alive) {
    auto channel = std::make_shared<StreamChannel>(prompts);
    std::vector<std::future<GenerationResult>> results;
    for (size_t i = 0; i < prompts.size(); ++i)
        results.push_back(scheduler_.generate(prompts[i].generation,
                                              [channel, i](const GenerationResult& p) { return channel->progress(i, p); }));
    int64_t prompt_tokens = 0, completion_tokens = 0;
    for (const auto& p : prompts) prompt_tokens += static_cast<int64_t>(p.generation.prompt.size());
    size_t finished = 0;
    while (finished < prompts.size()) {
        auto event = channel->next(std::chrono::milliseconds(200));
        if (!event) {
            if (!alive()) {
                channel->cancel();
                return;
            }
            // A generation that failed never reports its end; its future holds the exception.
            for (auto& r : results)
                if (r.valid() && r.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
                    try {
                        r.get();
                    } catch (...) {
                        channel->cancel();
                        throw;
                    }
                }
            continue;
        }
        if (!event->finish_reason.empty()) {
            ++finished;
            completion_tokens += event->completion_tokens;
        }
        if (!send(shape.chunk(event->index, event->text, event->finish_reason))) {
            channel->cancel();
            return;
        }
    }
    if (include_usage) send(shape.usage_chunk(usage_json(prompt_tokens, completion_tokens)));
}

void OpenAiApi::stream_completion(const CompletionRequest& request, const std::vector<PreparedPrompt>& prompts, const ChunkSink& send,
                                  const ClientAlive& alive) {
    const std::string id = next_id("cmpl-");
    const int64_t created = now();
    auto base = [&] { return ordered_json{{"id", id}, {"object", "text_completion"}, {"created", created}, {"model", model_name_}}; };
    StreamShape shape;
    shape.chunk = [&](size_t index, const std::string& text, const std::string& finish_reason) {
        ordered_json chunk = base();
        chunk["choices"] = ordered_json::array({{{"index", index},
                                                 {"text", text},
                                                 {"logprobs", nullptr},
                                                 {"finish_reason", finish_reason.empty() ? ordered_json() : ordered_json(openai_finish_reason(finish_reason))}}});
        return chunk;
    };
    shape.usage_chunk = [&](const ordered_json& usage) {
        ordered_json chunk = base();
        chunk["choices"] = ordered_json::array();
        chunk["usage"] = usage;
        return chunk;
    };
    stream(prompts, request.fields.include_usage, shape, send, alive);
}

PreparedPrompt OpenAiApi::prepare_chat(const ChatRequest& request) const {
    check_model(request.fields.model);
    if (!chat_template_) throw ApiError(400, "invalid_request_error", "chat_template_unavailable", "messages", no_template_reason_);
    std::string text;
    try {
        text = chat_template_->render(request.messages);
    } catch (const Error& e) {
        throw invalid_request("messages", e.what());
    }
    EncodeOptions options;
    options.add_bos = false;  // the template writes BOS itself where the model wants one
    options.parse_special = true;
    std::vector<TokenId> tokens = engine_.tokenizer().encode(text, options);
    const int64_t room = int64_t{engine_.max_context()} - static_cast<int64_t>(tokens.size());
    const int32_t max_tokens = request.fields.max_tokens.value_or(static_cast<int32_t>(std::max<int64_t>(room, 1)));
    check_context(tokens.size(), max_tokens, "messages");
    PreparedPrompt p;
    p.text = std::move(text);
    p.generation = generation_request(request.fields, std::move(tokens), max_tokens);
    p.generation.logprobs = request.logprobs;
    p.generation.top_logprobs = request.top_logprobs;
    p.top_logprobs = request.top_logprobs;
    return p;
}

ordered_json OpenAiApi::chat_logprobs(const GenerationResult& generated) const {
    ordered_json content = ordered_json::array();
    for (size_t i = 0; i < generated.tokens.size(); ++i) {
        const std::string text = piece(generated.tokens[i]);
        ordered_json top = ordered_json::array();
        if (!generated.top_logprobs.empty())
            for (const auto& t : generated.top_logprobs[i]) {
                const std::string alternative = piece(t.token);
                top.push_back({{"token", alternative}, {"logprob", t.logprob}, {"bytes", bytes_of(alternative)}});
            }
        content.push_back({{"token", text}, {"logprob", generated.token_logprobs[i]}, {"bytes", bytes_of(text)}, {"top_logprobs", top}});
    }
    return {{"content", content}};
}

ordered_json OpenAiApi::chat(const ChatRequest& request, const PreparedPrompt& prompt) {
    const GenerationResult generated = scheduler_.generate(prompt.generation).get();
    ordered_json choice = {{"index", 0},
                           {"message", {{"role", "assistant"}, {"content", generated.text}}},
                           {"logprobs", request.logprobs ? chat_logprobs(generated) : ordered_json()},
                           {"finish_reason", openai_finish_reason(generated.finish_reason)}};
    return {{"id", next_id("chatcmpl-")},
            {"object", "chat.completion"},
            {"created", now()},
            {"model", model_name_},
            {"choices", ordered_json::array({choice})},
            {"usage", usage_json(static_cast<int64_t>(prompt.generation.prompt.size()), static_cast<int64_t>(generated.tokens.size()))}};
}

void OpenAiApi::stream_chat(const ChatRequest& request, const PreparedPrompt& prompt, const ChunkSink& send, const ClientAlive& alive) {
    const std::string id = next_id("chatcmpl-");
    const int64_t created = now();
    auto base = [&] { return ordered_json{{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model_name_}}; };
    auto choice_chunk = [&](ordered_json delta, const std::string& finish_reason) {
        ordered_json chunk = base();
        chunk["choices"] = ordered_json::array({{{"index", 0},
                                                 {"delta", std::move(delta)},
                                                 {"logprobs", nullptr},
                                                 {"finish_reason", finish_reason.empty() ? ordered_json() : ordered_json(openai_finish_reason(finish_reason))}}});
        return chunk;
    };
    if (!send(choice_chunk({{"role", "assistant"}, {"content", ""}}, ""))) return;
    StreamShape shape;
    shape.chunk = [&](size_t, const std::string& text, const std::string& finish_reason) {
        return choice_chunk(text.empty() ? ordered_json::object() : ordered_json{{"content", text}}, finish_reason);
    };
    shape.usage_chunk = [&](const ordered_json& usage) {
        ordered_json chunk = base();
        chunk["choices"] = ordered_json::array();
        chunk["usage"] = usage;
        return chunk;
    };
    stream({prompt}, request.fields.include_usage, shape, send, alive);
}

}  // namespace flopwise::serve

#include <chrono>
#include <deque>
#include <memory>

#include "engine_impl.hpp"
#include "flopwise/error.hpp"
#include "sampler.hpp"

namespace flopwise {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Earliest position in `text` where any stop string occurs, or npos.
size_t find_stop(const std::string& text, const std::vector<std::string>& stops) {
    size_t best = std::string::npos;
    for (const auto& stop : stops) {
        if (stop.empty()) continue;
        best = std::min(best, text.find(stop));
    }
    return best;
}

void validate(const GenerationRequest& request, size_t index) {
    const std::string what = "generation request " + std::to_string(index);
    if (request.prompt.empty()) throw Error(what + ": the prompt is empty (it needs at least a BOS token)");
    if (request.max_tokens < 0) throw Error(what + ": max_tokens must be >= 0, got " + std::to_string(request.max_tokens));
    if (request.top_logprobs < 0) throw Error(what + ": top_logprobs must be >= 0, got " + std::to_string(request.top_logprobs));
}

// One request being decoded: its sampler, keys and values, and the distribution for its next token.
struct Decoding {
    Decoding(size_t index, const GenerationRequest& request, const ModelConfig& config)
        : index(index), request(request), sampler(request.sampling), sequence(config) {}
    bool keep_logits() const { return request.sampling.temperature > 0.0 || request.logprobs; }

    size_t index;
    const GenerationRequest& request;
    engine::Sampler sampler;
    engine::KvSequence sequence;
    std::optional<engine::LogitResult> next;
    TokenId input = 0;  // the token fed in the coming step
};

}  // namespace

GenerationResult Engine::generate(const GenerationRequest& request, ComputeUsage* usage) {
    return std::move(generate(std::span<const GenerationRequest>(&request, 1), {}, usage).front());
}

std::vector<GenerationResult> Engine::generate(std::span<const GenerationRequest> requests, const GenerationObserver& observer,
                                               ComputeUsage* usage, const GenerationSource& more) {
    Impl& m = *impl_;
    for (size_t i = 0; i < requests.size(); ++i) validate(requests[i], i);
    std::vector<GenerationResult> out;
    std::deque<GenerationRequest> joined;  // requests from `more`, kept at stable addresses
    std::vector<Clock::time_point> decode_start;  // per request: when its prompt was done
    auto finish = [&](size_t index, const char* reason) {
        out[index].finish_reason = reason;
        out[index].decode_seconds = seconds_since(decode_start[index]);
        if (observer) observer(index, out[index]);
    };

    std::vector<std::unique_ptr<Decoding>> active;
    // Requests starting together have their prompts packed into shared steps.
    auto start = [&](std::span<const GenerationRequest* const> starting) {
        const size_t first = active.size();
        for (const GenerationRequest* request : starting) {
            const size_t index = out.size();
            validate(*request, index);
            out.emplace_back();
            decode_start.push_back(Clock::now());
            if (request->max_tokens == 0) finish(index, "length");
            else active.push_back(std::make_unique<Decoding>(index, *request, m.config));
        }
        std::vector<engine::KvSequence*> sequences;
        std::vector<std::span<const TokenId>> prompts;
        std::vector<engine::LogitQuery> last_rows;
        for (size_t i = first; i < active.size(); ++i) {
            sequences.push_back(&active[i]->sequence);
            prompts.emplace_back(active[i]->request.prompt);
            last_rows.push_back({0, {}, active[i]->keep_logits(), active[i]->request.top_logprobs});
        }
        const auto prefill_start = Clock::now();
        auto logits = m.prefill_together(sequences, prompts, last_rows, usage);
        for (size_t i = first; i < active.size(); ++i) active[i]->next = std::move(logits[i - first]);
        const auto prefill_end = Clock::now();
        for (size_t i = first; i < active.size(); ++i) {
            out[active[i]->index].prefill_seconds = std::chrono::duration<double>(prefill_end - prefill_start).count();
            decode_start[active[i]->index] = prefill_end;
        }
    };
    std::vector<const GenerationRequest*> initial;
    for (const auto& request : requests) initial.push_back(&request);
    start(initial);

    while (true) {
        if (more) {
            std::vector<const GenerationRequest*> starting;
            for (auto& request : more(active.size())) {
                joined.push_back(std::move(request));
                starting.push_back(&joined.back());
            }
            start(starting);
        }
        if (active.empty()) break;

        // Each request takes its next token; those that go on feed it in the next step together.
        std::vector<std::unique_ptr<Decoding>> going_on;
        for (auto& d : active) {
            const GenerationRequest& request = d->request;
            GenerationResult& result = out[d->index];
            const engine::LogitResult& next = *d->next;
            const TokenId token = d->sampler.sample(next.logits, next.argmax);
            if (!request.ignore_eos && m.tokenizer->is_end_of_generation(token)) {
                finish(d->index, "eos");
                continue;
            }
            result.tokens.push_back(token);
            if (request.logprobs)
                result.token_logprobs.push_back(static_cast<double>(next.logits[static_cast<size_t>(token)]) - next.log_sum_exp);
            if (request.top_logprobs > 0) result.top_logprobs.push_back(next.top);
            if (usage) ++usage->generated_tokens;
            result.text += m.tokenizer->token_to_piece(token);
            if (const size_t stop = find_stop(result.text, request.stop); stop != std::string::npos) {
                result.text.resize(stop);
                finish(d->index, "stop");
            } else if (static_cast<int32_t>(result.tokens.size()) >= request.max_tokens) {
                finish(d->index, "length");
            } else if (d->sequence.length() + 1 > m.max_context) {
                finish(d->index, "context");
            } else if (observer && !observer(d->index, result)) {
                result.finish_reason = "cancelled";
            } else {
                d->input = token;
                going_on.push_back(std::move(d));
            }
        }
        active = std::move(going_on);
        if (active.empty()) continue;

        std::vector<engine::BatchSegment> segments;
        std::vector<engine::LogitQuery> queries;
        for (const auto& d : active) {
            segments.push_back({&d->sequence, std::span<const TokenId>(&d->input, 1)});
            queries.push_back({static_cast<int64_t>(queries.size()), {}, d->keep_logits(), d->request.top_logprobs});
        }
        ComputeUsage step_usage;
        auto logits = m.step(segments, queries, &step_usage);
        if (usage) {
            usage->flops += step_usage.flops;  // generated tokens are counted apart from prompt tokens
            usage->generation_flops += step_usage.flops;
        }
        for (size_t j = 0; j < active.size(); ++j) active[j]->next = std::move(logits[j]);
    }
    return out;
}

}  // namespace flopwise

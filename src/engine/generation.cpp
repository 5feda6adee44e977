#include <chrono>

#include "engine_impl.hpp"
#include "flopwise/error.hpp"
#include "sampler.hpp"

namespace flopwise {
namespace {

// Earliest position in `text` where any stop string occurs, or npos.
size_t find_stop(const std::string& text, const std::vector<std::string>& stops) {
    size_t best = std::string::npos;
    for (const auto& stop : stops) {
        if (stop.empty()) continue;
        best = std::min(best, text.find(stop));
    }
    return best;
}

}  // namespace

GenerationResult Engine::generate(const GenerationRequest& request, ComputeUsage* usage) {
    Impl& m = *impl_;
    if (request.prompt.empty()) throw Error("generation request: the prompt is empty (it needs at least a BOS token)");
    if (request.max_tokens < 0) throw Error("generation request: max_tokens must be >= 0, got " + std::to_string(request.max_tokens));
    engine::Sampler sampler(request.sampling);
    GenerationResult out;
    out.finish_reason = "length";
    if (request.max_tokens == 0) return out;

    using Clock = std::chrono::steady_clock;
    const auto seconds_since = [](Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); };
    engine::KvSequence sequence(m.config);
    const auto prefill_start = Clock::now();
    const bool sampling = request.sampling.temperature > 0.0;
    std::optional<engine::LogitResult> next = m.prefill(sequence, request.prompt, {}, sampling, usage);
    out.prefill_seconds = seconds_since(prefill_start);
    const auto decode_start = Clock::now();
    while (true) {
        const TokenId token = sampler.sample(next->logits, next->argmax);
        if (!request.ignore_eos && m.tokenizer->is_end_of_generation(token)) {
            out.finish_reason = "eos";
            break;
        }
        out.tokens.push_back(token);
        if (usage) ++usage->generated_tokens;
        out.text += m.tokenizer->token_to_piece(token);
        if (const size_t stop = find_stop(out.text, request.stop); stop != std::string::npos) {
            out.text.resize(stop);
            out.finish_reason = "stop";
            break;
        }
        if (static_cast<int32_t>(out.tokens.size()) >= request.max_tokens) break;
        if (sequence.length() + 1 > m.max_context) {
            out.finish_reason = "context";
            break;
        }
        const TokenId input[1] = {token};
        engine::BatchSegment segment{&sequence, std::span<const TokenId>(input, 1)};
        engine::LogitQuery query{0, {}, sampling};
        ComputeUsage step_usage;
        next = std::move(m.step({&segment, 1}, {&query, 1}, &step_usage).front());
        if (usage) {
            usage->flops += step_usage.flops;  // generated tokens are counted apart from prompt tokens
            usage->generation_flops += step_usage.flops;
        }
    }
    out.decode_seconds = seconds_since(decode_start);
    return out;
}

}  // namespace flopwise

#include "flopwise/perplexity.hpp"

#include <cmath>

#include "flopwise/error.hpp"

namespace flopwise {

PerplexityResult windowed_perplexity(Engine& engine, const std::vector<TokenId>& tokens, int32_t ctx, int32_t max_chunks,
                                     const std::function<void(const PerplexityResult&)>& on_chunk) {
    if (ctx < 4) throw Error("perplexity: ctx must be at least 4, got " + std::to_string(ctx));
    if (ctx > engine.max_context())
        throw Error("perplexity: ctx " + std::to_string(ctx) + " exceeds the model's context length " + std::to_string(engine.max_context()));
    const int64_t available = static_cast<int64_t>(tokens.size()) / ctx;
    if (available == 0)
        throw Error("perplexity: the text has " + std::to_string(tokens.size()) + " tokens, fewer than one window of " + std::to_string(ctx));
    const int64_t chunks = max_chunks > 0 ? std::min<int64_t>(max_chunks, available) : available;
    const Tokenizer& tokenizer = engine.tokenizer();
    const int32_t first = ctx / 2;

    PerplexityResult result;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
        std::vector<TokenId> window(tokens.begin() + chunk * ctx, tokens.begin() + (chunk + 1) * ctx);
        if (tokenizer.adds_bos() && tokenizer.bos() >= 0) window.front() = tokenizer.bos();
        const SequenceScore score = engine.score_sequence(window, &result.usage, static_cast<size_t>(first));
        for (double logprob : score.token_logprobs) {
            result.negative_log_likelihood -= logprob;
            ++result.scored_tokens;
        }
        ++result.chunks;
        result.perplexity = std::exp(result.negative_log_likelihood / static_cast<double>(result.scored_tokens));
        result.running_perplexity.push_back(result.perplexity);
        if (on_chunk) on_chunk(result);
    }
    return result;
}

}  // namespace flopwise

#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "flopwise/engine.hpp"

namespace flopwise {

struct PerplexityResult {
    double perplexity = 0.0;
    double negative_log_likelihood = 0.0;  // summed over the scored tokens, in nats
    int64_t scored_tokens = 0;
    int32_t chunks = 0;
    std::vector<double> running_perplexity;  // after each chunk
    ComputeUsage usage;
};

// Perplexity by the windowed method of llama.cpp's perplexity tool, so figures are comparable with
// it: the token stream is cut into consecutive windows of `ctx` tokens, each window's first token
// is replaced by BOS when the vocabulary adds one, and only the second half of each window is
// scored (the logits at positions ctx/2 .. ctx-2 predicting the tokens after them), so every
// scored token has at least ctx/2 tokens of context. max_chunks = 0 scores every whole window.
PerplexityResult windowed_perplexity(Engine& engine, const std::vector<TokenId>& tokens, int32_t ctx, int32_t max_chunks,
                                     const std::function<void(const PerplexityResult&)>& on_chunk = {});

}  // namespace flopwise

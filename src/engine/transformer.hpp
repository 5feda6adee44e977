#pragma once
#include "flopwise/kernels/matmul.hpp"
#include <cstdint>
#include <span>
#include <vector>

#include "flopwise/compute_usage.hpp"
#include "flopwise/engine.hpp"
#include "flopwise/tokenizer.hpp"
#include "kv_cache.hpp"
#include "model_weights.hpp"

namespace flopwise::engine {

// Tokens appended to one sequence; they take positions sequence->length() onwards.
struct BatchSegment {
    KvSequence* sequence = nullptr;
    std::span<const TokenId> tokens;
};

// A row of the batch (segments' tokens concatenated in order) whose next-token distribution is needed.
struct LogitQuery {
    int64_t row = 0;
    std::vector<TokenId> targets;  // tokens whose log-probs are wanted
    bool keep_logits = false;   // also return the full logit vector (sampling)
    int32_t top_k = 0;          // also return the k most likely tokens
};

struct LogitResult {
    double log_sum_exp = 0.0;
    TokenId argmax = 0;
    std::vector<double> target_logprobs;  // log-softmax of each target, in float64
    std::vector<float> logits;
    TopLogprobs top;
};

// The decoder forward pass over a batch of segments from several sequences. Every row is computed
// with the same operation order whatever else is in the batch (see kernels/matmul.hpp).
class Transformer {
public:
    // int8_activations: the fast numerics of kernels/matmul_int8.hpp for the weights that have them.
    Transformer(const ModelConfig& config, const ModelWeights& weights, bool int8_activations);

    std::vector<LogitResult> forward(std::span<const BatchSegment> segments, std::span<const LogitQuery> queries,
                                     FlopCounts& flops);

private:
    void embed(std::span<const TokenId> tokens, int64_t rows);
    void attention_block(int32_t layer, std::span<const BatchSegment> segments, const std::vector<int32_t>& positions,
                         FlopCounts& flops);
    void mlp_block(int32_t layer, int64_t rows, FlopCounts& flops);
    std::vector<LogitResult> logits(std::span<const LogitQuery> queries, FlopCounts& flops);
    uint64_t linear(std::span<const kernels::MatmulOutput> outputs, const float* x, int64_t ldx, int64_t rows) const;

    const ModelConfig& config_;
    const ModelWeights& weights_;
    bool int8_activations_;
    // Scratch, sized for the largest batch seen.
    std::vector<float> x_, h_, q_, k_, v_, attn_, gate_, up_, rope_global_, rope_local_, normed_, logits_;
};

}  // namespace flopwise::engine

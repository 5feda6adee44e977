#pragma once
#include "flopwise/kernels/matmul.hpp"
#include <cstdint>
#include <span>
#include <vector>

#include "flopwise/compute_usage.hpp"
#include "flopwise/engine.hpp"
#include "flopwise/tokenizer.hpp"
#include "forward_pass.hpp"

namespace flopwise::engine {

// The forward pass on the CPU kernels (kernels/cpu). Every row is computed with the same operation
// order whatever else is in the batch (see kernels/matmul.hpp).
class Transformer : public ForwardPass {
public:
    // int8_activations: the fast numerics of kernels/matmul_int8.hpp for the weights that have them.
    Transformer(const ModelConfig& config, const ModelWeights& weights, bool int8_activations);

    std::vector<LogitResult> forward(std::span<const BatchSegment> segments, std::span<const LogitQuery> queries,
                                     FlopCounts& flops) override;

private:
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

#pragma once
#include <map>
#include <vector>

#include "flopwise/kernels/cuda/device.hpp"
#include "forward_pass.hpp"

namespace flopwise::engine {

// The forward pass on a CUDA GPU (kernels/cuda): the weights are copied to the device once, as
// stored (quantized), and every layer runs there. Token embedding rows, RoPE tables and the final
// softmax statistics are computed on the host with the CPU engine's code (the logits come back
// for them). Keys and values are written to both the host sequence, which stays the reference, and
// a device mirror of it that is refilled from the host when a prefix copy replaced its rows.
class CudaTransformer : public ForwardPass {
public:
    CudaTransformer(const ModelConfig& config, const ModelWeights& weights);

    std::vector<LogitResult> forward(std::span<const BatchSegment> segments, std::span<const LogitQuery> queries,
                                     FlopCounts& flops) override;

private:
    struct Layer {
        kernels::WeightView wq, wk, wv, wo, w_gate, w_up, w_down;
        const float *attn_norm, *ffn_norm, *post_attn_norm, *post_ffn_norm, *q_norm, *k_norm, *bq, *bk, *bv;
    };
    kernels::WeightView upload(const kernels::WeightView& w);
    const float* upload(const std::vector<float>& values);
    // The segment's device mirror, holding its first `first` positions and room for `n` more.
    struct Mirror;
    Mirror& mirror_for(KvSequence& sequence, int32_t first, int32_t n);
    void attention_block(int32_t layer, std::span<const BatchSegment> segments, const std::vector<int32_t>& first,
                         const std::vector<Mirror*>& mirrors, FlopCounts& flops);
    void mlp_block(int32_t layer, int64_t rows, FlopCounts& flops);
    std::vector<LogitResult> logits(std::span<const LogitQuery> queries, FlopCounts& flops);

    const ModelConfig& config_;
    std::vector<kernels::cuda::DeviceBuffer> owned_;
    std::map<const void*, const void*> uploaded_;  // host tensor -> its device copy (tied embeddings share one)
    std::vector<Layer> layers_;
    kernels::WeightView output_;
    const float* output_norm_ = nullptr;
    const ModelWeights& weights_;
    // Device scratch, sized for the largest batch seen, and the host rows that go to and come from it.
    kernels::cuda::DeviceBuffer x_, h_, q_, k_, v_, attn_, gate_, up_, rope_global_, rope_local_, positions_, normed_, logits_;
    std::vector<float> host_x_, host_rope_global_, host_rope_local_, host_logits_;
    std::vector<int32_t> host_positions_;
};

}  // namespace flopwise::engine

#pragma once
#include <memory>
#include <string>
#include <vector>

#include "flopwise/gguf.hpp"
#include "flopwise/kernels/matmul.hpp"
#include "flopwise/model_config.hpp"

namespace flopwise::engine {

struct LayerWeights {
    kernels::WeightView wq, wk, wv, wo, w_gate, w_up, w_down;
    std::vector<float> attn_norm, ffn_norm;
    std::vector<float> post_attn_norm, post_ffn_norm;  // Gemma
    std::vector<float> q_norm, k_norm;                 // Gemma: per head, head_dim values
    std::vector<float> bq, bk, bv;                     // Qwen2
};

// The model's tensors bound to the memory-mapped file, with every shape and type checked against
// the configuration. Norm weights, biases and RoPE frequency factors are decoded to float32 once.
struct ModelWeights {
    kernels::WeightView token_embedding;  // [n_vocab rows][n_embd]
    kernels::WeightView output;           // LM head; the embedding table when tied
    std::vector<float> output_norm;
    std::vector<float> rope_factors;      // empty when the model has none
    std::vector<LayerWeights> layers;
    int64_t parameter_count = 0;
    int64_t embedding_parameter_count = 0;

    static ModelWeights bind(const gguf::File& file, ModelConfig& config);
};

}  // namespace flopwise::engine

#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "flopwise/gguf.hpp"
#include "flopwise/kernels/elementwise.hpp"

namespace flopwise {

enum class Architecture { llama, qwen2, gemma3 };
enum class Activation { silu, gelu_tanh };

// The hyper-parameters of a decoder-only transformer, read from a GGUF file's `{arch}.*` keys.
struct ModelConfig {
    Architecture architecture = Architecture::llama;
    std::string architecture_name;
    std::string name;  // general.name when present

    int32_t n_layer = 0;
    int32_t n_embd = 0;
    int32_t n_head = 0;
    int32_t n_head_kv = 0;
    int32_t head_dim = 0;  // attention.key_length, else n_embd / n_head
    int32_t n_ff = 0;
    int32_t n_vocab = 0;
    int32_t context_length = 0;
    float norm_eps = 1e-5f;

    kernels::RopeLayout rope_layout = kernels::RopeLayout::interleaved;
    int32_t rope_dims = 0;
    double rope_freq_base = 10000.0;
    double rope_freq_scale = 1.0;        // 1 / linear scaling factor
    double rope_freq_base_local = 10000.0;  // sliding-window layers (Gemma 3)

    // Per layer: 0 for global attention, else the sliding window in tokens.
    std::vector<int32_t> layer_window;
    float attention_scale = 1.0f;
    float attention_softcap = 0.0f;
    float final_logit_softcap = 0.0f;
    float embedding_scale = 1.0f;  // Gemma multiplies embeddings by sqrt(n_embd)

    Activation activation = Activation::silu;
    bool tied_embeddings = false;
    bool qkv_bias = false;
    bool qk_norm = false;      // per-head RMSNorm of q and k (Gemma 3)
    bool post_norms = false;   // RMSNorm after attention and after the MLP (Gemma 2/3)

    static ModelConfig from_gguf(const gguf::File& file);
};

std::string to_string(Architecture architecture);

}  // namespace flopwise

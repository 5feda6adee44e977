#include "flopwise/model_config.hpp"

#include <cmath>

#include "flopwise/error.hpp"

namespace flopwise {
namespace {

int32_t positive(const gguf::File& file, const std::string& key, uint64_t value) {
    if (value == 0 || value > (1u << 30)) throw Error(file.describe("metadata key '" + key + "': value " + std::to_string(value) + " is out of range"));
    return static_cast<int32_t>(value);
}

Architecture parse_architecture(const gguf::File& file, const std::string& name) {
    if (name == "llama") return Architecture::llama;
    if (name == "qwen2") return Architecture::qwen2;
    if (name == "gemma3") return Architecture::gemma3;
    throw Error(file.describe("general.architecture '" + name + "' is not supported (supported: llama, qwen2, gemma3)"));
}

}  // namespace

std::string to_string(Architecture architecture) {
    switch (architecture) {
        case Architecture::llama: return "llama";
        case Architecture::qwen2: return "qwen2";
        case Architecture::gemma3: return "gemma3";
    }
    return "unknown";
}

ModelConfig ModelConfig::from_gguf(const gguf::File& file) {
    ModelConfig c;
    c.architecture_name = file.get_string("general.architecture");
    c.architecture = parse_architecture(file, c.architecture_name);
    c.name = file.get_string("general.name", c.architecture_name);
    const std::string a = c.architecture_name + ".";
    auto required = [&](const std::string& key) { return positive(file, a + key, file.get_uint(a + key)); };

    c.n_layer = required("block_count");
    c.n_embd = required("embedding_length");
    c.n_ff = required("feed_forward_length");
    c.n_head = required("attention.head_count");
    c.n_head_kv = positive(file, a + "attention.head_count_kv", file.get_uint(a + "attention.head_count_kv", c.n_head));
    c.context_length = positive(file, a + "context_length", file.get_uint(a + "context_length", 2048));
    c.head_dim = positive(file, a + "attention.key_length", file.get_uint(a + "attention.key_length", c.n_embd / c.n_head));
    const int32_t value_dim = positive(file, a + "attention.value_length", file.get_uint(a + "attention.value_length", c.head_dim));
    if (value_dim != c.head_dim)
        throw Error(file.describe("attention.value_length " + std::to_string(value_dim) + " differs from key_length " + std::to_string(c.head_dim) + " (not supported)"));
    if (c.n_head % c.n_head_kv != 0)
        throw Error(file.describe("attention.head_count " + std::to_string(c.n_head) + " is not a multiple of head_count_kv " + std::to_string(c.n_head_kv)));
    c.norm_eps = static_cast<float>(file.get_float(a + "attention.layer_norm_rms_epsilon", 1e-5));
    c.rope_dims = positive(file, a + "rope.dimension_count", file.get_uint(a + "rope.dimension_count", c.head_dim));
    if (c.rope_dims > c.head_dim || c.rope_dims % 2 != 0)
        throw Error(file.describe("rope.dimension_count " + std::to_string(c.rope_dims) + " must be even and at most the head size " + std::to_string(c.head_dim)));
    c.rope_freq_base = file.get_float(a + "rope.freq_base", 10000.0);

    const std::string scaling = file.get_string(a + "rope.scaling.type", "none");
    if (scaling == "linear") {
        const double factor = file.get_float(a + "rope.scaling.factor", 1.0);
        if (!(factor > 0)) throw Error(file.describe("rope.scaling.factor must be positive"));
        c.rope_freq_scale = 1.0 / factor;
    } else if (scaling != "none") {
        throw Error(file.describe("rope.scaling.type '" + scaling + "' is not supported (supported: none, linear)"));
    }

    c.layer_window.assign(static_cast<size_t>(c.n_layer), 0);
    c.attention_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim)));
    c.final_logit_softcap = static_cast<float>(file.get_float(a + "final_logit_softcapping", 0.0));
    c.attention_softcap = static_cast<float>(file.get_float(a + "attn_logit_softcapping", 0.0));

    switch (c.architecture) {
        case Architecture::llama:
            c.rope_layout = kernels::RopeLayout::interleaved;
            c.activation = Activation::silu;
            break;
        case Architecture::qwen2:
            c.rope_layout = kernels::RopeLayout::neox;
            c.activation = Activation::silu;
            c.qkv_bias = true;
            break;
        case Architecture::gemma3: {
            c.rope_layout = kernels::RopeLayout::neox;
            c.activation = Activation::gelu_tanh;
            c.qk_norm = true;
            c.post_norms = true;
            c.embedding_scale = std::sqrt(static_cast<float>(c.n_embd));
            // Gemma 3 alternates five sliding-window layers with one global layer; the local layers
            // use a fixed RoPE base of 10000 and no scaling.
            const int32_t window = positive(file, a + "attention.sliding_window", file.get_uint(a + "attention.sliding_window", 4096));
            for (int32_t il = 0; il < c.n_layer; ++il)
                if ((il + 1) % 6 != 0) c.layer_window[static_cast<size_t>(il)] = window;
            c.rope_freq_base_local = 10000.0;
            // The 27B model (62 layers) scales queries by 1/sqrt(n_embd / n_head), the others by the head size.
            if (c.n_layer == 62)
                c.attention_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.n_embd / c.n_head)));
            break;
        }
    }
    return c;
}

}  // namespace flopwise

#include "model_weights.hpp"

#include <set>

#include "flopwise/error.hpp"

namespace flopwise::engine {
namespace {

class Binder {
public:
    explicit Binder(const gguf::File& file) : file_(file) {}

    const gguf::TensorInfo* find(const std::string& name) {
        const gguf::TensorInfo* info = file_.find_tensor(name);
        if (info) used_.insert(name);
        return info;
    }

    const gguf::TensorInfo& require(const std::string& name) {
        const gguf::TensorInfo* info = find(name);
        if (!info) throw Error(file_.describe("tensor '" + name + "' is missing"));
        return *info;
    }

    void check_shape(const gguf::TensorInfo& info, std::vector<uint64_t> expected) {
        if (info.shape != expected) {
            auto text = [](const std::vector<uint64_t>& shape) {
                std::string s = "[";
                for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
                return s + "]";
            };
            throw Error(file_.describe("tensor '" + info.name + "' has shape " + text(info.shape) + ", expected " + text(expected)));
        }
    }

    kernels::WeightView matrix(const std::string& name, int64_t rows, int64_t cols) {
        return view(require(name), rows, cols);
    }

    kernels::WeightView view(const gguf::TensorInfo& info, int64_t rows, int64_t cols) {
        check_shape(info, {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)});
        const uint64_t stride = row_bytes(info.type, static_cast<uint64_t>(cols));
        return kernels::WeightView{info.type, info.data, rows, cols, stride};
    }

    std::vector<float> vector(const gguf::TensorInfo& info, int64_t n) {
        check_shape(info, {static_cast<uint64_t>(n)});
        std::vector<float> out(static_cast<size_t>(n));
        dequantize_row_reference(info.type, info.data, out.data(), n);
        return out;
    }

    std::vector<float> vector(const std::string& name, int64_t n) { return vector(require(name), n); }

    std::vector<float> optional_vector(const std::string& name, int64_t n) {
        const gguf::TensorInfo* info = find(name);
        return info ? vector(*info, n) : std::vector<float>{};
    }

    // Tensors the model does not use mean the file is not what the configuration says it is.
    void reject_unused() const {
        for (const auto& info : file_.tensors())
            if (!used_.count(info.name))
                throw Error(file_.describe("tensor '" + info.name + "' is not used by the " +
                                           file_.get_string("general.architecture") + " architecture (unexpected model layout)"));
    }

private:
    const gguf::File& file_;
    std::set<std::string> used_;
};

}  // namespace

ModelWeights ModelWeights::bind(const gguf::File& file, ModelConfig& config) {
    Binder b(file);
    ModelWeights w;
    const int64_t d = config.n_embd, hd = config.head_dim, ff = config.n_ff;
    const int64_t q_dim = config.n_head * hd, kv_dim = config.n_head_kv * hd;

    const gguf::TensorInfo& embd = b.require("token_embd.weight");
    if (embd.shape.size() != 2) throw Error(file.describe("tensor 'token_embd.weight' must have 2 dimensions"));
    config.n_vocab = static_cast<int32_t>(embd.shape[1]);
    w.token_embedding = b.view(embd, config.n_vocab, d);
    if (const gguf::TensorInfo* out = b.find("output.weight")) {
        w.output = b.view(*out, config.n_vocab, d);
    } else {
        config.tied_embeddings = true;
        w.output = w.token_embedding;
    }
    w.output_norm = b.vector("output_norm.weight", d);
    w.rope_factors = b.optional_vector("rope_freqs.weight", config.rope_dims / 2);

    for (int32_t il = 0; il < config.n_layer; ++il) {
        const std::string p = "blk." + std::to_string(il) + ".";
        LayerWeights L;
        L.attn_norm = b.vector(p + "attn_norm.weight", d);
        L.wq = b.matrix(p + "attn_q.weight", q_dim, d);
        L.wk = b.matrix(p + "attn_k.weight", kv_dim, d);
        L.wv = b.matrix(p + "attn_v.weight", kv_dim, d);
        L.wo = b.matrix(p + "attn_output.weight", d, q_dim);
        if (config.qkv_bias) {
            L.bq = b.vector(p + "attn_q.bias", q_dim);
            L.bk = b.vector(p + "attn_k.bias", kv_dim);
            L.bv = b.vector(p + "attn_v.bias", kv_dim);
        }
        if (config.qk_norm) {
            L.q_norm = b.vector(p + "attn_q_norm.weight", hd);
            L.k_norm = b.vector(p + "attn_k_norm.weight", hd);
        }
        if (config.post_norms) {
            L.post_attn_norm = b.vector(p + "post_attention_norm.weight", d);
            L.post_ffn_norm = b.vector(p + "post_ffw_norm.weight", d);
        }
        L.ffn_norm = b.vector(p + "ffn_norm.weight", d);
        L.w_gate = b.matrix(p + "ffn_gate.weight", ff, d);
        L.w_up = b.matrix(p + "ffn_up.weight", ff, d);
        L.w_down = b.matrix(p + "ffn_down.weight", d, ff);
        w.layers.push_back(std::move(L));
    }
    b.reject_unused();

    for (const auto& info : file.tensors()) w.parameter_count += static_cast<int64_t>(info.elements());
    w.embedding_parameter_count = static_cast<int64_t>(embd.elements());
    return w;
}

}  // namespace flopwise::engine

#include "cuda_transformer.hpp"

#include <algorithm>

#include "flopwise/error.hpp"
#include "flopwise/kernels/cuda/attention.hpp"
#include "flopwise/kernels/cuda/elementwise.hpp"
#include "flopwise/kernels/cuda/matmul.hpp"

namespace flopwise::engine {

namespace cuda = kernels::cuda;

struct CudaTransformer::Mirror : KvMirror {
    int32_t capacity = 0;
    std::vector<cuda::DeviceBuffer> keys, values;  // per layer, [capacity][kv_dim]
};

namespace {

template <typename T>
void reserve(cuda::DeviceBuffer& buffer, int64_t count) {
    buffer.reserve(static_cast<size_t>(count) * sizeof(T));
}

}  // namespace

CudaTransformer::CudaTransformer(const ModelConfig& config, const ModelWeights& weights) : config_(config), weights_(weights) {
    cuda::require_device("--device cuda");
    for (const LayerWeights& L : weights.layers)
        layers_.push_back({upload(L.wq), upload(L.wk), upload(L.wv), upload(L.wo), upload(L.w_gate), upload(L.w_up),
                           upload(L.w_down), upload(L.attn_norm), upload(L.ffn_norm), upload(L.post_attn_norm),
                           upload(L.post_ffn_norm), upload(L.q_norm), upload(L.k_norm), upload(L.bq), upload(L.bk),
                           upload(L.bv)});
    output_ = upload(weights.output);
    output_norm_ = upload(weights.output_norm);
}

kernels::WeightView CudaTransformer::upload(const kernels::WeightView& w) {
    kernels::WeightView device = w;
    auto known = uploaded_.find(w.data);
    if (known == uploaded_.end()) {
        const size_t bytes = static_cast<size_t>(w.rows) * w.row_stride;
        cuda::DeviceBuffer buffer(bytes);
        buffer.upload(w.data, bytes);
        known = uploaded_.emplace(w.data, buffer.data()).first;
        owned_.push_back(std::move(buffer));
    }
    device.data = known->second;
    return device;
}

const float* CudaTransformer::upload(const std::vector<float>& values) {
    if (values.empty()) return nullptr;
    cuda::DeviceBuffer buffer(values.size() * sizeof(float));
    buffer.upload(values.data(), values.size() * sizeof(float));
    owned_.push_back(std::move(buffer));
    return owned_.back().as<const float>();
}

CudaTransformer::Mirror& CudaTransformer::mirror_for(KvSequence& sequence, int32_t first, int32_t n) {
    auto* mirror = dynamic_cast<Mirror*>(sequence.mirror());
    if (mirror == nullptr) {
        sequence.set_mirror(std::make_unique<Mirror>());
        mirror = static_cast<Mirror*>(sequence.mirror());
        mirror->keys.resize(static_cast<size_t>(config_.n_layer));
        mirror->values.resize(static_cast<size_t>(config_.n_layer));
    }
    const size_t row_bytes = static_cast<size_t>(sequence.row_size()) * sizeof(float);
    if (first + n > mirror->capacity) {
        // New storage starts empty: the host rows refill it below.
        mirror->capacity = std::max(first + n, 2 * mirror->capacity);
        for (auto* buffers : {&mirror->keys, &mirror->values})
            for (auto& buffer : *buffers) buffer = cuda::DeviceBuffer(static_cast<size_t>(mirror->capacity) * row_bytes);
        mirror->length = 0;
    }
    if (mirror->length < first) {
        const size_t offset = static_cast<size_t>(mirror->length) * row_bytes;
        const size_t bytes = static_cast<size_t>(first - mirror->length) * row_bytes;
        for (int32_t layer = 0; layer < config_.n_layer; ++layer) {
            mirror->keys[static_cast<size_t>(layer)].upload(reinterpret_cast<const char*>(sequence.keys(layer)) + offset, bytes, offset);
            mirror->values[static_cast<size_t>(layer)].upload(reinterpret_cast<const char*>(sequence.values(layer)) + offset, bytes, offset);
        }
    }
    mirror->length = first;
    return *mirror;
}

std::vector<LogitResult> CudaTransformer::forward(std::span<const BatchSegment> segments, std::span<const LogitQuery> queries,
                                                  FlopCounts& flops) {
    const ModelConfig& c = config_;
    const BatchLayout layout = lay_out_batch(c, segments, queries);
    const int64_t rows = layout.rows();
    if (rows == 0) return {};
    const int64_t d = c.n_embd, q_dim = int64_t{c.n_head} * c.head_dim, kv_dim = int64_t{c.n_head_kv} * c.head_dim;
    reserve<float>(x_, rows * d);
    reserve<float>(h_, rows * std::max(d, q_dim));
    reserve<float>(q_, rows * q_dim);
    reserve<float>(k_, rows * kv_dim);
    reserve<float>(v_, rows * kv_dim);
    reserve<float>(attn_, rows * q_dim);
    reserve<float>(gate_, rows * c.n_ff);
    reserve<float>(up_, rows * c.n_ff);
    reserve<float>(rope_global_, rows * c.rope_dims);
    reserve<float>(rope_local_, rows * c.rope_dims);
    reserve<int32_t>(positions_, rows);

    host_x_.resize(static_cast<size_t>(rows * d));
    host_rope_global_.resize(static_cast<size_t>(rows * c.rope_dims));
    host_rope_local_.resize(static_cast<size_t>(rows * c.rope_dims));
    embed_tokens(c, weights_, layout.tokens, host_x_.data());
    rope_tables(c, weights_, layout.positions, host_rope_global_.data(), host_rope_local_.data());
    x_.upload(host_x_.data(), host_x_.size() * sizeof(float));
    rope_global_.upload(host_rope_global_.data(), host_rope_global_.size() * sizeof(float));
    if (has_local_layers(c)) rope_local_.upload(host_rope_local_.data(), host_rope_local_.size() * sizeof(float));
    host_positions_ = layout.positions;
    positions_.upload(host_positions_.data(), host_positions_.size() * sizeof(int32_t));

    std::vector<int32_t> first;
    std::vector<Mirror*> mirrors;
    for (const auto& s : segments) {
        const int32_t n = static_cast<int32_t>(s.tokens.size());
        first.push_back(s.sequence->length());
        mirrors.push_back(&mirror_for(*s.sequence, first.back(), n));
        s.sequence->extend(n);
    }
    for (int32_t layer = 0; layer < c.n_layer; ++layer) {
        attention_block(layer, segments, first, mirrors, flops);
        mlp_block(layer, rows, flops);
    }
    for (size_t i = 0; i < segments.size(); ++i) mirrors[i]->length = first[i] + static_cast<int32_t>(segments[i].tokens.size());
    return logits(queries, flops);
}

void CudaTransformer::attention_block(int32_t layer, std::span<const BatchSegment> segments, const std::vector<int32_t>& first,
                                      const std::vector<Mirror*>& mirrors, FlopCounts& flops) {
    const ModelConfig& c = config_;
    const Layer& L = layers_[static_cast<size_t>(layer)];
    const int64_t rows = static_cast<int64_t>(host_positions_.size());
    const int64_t d = c.n_embd, hd = c.head_dim;
    const int64_t q_dim = int64_t{c.n_head} * hd, kv_dim = int64_t{c.n_head_kv} * hd;
    const int32_t window = c.layer_window[static_cast<size_t>(layer)];
    const float* rope_table = window > 0 ? rope_local_.as<float>() : rope_global_.as<float>();
    float *x = x_.as<float>(), *h = h_.as<float>(), *q = q_.as<float>(), *k = k_.as<float>(), *v = v_.as<float>();

    cuda::rms_norm(x, d, L.attn_norm, h, d, rows, d, c.norm_eps);
    flops.linear += cuda::matmul(L.wq, h, d, rows, q, q_dim);
    flops.linear += cuda::matmul(L.wk, h, d, rows, k, kv_dim);
    flops.linear += cuda::matmul(L.wv, h, d, rows, v, kv_dim);
    cuda::add_bias(q, rows, q_dim, L.bq);
    cuda::add_bias(k, rows, kv_dim, L.bk);
    cuda::add_bias(v, rows, kv_dim, L.bv);
    if (c.qk_norm) {
        cuda::rms_norm(q, hd, L.q_norm, q, hd, rows * c.n_head, hd, c.norm_eps);
        cuda::rms_norm(k, hd, L.k_norm, k, hd, rows * c.n_head_kv, hd, c.norm_eps);
    }
    cuda::rope(q, q_dim, rows, c.n_head, c.head_dim, c.rope_dims, rope_table, c.rope_layout);
    cuda::rope(k, kv_dim, rows, c.n_head_kv, c.head_dim, c.rope_dims, rope_table, c.rope_layout);

    const kernels::AttentionShape shape{c.n_head, c.n_head_kv, c.head_dim, c.attention_scale, window, c.attention_softcap};
    const size_t row_bytes = static_cast<size_t>(kv_dim) * sizeof(float);
    int64_t row = 0;
    for (size_t i = 0; i < segments.size(); ++i) {
        const int64_t n = static_cast<int64_t>(segments[i].tokens.size());
        KvSequence& sequence = *segments[i].sequence;
        cuda::DeviceBuffer& keys = mirrors[i]->keys[static_cast<size_t>(layer)];
        cuda::DeviceBuffer& values = mirrors[i]->values[static_cast<size_t>(layer)];
        const size_t offset = static_cast<size_t>(first[i]) * row_bytes, bytes = static_cast<size_t>(n) * row_bytes;
        cuda::copy_on_device(keys.as<char>() + offset, k + row * kv_dim, bytes);
        cuda::copy_on_device(values.as<char>() + offset, v + row * kv_dim, bytes);
        keys.download(reinterpret_cast<char*>(sequence.keys(layer)) + offset, bytes, offset);
        values.download(reinterpret_cast<char*>(sequence.values(layer)) + offset, bytes, offset);
        flops.attention += cuda::attention(shape, q + row * q_dim, q_dim, positions_.as<int32_t>() + row, n, keys.as<float>(),
                                           values.as<float>(), kv_dim, first[i] + n, attn_.as<float>() + row * q_dim, q_dim,
                                           host_positions_.data() + row);
        row += n;
    }

    flops.linear += cuda::matmul(L.wo, attn_.as<float>(), q_dim, rows, h, d);
    if (c.post_norms) cuda::rms_norm(h, d, L.post_attn_norm, h, d, rows, d, c.norm_eps);
    cuda::add(x, h, rows * d);
}

void CudaTransformer::mlp_block(int32_t layer, int64_t rows, FlopCounts& flops) {
    const ModelConfig& c = config_;
    const Layer& L = layers_[static_cast<size_t>(layer)];
    const int64_t d = c.n_embd, ff = c.n_ff;
    float *x = x_.as<float>(), *h = h_.as<float>(), *gate = gate_.as<float>(), *up = up_.as<float>();
    cuda::rms_norm(x, d, L.ffn_norm, h, d, rows, d, c.norm_eps);
    flops.linear += cuda::matmul(L.w_gate, h, d, rows, gate, ff);
    flops.linear += cuda::matmul(L.w_up, h, d, rows, up, ff);
    cuda::gated_activation(c.activation == Activation::silu ? cuda::Gate::silu : cuda::Gate::gelu_tanh, gate, up, rows * ff);
    flops.linear += cuda::matmul(L.w_down, gate, ff, rows, h, d);
    if (c.post_norms) cuda::rms_norm(h, d, L.post_ffn_norm, h, d, rows, d, c.norm_eps);
    cuda::add(x, h, rows * d);
}

std::vector<LogitResult> CudaTransformer::logits(std::span<const LogitQuery> queries, FlopCounts& flops) {
    const ModelConfig& c = config_;
    const int64_t d = c.n_embd, vocab = c.n_vocab;
    const int64_t group_rows = logit_group_rows(queries.size());
    reserve<float>(normed_, group_rows * d);
    reserve<float>(logits_, group_rows * vocab);
    host_logits_.resize(static_cast<size_t>(group_rows * vocab));
    return logits_in_groups(c, queries, [&](size_t first, int64_t n) {
        for (int64_t i = 0; i < n; ++i)
            cuda::rms_norm(x_.as<float>() + queries[first + static_cast<size_t>(i)].row * d, d, output_norm_,
                           normed_.as<float>() + i * d, d, 1, d, c.norm_eps);
        flops.lm_head += cuda::matmul(output_, normed_.as<float>(), d, n, logits_.as<float>(), vocab);
        logits_.download(host_logits_.data(), static_cast<size_t>(n * vocab) * sizeof(float));
        return host_logits_.data();
    });
}

}  // namespace flopwise::engine

#include "transformer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <tbb/parallel_for.h>

#include "flopwise/error.hpp"
#include "flopwise/kernels/attention.hpp"
#include "flopwise/kernels/elementwise.hpp"
#include "flopwise/kernels/matmul.hpp"
#include "flopwise/kernels/matmul_int8.hpp"

namespace flopwise::engine {
namespace {

void grow(std::vector<float>& buffer, int64_t size) {
    if (static_cast<int64_t>(buffer.size()) < size) buffer.resize(static_cast<size_t>(size));
}

template <typename F>
void for_rows(int64_t rows, F&& body) {
    tbb::parallel_for(int64_t{0}, rows, [&](int64_t r) { body(r); });
}

void add_bias(float* y, int64_t rows, int64_t n, const std::vector<float>& bias) {
    if (bias.empty()) return;
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < n; ++i) y[r * n + i] += bias[static_cast<size_t>(i)];
}

}  // namespace

Transformer::Transformer(const ModelConfig& config, const ModelWeights& weights, bool int8_activations)
    : config_(config), weights_(weights), int8_activations_(int8_activations) {}

uint64_t Transformer::linear(std::span<const kernels::MatmulOutput> outputs, const float* x, int64_t ldx, int64_t rows) const {
    if (!int8_activations_) return kernels::matmul_same_input(outputs, x, ldx, rows);
    uint64_t flops = 0;
    for (const kernels::MatmulOutput& o : outputs)
        flops += kernels::has_int8_activation_product(o.w.type) ? kernels::matmul_int8_activations(o.w, x, ldx, rows, o.y, o.ldy)
                                                              : kernels::matmul(o.w, x, ldx, rows, o.y, o.ldy);
    return flops;
}

std::vector<LogitResult> Transformer::forward(std::span<const BatchSegment> segments, std::span<const LogitQuery> queries,
                                              FlopCounts& flops) {
    const ModelConfig& c = config_;
    int64_t rows = 0;
    for (const auto& s : segments) rows += static_cast<int64_t>(s.tokens.size());
    if (rows == 0) return {};
    const int64_t d = c.n_embd, q_dim = int64_t{c.n_head} * c.head_dim, kv_dim = int64_t{c.n_head_kv} * c.head_dim;
    grow(x_, rows * d);
    grow(h_, rows * std::max(d, q_dim));
    grow(q_, rows * q_dim);
    grow(k_, rows * kv_dim);
    grow(v_, rows * kv_dim);
    grow(attn_, rows * q_dim);
    grow(gate_, rows * c.n_ff);
    grow(up_, rows * c.n_ff);
    grow(rope_global_, rows * c.rope_dims);
    grow(rope_local_, rows * c.rope_dims);

    const BatchLayout layout = lay_out_batch(c, segments, queries);
    const std::vector<int32_t>& positions = layout.positions;
    embed_tokens(c, weights_, layout.tokens, x_.data());
    rope_tables(c, weights_, positions, rope_global_.data(), rope_local_.data());

    for (const auto& s : segments) s.sequence->extend(static_cast<int32_t>(s.tokens.size()));
    for (int32_t layer = 0; layer < c.n_layer; ++layer) {
        attention_block(layer, segments, positions, flops);
        mlp_block(layer, rows, flops);
    }
    return logits(queries, flops);
}

void Transformer::attention_block(int32_t layer, std::span<const BatchSegment> segments,
                                  const std::vector<int32_t>& positions, FlopCounts& flops) {
    const ModelConfig& c = config_;
    const LayerWeights& L = weights_.layers[static_cast<size_t>(layer)];
    const int64_t rows = static_cast<int64_t>(positions.size());
    const int64_t d = c.n_embd, hd = c.head_dim;
    const int64_t q_dim = int64_t{c.n_head} * hd, kv_dim = int64_t{c.n_head_kv} * hd;
    const int32_t window = c.layer_window[static_cast<size_t>(layer)];
    const float* rope_table = window > 0 ? rope_local_.data() : rope_global_.data();

    for_rows(rows, [&](int64_t r) { kernels::rms_norm(x_.data() + r * d, L.attn_norm.data(), h_.data() + r * d, d, c.norm_eps); });
    const kernels::MatmulOutput qkv[] = {{L.wq, q_.data(), q_dim}, {L.wk, k_.data(), kv_dim}, {L.wv, v_.data(), kv_dim}};
    flops.linear += linear(qkv, h_.data(), d, rows);
    add_bias(q_.data(), rows, q_dim, L.bq);
    add_bias(k_.data(), rows, kv_dim, L.bk);
    add_bias(v_.data(), rows, kv_dim, L.bv);

    for_rows(rows, [&](int64_t r) {
        float* q = q_.data() + r * q_dim;
        float* k = k_.data() + r * kv_dim;
        if (c.qk_norm) {
            for (int32_t h = 0; h < c.n_head; ++h) kernels::rms_norm(q + h * hd, L.q_norm.data(), q + h * hd, hd, c.norm_eps);
            for (int32_t h = 0; h < c.n_head_kv; ++h) kernels::rms_norm(k + h * hd, L.k_norm.data(), k + h * hd, hd, c.norm_eps);
        }
        const float* cos_sin = rope_table + r * c.rope_dims;
        kernels::rope(q, c.n_head, c.head_dim, c.rope_dims, cos_sin, c.rope_layout);
        kernels::rope(k, c.n_head_kv, c.head_dim, c.rope_dims, cos_sin, c.rope_layout);
    });

    kernels::AttentionShape shape{c.n_head, c.n_head_kv, c.head_dim, c.attention_scale, window, c.attention_softcap};
    int64_t row = 0;
    for (const auto& s : segments) {
        const int64_t n = static_cast<int64_t>(s.tokens.size());
        const int32_t first = positions[static_cast<size_t>(row)];
        float* keys = s.sequence->keys(layer);
        float* values = s.sequence->values(layer);
        std::memcpy(keys + first * kv_dim, k_.data() + row * kv_dim, static_cast<size_t>(n * kv_dim) * sizeof(float));
        std::memcpy(values + first * kv_dim, v_.data() + row * kv_dim, static_cast<size_t>(n * kv_dim) * sizeof(float));
        flops.attention += kernels::attention(shape, q_.data() + row * q_dim, q_dim, positions.data() + row, n, keys, values,
                                              kv_dim, first + n, attn_.data() + row * q_dim, q_dim);
        row += n;
    }

    const kernels::MatmulOutput out[] = {{L.wo, h_.data(), d}};
    flops.linear += linear(out, attn_.data(), q_dim, rows);
    for_rows(rows, [&](int64_t r) {
        float* out = h_.data() + r * d;
        if (c.post_norms) kernels::rms_norm(out, L.post_attn_norm.data(), out, d, c.norm_eps);
        float* x = x_.data() + r * d;
        for (int64_t i = 0; i < d; ++i) x[i] += out[i];
    });
}

void Transformer::mlp_block(int32_t layer, int64_t rows, FlopCounts& flops) {
    const ModelConfig& c = config_;
    const LayerWeights& L = weights_.layers[static_cast<size_t>(layer)];
    const int64_t d = c.n_embd, ff = c.n_ff;
    for_rows(rows, [&](int64_t r) { kernels::rms_norm(x_.data() + r * d, L.ffn_norm.data(), h_.data() + r * d, d, c.norm_eps); });
    const kernels::MatmulOutput gate_up[] = {{L.w_gate, gate_.data(), ff}, {L.w_up, up_.data(), ff}};
    flops.linear += linear(gate_up, h_.data(), d, rows);
    for_rows(rows, [&](int64_t r) {
        float* g = gate_.data() + r * ff;
        const float* u = up_.data() + r * ff;
        if (c.activation == Activation::silu) kernels::silu_mul(g, u, ff);
        else kernels::gelu_tanh_mul(g, u, ff);
    });
    const kernels::MatmulOutput down[] = {{L.w_down, h_.data(), d}};
    flops.linear += linear(down, gate_.data(), ff, rows);
    for_rows(rows, [&](int64_t r) {
        float* out = h_.data() + r * d;
        if (c.post_norms) kernels::rms_norm(out, L.post_ffn_norm.data(), out, d, c.norm_eps);
        float* x = x_.data() + r * d;
        for (int64_t i = 0; i < d; ++i) x[i] += out[i];
    });
}

std::vector<LogitResult> Transformer::logits(std::span<const LogitQuery> queries, FlopCounts& flops) {
    const ModelConfig& c = config_;
    const int64_t d = c.n_embd, vocab = c.n_vocab;
    const int64_t group_rows = logit_group_rows(queries.size());
    grow(normed_, group_rows * d);
    grow(logits_, group_rows * vocab);
    return logits_in_groups(c, queries, [&](size_t first, int64_t n) {
        for (int64_t i = 0; i < n; ++i)
            kernels::rms_norm(x_.data() + queries[first + static_cast<size_t>(i)].row * d, weights_.output_norm.data(),
                              normed_.data() + i * d, d, c.norm_eps);
        const kernels::MatmulOutput head[] = {{weights_.output, logits_.data(), vocab}};
        flops.lm_head += linear(head, normed_.data(), d, n);
        return logits_.data();
    });
}

}  // namespace flopwise::engine

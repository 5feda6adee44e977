#include "flopwise/compute/flops_estimate.hpp"

#include <algorithm>

#include "flopwise/error.hpp"

namespace flopwise::compute {
namespace {

// Keys seen by the queries at positions 0 .. n-1 together (each query sees itself).
double visible_keys_before(const LayerAttention& layer, int64_t n) {
    const auto triangle = [](double k) { return k * (k + 1) / 2; };
    switch (layer.kind) {
        case AttentionKind::global: return triangle(static_cast<double>(n));
        case AttentionKind::sliding:
            if (n <= layer.span) return triangle(static_cast<double>(n));
            return triangle(static_cast<double>(layer.span)) + static_cast<double>(n - layer.span) * static_cast<double>(layer.span);
        case AttentionKind::chunked:
            return static_cast<double>(n / layer.span) * triangle(static_cast<double>(layer.span)) + triangle(static_cast<double>(n % layer.span));
    }
    return 0;
}

double gated_factor(const CardArchitecture& a) { return a.ffn_type == FfnType::gated ? 3.0 : 2.0; }

}  // namespace

double FlopsBreakdown::total() const { return embedding + attention_projections + attention_scores + mlp + lm_head; }

FlopsBreakdown& FlopsBreakdown::operator+=(const FlopsBreakdown& other) {
    embedding += other.embedding;
    attention_projections += other.attention_projections;
    attention_scores += other.attention_scores;
    mlp += other.mlp;
    lm_head += other.lm_head;
    return *this;
}

FlopsBreakdown& FlopsBreakdown::operator/=(double divisor) {
    embedding /= divisor;
    attention_projections /= divisor;
    attention_scores /= divisor;
    mlp /= divisor;
    lm_head /= divisor;
    return *this;
}

FlopsBreakdown forward_flops(const ModelCard& card, int64_t first_position, int64_t tokens, int64_t logit_rows) {
    if (first_position < 0 || tokens < 0 || logit_rows < 0 || logit_rows > tokens)
        throw Error("forward FLOPs of '" + card.name + "': need 0 <= logit rows <= tokens and a non-negative first position");
    const CardArchitecture& a = card.architecture;
    const double d = static_cast<double>(a.hidden_size), n = static_cast<double>(tokens);
    const double q_dim = static_cast<double>(a.heads) * static_cast<double>(a.head_dim);
    const double kv_dim = static_cast<double>(a.kv_heads) * static_cast<double>(a.head_dim);
    FlopsBreakdown f;
    for (int32_t il = 0; il < a.layers; ++il) {
        f.attention_projections += 2 * n * (d * (q_dim + 2 * kv_dim) + q_dim * d);
        const LayerAttention& layer = a.layer_attention.at(static_cast<size_t>(il));
        const double keys = visible_keys_before(layer, first_position + tokens) - visible_keys_before(layer, first_position);
        f.attention_scores += 4 * keys * q_dim;  // q.k and the value product: one multiply-add each per key and query dimension
        if (a.is_moe_layer(il)) {
            const MixtureOfExperts& m = *a.moe;
            const double experts = static_cast<double>(m.experts_per_token + m.shared_experts);
            f.mlp += 2 * n * (d * m.experts + experts * gated_factor(a) * d * static_cast<double>(m.expert_ffn_size));
        } else {
            f.mlp += 2 * n * gated_factor(a) * d * static_cast<double>(a.ffn_size);
        }
    }
    f.lm_head = 2 * static_cast<double>(logit_rows) * d * static_cast<double>(a.vocab_size);
    return f;
}

FlopsEstimate estimate_flops(const ModelCard& card, int64_t context) {
    if (context < 1) throw Error("FLOPs estimate of '" + card.name + "': the context length must be at least 1 token");
    FlopsEstimate e;
    e.context = context;
    e.prefill = forward_flops(card, 0, context, context);
    e.prefill /= static_cast<double>(context);
    e.decode = forward_flops(card, context, 1, 1);
    e.params_total = card.params_total();
    e.params_active = card.params_active();
    return e;
}

double kaplan_forward_flops(const ModelCard& card, int64_t context) {
    const CardArchitecture& a = card.architecture;
    const double non_embedding = static_cast<double>(card.params_active() - card.params_embedding());
    const double d_attn = static_cast<double>(a.heads) * static_cast<double>(a.head_dim);
    return 2 * non_embedding + 2 * static_cast<double>(a.layers) * static_cast<double>(context) * d_attn;
}

std::optional<double> training_flops(const ModelCard& card) {
    if (!card.training_tokens) return std::nullopt;
    return 6.0 * static_cast<double>(card.params_active()) * *card.training_tokens;
}

}  // namespace flopwise::compute

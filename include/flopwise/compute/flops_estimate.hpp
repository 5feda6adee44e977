#pragma once
#include <cstdint>
#include <optional>

#include "flopwise/compute/model_card.hpp"

namespace flopwise::compute {

// FLOPs per token, a multiply-add = 2 FLOPs. Linear layers (the LM head included) and attention
// scores and value products over the keys each query sees; element-wise work (norms, activations,
// RoPE, softmax, biases, residual adds) is excluded, as in the engine's counts.
struct FlopsBreakdown {
    double embedding = 0;              // a table lookup: no multiply-adds
    double attention_projections = 0;  // q, k, v and output projections
    double attention_scores = 0;       // q.k scores and value products
    double mlp = 0;                    // dense MLP, or router + routed and shared experts
    double lm_head = 0;                // output projection over the vocabulary
    double total() const;
    FlopsBreakdown& operator+=(const FlopsBreakdown& other);
    FlopsBreakdown& operator/=(double divisor);
};

struct FlopsEstimate {
    int64_t context = 0;
    FlopsBreakdown prefill;  // per-token average over a prompt of `context` tokens, logits at every position
    FlopsBreakdown decode;   // one token after `context` tokens
    int64_t params_total = 0, params_active = 0;
};

FlopsEstimate estimate_flops(const ModelCard& card, int64_t context);

// The FLOPs (not per token) of one forward pass over `tokens` new tokens at positions
// [first_position, first_position + tokens) of a sequence, with logits at `logit_rows` of them:
// what the engine counts for the same step.
FlopsBreakdown forward_flops(const ModelCard& card, int64_t first_position, int64_t tokens, int64_t logit_rows);

// Kaplan et al. (2020): C_forward = 2N + 2 n_layer n_ctx d_attn per token, N the (active)
// non-embedding parameters; embeddings and the LM head are outside it.
double kaplan_forward_flops(const ModelCard& card, int64_t context);

std::optional<double> training_flops(const ModelCard& card);  // ~6 * params_active * training_tokens

}  // namespace flopwise::compute

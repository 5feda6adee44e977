#pragma once
#include <cstdint>

#include "flopwise/kernels/isa.hpp"

namespace flopwise::kernels {

struct AttentionShape {
    int32_t n_head = 0;
    int32_t n_head_kv = 0;    // grouped-query attention: n_head is a multiple of n_head_kv
    int32_t head_dim = 0;
    float scale = 1.0f;       // applied to q.k before the softmax
    int32_t window = 0;       // sliding window: key j is visible to query i only when pos_i - j < window; 0 = none
    float softcap = 0.0f;     // logit soft-capping (cap * tanh(s / cap)); 0 = none
};

// Causal attention of one sequence. Query i sits at position q_pos[i] and sees keys 0..q_pos[i]
// (within the window). q: [n_query][n_head*head_dim] rows ldq apart; k, v: key/value rows for
// positions 0..n_key-1, ldkv apart, [n_head_kv*head_dim] each; out like q.
// Keys are visited in fixed blocks aligned to absolute positions with an online softmax, so a
// query's output depends only on its own row and the keys it sees: not on how many other queries
// share the call, nor on whether its context was computed in this call or an earlier one.
// Returns the FLOPs done (2*head_dim per score and per value product, for the visible keys only).
uint64_t attention(const AttentionShape& shape, const float* q, int64_t ldq, const int32_t* q_pos, int64_t n_query,
                   const float* k, const float* v, int64_t ldkv, int64_t n_key, float* out, int64_t ldo,
                   Isa isa = active_isa());

// Throws flopwise::Error naming what is wrong with a call's shape, strides or query positions
// (q_pos in host memory), as every implementation checks before it computes.
void check_attention_arguments(const AttentionShape& shape, int64_t ldq, const int32_t* q_pos, int64_t n_query, int64_t ldkv,
                               int64_t n_key, int64_t ldo);

// The FLOPs attention() counts for these queries: 4*head_dim*n_head per visible key (its score
// and its share of the value sum), whatever the implementation.
uint64_t attention_flops(const AttentionShape& shape, const int32_t* q_pos, int64_t n_query);

// Reference: a plain two-pass softmax in float64.
void attention_reference(const AttentionShape& shape, const float* q, int64_t ldq, const int32_t* q_pos,
                         int64_t n_query, const float* k, const float* v, int64_t ldkv, int64_t n_key, double* out,
                         int64_t ldo);

}  // namespace flopwise::kernels

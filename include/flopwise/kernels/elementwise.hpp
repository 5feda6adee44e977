#pragma once
#include <cstdint>

#include "flopwise/kernels/isa.hpp"

namespace flopwise::kernels {

// y = x / sqrt(mean(x^2) + eps) * weight (weight may be null for a plain normalisation).
// The mean is accumulated in float64, in index order. y may alias x.
void rms_norm(const float* x, const float* weight, float* y, int64_t n, float eps);

// Rotary position embedding of one token, in place, for n_head heads of head_dim values each; the
// first rope_dims dimensions of each head rotate. cos_sin holds rope_dims/2 (cos, sin) pairs for the
// token's position. Layout: `interleaved` rotates pairs (2i, 2i+1) (GGML "normal", Llama);
// otherwise (i, i + rope_dims/2) (GGML "NeoX", Qwen2 and Gemma).
enum class RopeLayout { interleaved, neox };
void rope(float* x, int32_t n_head, int32_t head_dim, int32_t rope_dims, const float* cos_sin, RopeLayout layout);
// Fills cos_sin for `position`: theta_i = position * freq_scale * base^(-2i/rope_dims) / factor_i,
// computed in float64. factors may be null (all 1).
void rope_angles(int64_t position, int32_t rope_dims, double freq_base, double freq_scale, const float* factors,
                 float* cos_sin);

// In-place activations used by gated MLPs: gate = act(gate) * up.
void silu_mul(float* gate, const float* up, int64_t n, Isa isa = active_isa());
void gelu_tanh_mul(float* gate, const float* up, int64_t n, Isa isa = active_isa());

// log(sum(exp(x))) in float64 (stable; NaN if any x is NaN), and the index of the largest value
// (first on ties; NaN values are ignored, 0 when no value exceeds -inf; throws when n <= 0).
double log_sum_exp(const float* x, int64_t n, Isa isa = active_isa());
int64_t argmax(const float* x, int64_t n, Isa isa = active_isa());

}  // namespace flopwise::kernels

#pragma once
#include <cstdint>

#include "flopwise/kernels/elementwise.hpp"

// The GPU counterparts of kernels/elementwise.hpp, over `rows` rows at once; every pointer is
// device memory. rms_norm and rope perform the CPU's float operations in the CPU's order (the CUDA
// build disables contraction into FMA) and so give its bits; the activations and the log-sum-exp
// use CUDA's exp and may differ from the CPU in the last bits.
namespace flopwise::kernels::cuda {

// y row r = rms_norm(x row r) (see kernels::rms_norm: float64 mean in index order); y may alias x.
void rms_norm(const float* x, int64_t ldx, const float* weight, float* y, int64_t ldy, int64_t rows, int64_t n, float eps);

// kernels::rope on each row: row r holds n_head heads of head_dim values (rows ldx apart) and
// rotates by the rope_dims/2 (cos, sin) pairs at cos_sin + r * rope_dims.
void rope(float* x, int64_t ldx, int64_t rows, int32_t n_head, int32_t head_dim, int32_t rope_dims, const float* cos_sin,
          RopeLayout layout);

enum class Gate { silu, gelu_tanh };
// gate = act(gate) * up, elementwise over n values.
void gated_activation(Gate gate_kind, float* gate, const float* up, int64_t n);

// x[i] += y[i].
void add(float* x, const float* y, int64_t n);
// y row r += bias, for rows of n values.
void add_bias(float* y, int64_t rows, int64_t n, const float* bias);

// Per row of n logits: log(sum(exp(x))) in float64 and the index of the largest value (first on
// ties), as kernels::log_sum_exp and kernels::argmax define them. The log-softmax of the row is
// then x - log_sum_exp.
void log_softmax_stats(const float* x, int64_t rows, int64_t n, double* log_sum_exp, int64_t* argmax);

}  // namespace flopwise::kernels::cuda

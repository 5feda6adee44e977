#pragma once
#include <cstdint>

#include "flopwise/kernels/attention.hpp"

namespace flopwise::kernels::cuda {

// kernels::attention on the GPU, every pointer (q_pos too) in device memory. One warp per (query,
// head) streams over the visible keys in position order with an online softmax (flash-style: the
// score matrix is never stored); lanes split the head dimension. A query's output depends only on
// its row and the keys it sees, so results are batch-invariant. Returns the FLOPs done, counted as
// kernels::attention_flops counts them.
uint64_t attention(const AttentionShape& shape, const float* q, int64_t ldq, const int32_t* q_pos, int64_t n_query,
                   const float* k, const float* v, int64_t ldkv, int64_t n_key, float* out, int64_t ldo,
                   const int32_t* host_q_pos);

}  // namespace flopwise::kernels::cuda

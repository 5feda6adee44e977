#pragma once
#include <cstdint>

#include "flopwise/kernels/matmul.hpp"

namespace flopwise::kernels::cuda {

// The GPU counterpart of kernels::matmul: y[t*ldy + r] = sum_k W[r][k] * x[t*ldx + k], with `w`'s
// data in device memory (any type dequantize_row_reference decodes; each weight decoded to the
// reference's float) and x, y device pointers. One warp owns a weight row: lane l accumulates the
// products of columns l, l+32, l+64, ... in that order with fused multiply-adds, and the 32 partial
// sums are combined by one fixed butterfly. That order depends only on `cols`, so the results are
// batch-invariant like the CPU's (not the same bits as the CPU: the reduction order differs).
// Returns the FLOPs done (2*t*r*k).
uint64_t matmul(const WeightView& w, const float* x, int64_t ldx, int64_t tokens, float* y, int64_t ldy);

// Decodes a whole device weight matrix into `out` (rows*cols floats, device), bit-identical to
// dequantize_row_reference on each row.
void dequantize(const WeightView& w, float* out);

// The reference line of the benchmarks: the same product by cuBLAS (SGEMM, TF32 off) on float32
// weights already in device memory, `w` being [rows][cols] row-major. cuBLAS chooses its algorithm
// by shape, so these results are not batch-invariant. Returns the FLOPs done.
uint64_t cublas_matmul(const float* w, int64_t rows, int64_t cols, const float* x, int64_t ldx, int64_t tokens, float* y,
                       int64_t ldy);

}  // namespace flopwise::kernels::cuda

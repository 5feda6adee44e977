#pragma once
#include <cstdint>
#include <span>

#include "flopwise/kernels/isa.hpp"
#include "flopwise/tensor_type.hpp"

namespace flopwise::kernels {

// A weight matrix as stored in a GGUF tensor: `rows` output rows of `cols` values each, every row
// a whole number of quantization blocks, rows `row_stride` bytes apart.
struct WeightView {
    TensorType type = TensorType::F32;
    const void* data = nullptr;
    int64_t rows = 0;
    int64_t cols = 0;
    uint64_t row_stride = 0;
};

// y[t*ldy + r] = sum_k W[r][k] * x[t*ldx + k] for t < tokens and r < rows, in float32 with the
// weights decoded exactly as dequantize_row_reference decodes them (activations are never rounded
// to 8 bits). Batch-invariant: each output's reduction order depends only on `cols` and `isa`,
// never on `tokens`, on which tokens share the call, or on the thread count, so a request scores
// to the same bits alone or in any batch. Parallel over oneTBB. Returns the FLOPs done (2*t*r*k).
uint64_t matmul(const WeightView& w, const float* x, int64_t ldx, int64_t tokens, float* y, int64_t ldy,
                Isa isa = active_isa());

// Several products of one input (a layer's Q, K and V projections; its gate and up projections),
// each output exactly as matmul() computes it, in one parallel sweep: the threads synchronize once
// for all of them and share out the small ones' work. Returns the FLOPs done.
struct MatmulOutput {
    WeightView w;
    float* y = nullptr;
    int64_t ldy = 0;
};
uint64_t matmul_same_input(std::span<const MatmulOutput> outputs, const float* x, int64_t ldx, int64_t tokens,
                           Isa isa = active_isa());

// Slow reference: reference dequantization, float64 accumulation.
void matmul_reference(const WeightView& w, const float* x, int64_t ldx, int64_t tokens, double* y, int64_t ldy);

// Decodes one row of a weight tensor, bit-identical to dequantize_row_reference.
void dequantize_row(TensorType type, const void* src, float* dst, int64_t elements, Isa isa = active_isa());

}  // namespace flopwise::kernels

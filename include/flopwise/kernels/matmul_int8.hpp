#pragma once
#include <cstdint>

#include "flopwise/kernels/isa.hpp"
#include "flopwise/kernels/matmul.hpp"
#include "flopwise/tensor_type.hpp"

namespace flopwise::kernels {

// The fast numerics, opt-in and never the default: each token's activations are rounded to int8 in
// blocks of 32 (scale max|x| / 127, round to nearest even), every block's product with the
// weights' integers is done exactly in int32 by byte dot products, and the blocks are summed in
// float32 (the block scales' product times the integer sum) in one fixed order. This is the
// shortcut other engines take; it costs accuracy where activations have outliers, so results made
// with it are labelled (an engine option, part of the model identity). Like matmul() it is
// batch-invariant, and every ISA path gives the scalar path's bits.
//
// Weight types with such a product; matmul_int8_activations throws flopwise::Error for others.
bool has_int8_activation_product(TensorType type);

uint64_t matmul_int8_activations(const WeightView& w, const float* x, int64_t ldx, int64_t tokens, float* y, int64_t ldy,
                                 Isa isa = active_isa());

}  // namespace flopwise::kernels

#pragma once
#include <cstdint>

#include "flopwise/kernels/isa.hpp"
#include "flopwise/tensor_type.hpp"

namespace flopwise::kernels {

// Decodes `elements` values (a whole number of blocks) of one weight row into float32, bit-identical
// to dequantize_row_reference. No argument checks: callers validate the row once.
using RowDecoder = void (*)(const uint8_t* src, float* dst, int64_t elements);

// The decoder of `type` on `isa`'s path; throws flopwise::Error for types that hold no weights.
RowDecoder row_decoder(TensorType type, Isa isa);

}  // namespace flopwise::kernels

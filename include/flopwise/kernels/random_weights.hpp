#pragma once
#include <cstdint>
#include <vector>

#include "flopwise/tensor_type.hpp"

namespace flopwise::kernels {

// How the fp16 scale/min words of random weights are drawn.
enum class HalfRange {
    moderate,  // scales of a real model: weights of magnitude ~0.01..1
    any,       // every finite half, subnormals included: exercises exact decoding
};

// Reproducible random weight rows of `type` for tests and benchmarks, `row_stride` bytes apart
// (0: packed). Quant bits are uniformly random; fp16 fields are finite (NaN payloads are not part of
// the bit-exactness contract); F32 values are uniform in [-1, 1] (never subnormal, which would
// slow some CPUs down and distort timings).
std::vector<uint8_t> random_weights(TensorType type, int64_t rows, int64_t cols, uint32_t seed,
                                    HalfRange range = HalfRange::moderate, uint64_t row_stride = 0);

// Reproducible activations: `n` values uniform in [low, high).
std::vector<float> random_values(size_t n, uint32_t seed, float low = -1.0f, float high = 1.0f);

}  // namespace flopwise::kernels

#pragma once
// Shared helpers of the kernel tests: reproducible random data and one test instance per ISA path
// this CPU supports.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "flopwise/kernels/isa.hpp"
#include "flopwise/tensor_type.hpp"

namespace flopwise::kernels {
// Test names and failure messages show the path's name.
inline void PrintTo(Isa isa, std::ostream* os) { *os << name(isa); }
}  // namespace flopwise::kernels

namespace flopwise::kernels::test {

inline std::vector<float> random_floats(size_t n, uint32_t seed, float low = -1.0f, float high = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(low, high);
    std::vector<float> values(n);
    for (float& v : values) v = dist(rng);
    return values;
}

// Index of the first element whose bits differ, or -1.
inline int64_t first_bit_difference(const float* a, const float* b, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return i;
    return -1;
}

// Every type a weight tensor can have.
inline const std::vector<TensorType>& weight_types() {
    static const std::vector<TensorType> types{TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q4_0,
                                               TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0,
                                               TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K,
                                               TensorType::Q6_K};
    return types;
}

// Byte offsets of the fp16 scale/min fields inside one block.
inline std::vector<int> half_fields(TensorType type) {
    switch (type) {
        case TensorType::Q4_0:
        case TensorType::Q5_0:
        case TensorType::Q8_0: return {0};
        case TensorType::Q4_1:
        case TensorType::Q5_1:
        case TensorType::Q4_K:
        case TensorType::Q5_K: return {0, 2};
        case TensorType::Q2_K: return {80, 82};
        case TensorType::Q3_K: return {108};
        case TensorType::Q6_K: return {208};
        default: return {};
    }
}

// How the fp16 words of random weights are drawn.
enum class HalfRange {
    moderate,  // scales of a real model: weights of magnitude ~0.01..1
    any,       // every finite half, subnormals included: exercises exact decoding
};

// Random weight rows of `type`, `row_stride` bytes apart (0: packed). Quant bits are uniformly random;
// fp16 fields are finite (NaN payloads are not part of the bit-exactness contract).
inline std::vector<uint8_t> random_weights(TensorType type, int64_t rows, int64_t cols, uint32_t seed,
                                           HalfRange range = HalfRange::moderate, uint64_t row_stride = 0) {
    const TensorTypeTraits& t = traits(type);
    const uint64_t bytes = row_bytes(type, static_cast<uint64_t>(cols));
    if (row_stride == 0) row_stride = bytes;
    std::mt19937 rng(seed);
    std::vector<uint8_t> data(static_cast<size_t>(row_stride * static_cast<uint64_t>(rows)));
    for (uint8_t& b : data) b = static_cast<uint8_t>(rng());

    std::uniform_real_distribution<float> moderate(-1.0f, 1.0f);
    // Random bits that are not an infinity or NaN (all exponent bits set).
    const auto finite_bits = [&](uint16_t exponent_mask) {
        uint16_t h;
        do h = static_cast<uint16_t>(rng());
        while ((h & exponent_mask) == exponent_mask);
        return h;
    };
    const auto random_half = [&](float magnitude) {
        return range == HalfRange::moderate ? fp32_to_fp16(moderate(rng) * magnitude) : finite_bits(0x7C00u);
    };
    const auto random_bf16 = [&] {
        return range == HalfRange::moderate ? static_cast<uint16_t>(std::bit_cast<uint32_t>(moderate(rng)) >> 16)
                                            : finite_bits(0x7F80u);
    };
    const auto put = [&](uint8_t* p, uint16_t h) { std::memcpy(p, &h, sizeof h); };
    for (int64_t r = 0; r < rows; ++r) {
        uint8_t* row = data.data() + static_cast<uint64_t>(r) * row_stride;
        if (type == TensorType::F32) {
            for (int64_t i = 0; i < cols; ++i) {
                const float v = moderate(rng);
                std::memcpy(row + 4 * i, &v, sizeof v);
            }
        } else if (type == TensorType::F16) {
            for (int64_t i = 0; i < cols; ++i) put(row + 2 * i, random_half(1.0f));
        } else if (type == TensorType::BF16) {
            for (int64_t i = 0; i < cols; ++i) put(row + 2 * i, random_bf16());
        } else {
            // Scales near 1/range of the quants, so that weights come out near [-1, 1].
            const float magnitude = t.block_elements == 256 ? 0.02f : 0.1f;
            for (uint64_t b = 0; b < bytes / t.block_bytes; ++b)
                for (int offset : half_fields(type)) put(row + b * t.block_bytes + offset, random_half(magnitude));
        }
    }
    return data;
}

inline std::string isa_test_name(const testing::TestParamInfo<Isa>& info) { return std::string(name(info.param)); }

}  // namespace flopwise::kernels::test

// Instantiates a TEST_P suite once per supported ISA path.
#define FLOPWISE_INSTANTIATE_FOR_EACH_ISA(suite)                                                 \
    INSTANTIATE_TEST_SUITE_P(Isa, suite, testing::ValuesIn(flopwise::kernels::supported_isas()), \
                             flopwise::kernels::test::isa_test_name)

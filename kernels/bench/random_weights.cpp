#include "flopwise/kernels/random_weights.hpp"

#include <bit>
#include <cstring>
#include <random>

namespace flopwise::kernels {
namespace {

// Byte offsets of the fp16 scale/min fields inside one block of each GGML block format.
std::vector<int> half_fields(TensorType type) {
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

}  // namespace

std::vector<uint8_t> random_weights(TensorType type, int64_t rows, int64_t cols, uint32_t seed, HalfRange range,
                                    uint64_t row_stride) {
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

std::vector<float> random_values(size_t n, uint32_t seed, float low, float high) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(low, high);
    std::vector<float> values(n);
    for (float& v : values) v = dist(rng);
    return values;
}

}  // namespace flopwise::kernels

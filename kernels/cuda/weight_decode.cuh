#pragma once
// Device decoding of one stored weight, by the formulas of dequantize_row_reference (same float
// operations in the same order; the CUDA build disables contraction into FMA), so a decoded weight
// has the reference's bits. Blocks are read byte by byte: GGUF rows need not be aligned.
#include <cuda_fp16.h>
#include <cstdint>

#include "flopwise/tensor_type.hpp"

namespace flopwise::kernels::cuda {

__device__ inline float half_at(const uint8_t* p) {
    return __half2float(__ushort_as_half(static_cast<unsigned short>(p[0] | (p[1] << 8))));
}
__device__ inline float bf16_at(const uint8_t* p) {
    return __uint_as_float(static_cast<unsigned>(p[0] | (p[1] << 8)) << 16);
}
__device__ inline int nibble32(const uint8_t* qs, int i) { return i < 16 ? qs[i] & 0x0F : qs[i - 16] >> 4; }
__device__ inline int fifth_bit(const uint8_t* qh, int i) { return ((qh[i / 8] >> (i % 8)) & 1) << 4; }

struct ScaleMin {
    int scale, min;
};
__device__ inline ScaleMin k_scale_min(const uint8_t* packed, int s) {
    if (s < 4) return {packed[s] & 63, packed[s + 4] & 63};
    return {(packed[s + 4] & 0x0F) | ((packed[s - 4] >> 6) << 4), (packed[s + 4] >> 4) | ((packed[s] >> 6) << 4)};
}
__device__ inline int k_nibble(const uint8_t* qs, int e) {
    const int s = e / 32;
    const uint8_t byte = qs[32 * (s / 2) + e % 32];
    return s % 2 == 0 ? byte & 0x0F : byte >> 4;
}
__device__ inline int q3_k_scale(const uint8_t* scales, int s) {
    const int low = s < 8 ? scales[s] & 0x0F : scales[s - 8] >> 4;
    const int high = (scales[8 + s % 4] >> (2 * (s / 4))) & 3;
    return (low | (high << 4)) - 32;
}

// Element e (within its block) of the block at `b`.
template <TensorType T>
__device__ inline float block_element(const uint8_t* b, int e);

template <> __device__ inline float block_element<TensorType::F32>(const uint8_t* b, int) {
    return __uint_as_float(static_cast<unsigned>(b[0]) | static_cast<unsigned>(b[1]) << 8 |
                           static_cast<unsigned>(b[2]) << 16 | static_cast<unsigned>(b[3]) << 24);
}
template <> __device__ inline float block_element<TensorType::F16>(const uint8_t* b, int) { return half_at(b); }
template <> __device__ inline float block_element<TensorType::BF16>(const uint8_t* b, int) { return bf16_at(b); }
template <> __device__ inline float block_element<TensorType::Q4_0>(const uint8_t* b, int e) {
    return half_at(b) * static_cast<float>(nibble32(b + 2, e) - 8);
}
template <> __device__ inline float block_element<TensorType::Q4_1>(const uint8_t* b, int e) {
    return half_at(b) * static_cast<float>(nibble32(b + 4, e)) + half_at(b + 2);
}
template <> __device__ inline float block_element<TensorType::Q5_0>(const uint8_t* b, int e) {
    return half_at(b) * static_cast<float>((nibble32(b + 6, e) | fifth_bit(b + 2, e)) - 16);
}
template <> __device__ inline float block_element<TensorType::Q5_1>(const uint8_t* b, int e) {
    return half_at(b) * static_cast<float>(nibble32(b + 8, e) | fifth_bit(b + 4, e)) + half_at(b + 2);
}
template <> __device__ inline float block_element<TensorType::Q8_0>(const uint8_t* b, int e) {
    return half_at(b) * static_cast<float>(static_cast<int8_t>(b[2 + e]));
}
template <> __device__ inline float block_element<TensorType::Q2_K>(const uint8_t* b, int e) {
    const int h = e / 128, j = (e % 128) / 32, l = e % 32;
    const float dl = half_at(b + 80) * static_cast<float>(b[e / 16] & 0x0F);
    const float ml = half_at(b + 82) * static_cast<float>(b[e / 16] >> 4);
    return dl * static_cast<float>((b[16 + 32 * h + l] >> (2 * j)) & 3) - ml;
}
template <> __device__ inline float block_element<TensorType::Q3_K>(const uint8_t* b, int e) {
    const int h = e / 128, j = (e % 128) / 32, l = e % 32;
    const float dl = half_at(b + 108) * static_cast<float>(q3_k_scale(b + 96, e / 16));
    const int low = (b[32 + 32 * h + l] >> (2 * j)) & 3;
    const int high_clear = ((b[l] >> (4 * h + j)) & 1) ? 0 : 4;
    return dl * static_cast<float>(low - high_clear);
}
template <> __device__ inline float block_element<TensorType::Q4_K>(const uint8_t* b, int e) {
    const ScaleMin sm = k_scale_min(b + 4, e / 32);
    const float dl = half_at(b) * static_cast<float>(sm.scale);
    const float ml = half_at(b + 2) * static_cast<float>(sm.min);
    return dl * static_cast<float>(k_nibble(b + 16, e)) - ml;
}
template <> __device__ inline float block_element<TensorType::Q5_K>(const uint8_t* b, int e) {
    const ScaleMin sm = k_scale_min(b + 4, e / 32);
    const float dl = half_at(b) * static_cast<float>(sm.scale);
    const float ml = half_at(b + 2) * static_cast<float>(sm.min);
    const int q = k_nibble(b + 48, e) | (((b[16 + e % 32] >> (e / 32)) & 1) << 4);
    return dl * static_cast<float>(q) - ml;
}
template <> __device__ inline float block_element<TensorType::Q6_K>(const uint8_t* b, int e) {
    const int h = e / 128, k = (e % 128) / 64, j = (e % 64) / 32, l = e % 32;
    const int low = (b[64 * h + 32 * j + l] >> (4 * k)) & 0x0F;
    const int high = (b[128 + 32 * h + l] >> (2 * (2 * k + j))) & 3;
    const float dl = half_at(b + 208) * static_cast<float>(static_cast<int8_t>(b[192 + e / 16]));
    return dl * static_cast<float>((low | (high << 4)) - 32);
}

// Layout of type T: elements and bytes per block.
template <TensorType T>
struct BlockShape {
    static constexpr int elements = T == TensorType::F32 || T == TensorType::F16 || T == TensorType::BF16 ? 1
                                    : T == TensorType::Q2_K || T == TensorType::Q3_K || T == TensorType::Q4_K ||
                                              T == TensorType::Q5_K || T == TensorType::Q6_K
                                        ? 256
                                        : 32;
    static constexpr int bytes = T == TensorType::F32    ? 4
                                 : T == TensorType::F16  ? 2
                                 : T == TensorType::BF16 ? 2
                                 : T == TensorType::Q4_0 ? 18
                                 : T == TensorType::Q4_1 ? 20
                                 : T == TensorType::Q5_0 ? 22
                                 : T == TensorType::Q5_1 ? 24
                                 : T == TensorType::Q8_0 ? 34
                                 : T == TensorType::Q2_K ? 84
                                 : T == TensorType::Q3_K ? 110
                                 : T == TensorType::Q4_K ? 144
                                 : T == TensorType::Q5_K ? 176
                                                         : 210;
};

// Weight k of a row starting at `row`.
template <TensorType T>
__device__ inline float weight_at(const uint8_t* row, int64_t k) {
    constexpr int E = BlockShape<T>::elements;
    return block_element<T>(row + (k / E) * BlockShape<T>::bytes, static_cast<int>(k % E));
}

// Calls f.template operator()<T>() for the runtime type; false for a type with no decoder.
template <typename F>
bool with_weight_type(TensorType type, F&& f) {
    switch (type) {
        case TensorType::F32: f.template operator()<TensorType::F32>(); return true;
        case TensorType::F16: f.template operator()<TensorType::F16>(); return true;
        case TensorType::BF16: f.template operator()<TensorType::BF16>(); return true;
        case TensorType::Q4_0: f.template operator()<TensorType::Q4_0>(); return true;
        case TensorType::Q4_1: f.template operator()<TensorType::Q4_1>(); return true;
        case TensorType::Q5_0: f.template operator()<TensorType::Q5_0>(); return true;
        case TensorType::Q5_1: f.template operator()<TensorType::Q5_1>(); return true;
        case TensorType::Q8_0: f.template operator()<TensorType::Q8_0>(); return true;
        case TensorType::Q2_K: f.template operator()<TensorType::Q2_K>(); return true;
        case TensorType::Q3_K: f.template operator()<TensorType::Q3_K>(); return true;
        case TensorType::Q4_K: f.template operator()<TensorType::Q4_K>(); return true;
        case TensorType::Q5_K: f.template operator()<TensorType::Q5_K>(); return true;
        case TensorType::Q6_K: f.template operator()<TensorType::Q6_K>(); return true;
        default: return false;
    }
}

}  // namespace flopwise::kernels::cuda

#include <immintrin.h>

#include <cstring>
#include <string>

#include "flopwise/error.hpp"
#include "flopwise/kernels/matmul.hpp"
#include "isa_support.hpp"
#include "quant_blocks.hpp"
#include "row_decoder.hpp"
#include "simd.hpp"

// AVX2 weight decoders, bit-identical to dequantize_row_reference: quantized blocks go through the
// unpacking of quant_blocks.hpp, float types convert directly. The AVX-512 path uses these decoders
// too: decoding is bound by byte shuffling and stores, where wider registers gain little.

namespace flopwise::kernels {
namespace {

template <class Layout>
FLOPWISE_AVX2 [[gnu::flatten]] void decode_quantized(const uint8_t* src, float* y, int64_t n) {
    quant::Unpacked u;
    for (int64_t b = 0; b < n / Layout::elements; ++b, src += Layout::bytes, y += Layout::elements) {
        Layout::unpack(src, u);
        for (int i = 0; i < Layout::elements; i += simd::Avx2::lanes)
            simd::Avx2::store(y + i, quant::weights<simd::Avx2, Layout>(u, i));
    }
}

template <TensorType type>
FLOPWISE_AVX2 [[gnu::flatten]] void decode_half(const uint8_t* src, float* y, int64_t n) {
    using S = simd::Avx2;
    int64_t i = 0;
    for (; i + S::lanes <= n; i += S::lanes) {
        if constexpr (type == TensorType::F16)
            S::store(y + i, S::from_f16(src + 2 * i));
        else
            S::store(y + i, S::from_bf16(src + 2 * i));
    }
    for (; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, sizeof h);
        y[i] = type == TensorType::F16 ? fp16_to_fp32(h) : bf16_to_fp32(h);
    }
}

void decode_f32(const uint8_t* src, float* y, int64_t n) {
    std::memcpy(y, src, static_cast<size_t>(n) * sizeof(float));
}

template <TensorType type>
void decode_reference(const uint8_t* src, float* y, int64_t n) {
    dequantize_row_reference(type, src, y, n);
}

}  // namespace

RowDecoder row_decoder(TensorType type, Isa isa) {
    const bool vector = isa != Isa::scalar;
    switch (type) {
        case TensorType::F32: return decode_f32;
        case TensorType::F16: return vector ? decode_half<TensorType::F16> : decode_reference<TensorType::F16>;
        case TensorType::BF16: return vector ? decode_half<TensorType::BF16> : decode_reference<TensorType::BF16>;
        case TensorType::Q4_0: return vector ? decode_quantized<quant::Q4_0> : decode_reference<TensorType::Q4_0>;
        case TensorType::Q4_1: return vector ? decode_quantized<quant::Q4_1> : decode_reference<TensorType::Q4_1>;
        case TensorType::Q5_0: return vector ? decode_quantized<quant::Q5_0> : decode_reference<TensorType::Q5_0>;
        case TensorType::Q5_1: return vector ? decode_quantized<quant::Q5_1> : decode_reference<TensorType::Q5_1>;
        case TensorType::Q8_0: return vector ? decode_quantized<quant::Q8_0> : decode_reference<TensorType::Q8_0>;
        case TensorType::Q2_K: return vector ? decode_quantized<quant::Q2_K> : decode_reference<TensorType::Q2_K>;
        case TensorType::Q3_K: return vector ? decode_quantized<quant::Q3_K> : decode_reference<TensorType::Q3_K>;
        case TensorType::Q4_K: return vector ? decode_quantized<quant::Q4_K> : decode_reference<TensorType::Q4_K>;
        case TensorType::Q5_K: return vector ? decode_quantized<quant::Q5_K> : decode_reference<TensorType::Q5_K>;
        case TensorType::Q6_K: return vector ? decode_quantized<quant::Q6_K> : decode_reference<TensorType::Q6_K>;
        default: break;
    }
    throw Error("tensor type " + std::string(name(type)) + " holds no weights: it cannot be decoded or multiplied");
}

void dequantize_row(TensorType type, const void* src, float* dst, int64_t elements, Isa isa) {
    if (elements < 0) throw Error("dequantize " + std::string(name(type)) + ": negative element count");
    row_bytes(type, static_cast<uint64_t>(elements));  // throws unless a whole number of blocks
    require_supported(isa, "dequantize_row");
    const RowDecoder decode = row_decoder(type, isa);
    if (elements > 0) decode(static_cast<const uint8_t*>(src), dst, elements);
}

}  // namespace flopwise::kernels

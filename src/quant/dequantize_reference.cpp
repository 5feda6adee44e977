#include <cstring>
#include <string>

#include "flopwise/error.hpp"
#include "flopwise/tensor_type.hpp"

// Scalar reference decoders: they define the value of every stored weight. Each formula is written
// as separate float operations in a fixed order (the build disables FMA contraction), and any fast
// kernel must perform the same operations in the same order to give bit-identical results.
// Integer quants are converted to float exactly. With fp16 scales (11 significant bits), every
// product below is exact in float32 except in Q6_K, where d (11 bits) * int8 scale (8 bits) * q
// (6 bits) can need 25 bits: there `(d * scale)` must come first, then `* q`. Elsewhere the single
// rounding step is the final `+ m` / `- (dmin * min)`, which must not be reassociated.
namespace flopwise {
namespace {

constexpr int kQK = 32;    // elements per block of the 32-element formats
constexpr int kQK_K = 256; // elements per super-block of the K formats

float half_at(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return fp16_to_fp32(h);
}

// Element i of a 32-element block of nibbles: the low nibbles hold elements 0..15, the high 16..31.
int nibble32(const uint8_t* qs, int i) { return i < 16 ? qs[i] & 0x0F : qs[i - 16] >> 4; }

// Q4_0, 18 bytes: fp16 d, 16 bytes of nibbles.  y = d * float(q - 8)
void q4_0(const uint8_t* block, float* y) {
    const float d = half_at(block);
    const uint8_t* qs = block + 2;
    for (int i = 0; i < kQK; ++i) y[i] = d * static_cast<float>(nibble32(qs, i) - 8);
}

// Q4_1, 20 bytes: fp16 d, fp16 m, 16 bytes of nibbles.  y = (d * float(q)) + m
void q4_1(const uint8_t* block, float* y) {
    const float d = half_at(block);
    const float m = half_at(block + 2);
    const uint8_t* qs = block + 4;
    for (int i = 0; i < kQK; ++i) y[i] = d * static_cast<float>(nibble32(qs, i)) + m;
}

// Fifth bit of element i of a Q5 block: bit i of the little-endian 32-bit qh.
int fifth_bit(const uint8_t* qh_bytes, int i) {
    uint32_t qh;
    std::memcpy(&qh, qh_bytes, sizeof qh);
    return static_cast<int>((qh >> i) & 1u) << 4;
}

// Q5_0, 22 bytes: fp16 d, uint32 qh, 16 bytes of nibbles.  y = d * float((nibble | bit << 4) - 16)
void q5_0(const uint8_t* block, float* y) {
    const float d = half_at(block);
    const uint8_t* qh = block + 2;
    const uint8_t* qs = block + 6;
    for (int i = 0; i < kQK; ++i) y[i] = d * static_cast<float>((nibble32(qs, i) | fifth_bit(qh, i)) - 16);
}

// Q5_1, 24 bytes: fp16 d, fp16 m, uint32 qh, 16 bytes of nibbles.  y = (d * float(q)) + m
void q5_1(const uint8_t* block, float* y) {
    const float d = half_at(block);
    const float m = half_at(block + 2);
    const uint8_t* qh = block + 4;
    const uint8_t* qs = block + 8;
    for (int i = 0; i < kQK; ++i) y[i] = d * static_cast<float>(nibble32(qs, i) | fifth_bit(qh, i)) + m;
}

// Q8_0, 34 bytes: fp16 d, 32 int8.  y = d * float(q)
void q8_0(const uint8_t* block, float* y) {
    const float d = half_at(block);
    const auto* qs = reinterpret_cast<const int8_t*>(block + 2);
    for (int i = 0; i < kQK; ++i) y[i] = d * static_cast<float>(qs[i]);
}

// Q2_K, 84 bytes: 16 scale bytes (low nibble scale, high nibble min, one per 16 elements),
// 64 bytes of 2-bit quants, fp16 d, fp16 dmin.  Element e = 128*h + 32*j + l (l < 32) is
// bits 2j..2j+1 of qs[32*h + l] and uses scale byte e / 16.
// y = (d * float(scale)) * float(q) - (dmin * float(min))
void q2_k(const uint8_t* block, float* y) {
    const uint8_t* scales = block;
    const uint8_t* qs = block + 16;
    const float d = half_at(block + 80);
    const float dmin = half_at(block + 82);
    for (int e = 0; e < kQK_K; ++e) {
        const int h = e / 128, j = (e % 128) / 32, l = e % 32;
        const float dl = d * static_cast<float>(scales[e / 16] & 0x0F);
        const float ml = dmin * static_cast<float>(scales[e / 16] >> 4);
        const int q = (qs[32 * h + l] >> (2 * j)) & 3;
        y[e] = dl * static_cast<float>(q) - ml;
    }
}

// Q3_K 6-bit scale s (0..15): low 4 bits from bytes 0..7 (low nibbles first, then high nibbles),
// high 2 bits from bytes 8..11 (bits 2*(s/4) of byte 8 + s%4); stored with an offset of 32.
int q3_k_scale(const uint8_t* scales, int s) {
    const int low = s < 8 ? scales[s] & 0x0F : scales[s - 8] >> 4;
    const int high = (scales[8 + s % 4] >> (2 * (s / 4))) & 3;
    return (low | (high << 4)) - 32;
}

// Q3_K, 110 bytes: 32 bytes hmask, 64 bytes of 2-bit quants, 12 bytes of packed 6-bit scales, fp16 d.
// Element e = 128*h + 32*j + l: low bits 2j..2j+1 of qs[32*h + l]; 4 is subtracted when bit
// 4h + j of hmask[l] is clear.  y = (d * float(scale - 32)) * float(q)
void q3_k(const uint8_t* block, float* y) {
    const uint8_t* hmask = block;
    const uint8_t* qs = block + 32;
    const uint8_t* scales = block + 96;
    const float d = half_at(block + 108);
    for (int e = 0; e < kQK_K; ++e) {
        const int h = e / 128, j = (e % 128) / 32, l = e % 32;
        const float dl = d * static_cast<float>(q3_k_scale(scales, e / 16));
        const int low = (qs[32 * h + l] >> (2 * j)) & 3;
        const int high_clear = ((hmask[l] >> (4 * h + j)) & 1) ? 0 : 4;
        y[e] = dl * static_cast<float>(low - high_clear);
    }
}

// Q4_K/Q5_K 6-bit scale and min of sub-block s (0..7) from the 12 packed bytes: for s < 4 the low
// 6 bits of bytes s and s+4; for s >= 4 the nibbles of byte s+4 topped with the 2 high bits of
// bytes s-4 and s.
struct ScaleMin {
    int scale;
    int min;
};
ScaleMin k_scale_min(const uint8_t* packed, int s) {
    if (s < 4) return {packed[s] & 63, packed[s + 4] & 63};
    return {(packed[s + 4] & 0x0F) | ((packed[s - 4] >> 6) << 4), (packed[s + 4] >> 4) | ((packed[s] >> 6) << 4)};
}

// Element e of a K-format super-block of nibbles: sub-block s = e / 32 reads qs[32*(s/2) + e%32],
// low nibble for even s, high nibble for odd s.
int k_nibble(const uint8_t* qs, int e) {
    const int s = e / 32;
    const uint8_t byte = qs[32 * (s / 2) + e % 32];
    return s % 2 == 0 ? byte & 0x0F : byte >> 4;
}

// Q4_K, 144 bytes: fp16 d, fp16 dmin, 12 bytes of packed scales/mins, 128 bytes of nibbles.
// y = (d * float(scale)) * float(q) - (dmin * float(min))
void q4_k(const uint8_t* block, float* y) {
    const float d = half_at(block);
    const float dmin = half_at(block + 2);
    const uint8_t* packed = block + 4;
    const uint8_t* qs = block + 16;
    for (int e = 0; e < kQK_K; ++e) {
        const ScaleMin sm = k_scale_min(packed, e / 32);
        const float dl = d * static_cast<float>(sm.scale);
        const float ml = dmin * static_cast<float>(sm.min);
        y[e] = dl * static_cast<float>(k_nibble(qs, e)) - ml;
    }
}

// Q5_K, 176 bytes: fp16 d, fp16 dmin, 12 bytes of packed scales/mins, 32 bytes qh, 128 bytes of
// nibbles. The fifth bit of element e is bit e/32 of qh[e % 32].
// y = (d * float(scale)) * float(q) - (dmin * float(min))
void q5_k(const uint8_t* block, float* y) {
    const float d = half_at(block);
    const float dmin = half_at(block + 2);
    const uint8_t* packed = block + 4;
    const uint8_t* qh = block + 16;
    const uint8_t* qs = block + 48;
    for (int e = 0; e < kQK_K; ++e) {
        const ScaleMin sm = k_scale_min(packed, e / 32);
        const float dl = d * static_cast<float>(sm.scale);
        const float ml = dmin * static_cast<float>(sm.min);
        const int q = k_nibble(qs, e) | (((qh[e % 32] >> (e / 32)) & 1) << 4);
        y[e] = dl * static_cast<float>(q) - ml;
    }
}

// Q6_K, 210 bytes: 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 int8 scales, fp16 d.
// Element e = 128*h + 64*k + 32*j + l: low nibble k of ql[64*h + 32*j + l], high bits 2(2k+j)..+1
// of qh[32*h + l]; scale e / 16.  y = (d * float(scale)) * float(q - 32)
void q6_k(const uint8_t* block, float* y) {
    const uint8_t* ql = block;
    const uint8_t* qh = block + 128;
    const auto* scales = reinterpret_cast<const int8_t*>(block + 192);
    const float d = half_at(block + 208);
    for (int e = 0; e < kQK_K; ++e) {
        const int h = e / 128, k = (e % 128) / 64, j = (e % 64) / 32, l = e % 32;
        const int low = (ql[64 * h + 32 * j + l] >> (4 * k)) & 0x0F;
        const int high = (qh[32 * h + l] >> (2 * (2 * k + j))) & 3;
        const float dl = d * static_cast<float>(scales[e / 16]);
        y[e] = dl * static_cast<float>((low | (high << 4)) - 32);
    }
}

using BlockDecoder = void (*)(const uint8_t* block, float* y);

BlockDecoder block_decoder(TensorType type) {
    switch (type) {
        case TensorType::Q4_0: return q4_0;
        case TensorType::Q4_1: return q4_1;
        case TensorType::Q5_0: return q5_0;
        case TensorType::Q5_1: return q5_1;
        case TensorType::Q8_0: return q8_0;
        case TensorType::Q2_K: return q2_k;
        case TensorType::Q3_K: return q3_k;
        case TensorType::Q4_K: return q4_k;
        case TensorType::Q5_K: return q5_k;
        case TensorType::Q6_K: return q6_k;
        default: return nullptr;
    }
}

}  // namespace

void dequantize_row_reference(TensorType type, const void* src, float* dst, int64_t elements) {
    const TensorTypeTraits& t = traits(type);
    if (elements < 0 || elements % t.block_elements != 0)
        throw Error("dequantize " + std::string(t.name) + ": " + std::to_string(elements) +
                    " elements is not a whole number of blocks of " + std::to_string(t.block_elements));
    const auto* bytes = static_cast<const uint8_t*>(src);
    switch (type) {
        case TensorType::F32:
            std::memcpy(dst, src, static_cast<size_t>(elements) * sizeof(float));
            return;
        case TensorType::F16:
        case TensorType::BF16: {
            const auto convert = type == TensorType::F16 ? fp16_to_fp32 : bf16_to_fp32;
            for (int64_t i = 0; i < elements; ++i) {
                uint16_t h;
                std::memcpy(&h, bytes + 2 * i, sizeof h);
                dst[i] = convert(h);
            }
            return;
        }
        default: break;
    }
    const BlockDecoder decode = block_decoder(type);
    if (!decode)
        throw Error("dequantize " + std::string(t.name) +
                    ": not a weight type (it only holds activations for dot products)");
    const int64_t blocks = elements / t.block_elements;
    for (int64_t b = 0; b < blocks; ++b) decode(bytes + b * t.block_bytes, dst + b * t.block_elements);
}

}  // namespace flopwise

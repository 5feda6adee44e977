#pragma once
// Quantized weight blocks, unpacked with AVX2 byte operations into one signed byte per weight (the
// integer q of the reference formula, offsets applied) and float scales (and mins) per group of
// 16 or 32 weights, computed with the same float operations as dequantize_row_reference. A weight
// is then `scale * float(q)`, minus or plus `min` by the type's formula: integers convert to float
// exactly, so these are the only roundings, in the reference's order. Both the row decoder and the
// fused decode-and-multiply kernels build their weights from here, with the one `weights` function.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "simd.hpp"

namespace flopwise::kernels::quant {

struct Unpacked {
    const int8_t* q;  // one byte per weight: into `bytes`, or straight into the block when stored so
    float scale[16];
    float min[16];
    alignas(32) int8_t bytes[256];
};

enum class Formula {
    scale,          // scale * q
    scale_sub_min,  // (scale * q) - min
    scale_add_min,  // (scale * q) + min
};

// Scale/min words are IEEE halves; F16C converts every non-NaN half exactly like fp16_to_fp32.
FLOPWISE_AVX2 inline float half_at(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return _cvtsh_ss(h);
}

FLOPWISE_AVX2 inline void store_bytes(int8_t* q, __m256i v) { _mm256_store_si256(reinterpret_cast<__m256i*>(q), v); }
FLOPWISE_AVX2 inline __m256i load_bytes(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// The 32 nibbles of a 16-byte block: low nibbles are elements 0..15, high nibbles 16..31.
FLOPWISE_AVX2 inline __m256i nibbles_of_32(const uint8_t* qs) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m128i low_mask = _mm_set1_epi8(0x0F);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), low_mask), _mm_and_si128(packed, low_mask));
}

// 16 in byte i where bit i of the little-endian 32-bit word at qh is set (Q5 fifth bits).
FLOPWISE_AVX2 inline __m256i fifth_bits_of_32(const uint8_t* qh) {
    uint32_t bits;
    std::memcpy(&bits, qh, sizeof bits);
    const __m256i byte_of_bit = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                                 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)), byte_of_bit);
    const __m256i bit_in_byte = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit_in_byte), bit_in_byte);
    return _mm256_and_si256(set, _mm256_set1_epi8(16));
}

// 0xFF in every byte of `bytes` that has bit `bit` set.
FLOPWISE_AVX2 inline __m256i bit_set(__m256i bytes, int bit) {
    const __m256i mask = _mm256_set1_epi8(static_cast<char>(1 << bit));
    return _mm256_cmpeq_epi8(_mm256_and_si256(bytes, mask), mask);
}

// (byte >> shift) & mask in every byte.
FLOPWISE_AVX2 inline __m256i bit_field(__m256i bytes, int shift, int mask) {
    return _mm256_and_si256(_mm256_srli_epi16(bytes, shift), _mm256_set1_epi8(static_cast<char>(mask)));
}

// out[i] = d * float(byte i) for the low 8 (unsigned or signed) bytes of `bytes`: the group scales
// and mins of the K formats, 8 at a time.
FLOPWISE_AVX2 inline void scale_u8(float* out, __m128i bytes, float d) {
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes))));
}
FLOPWISE_AVX2 inline void scale_i8(float* out, __m128i bytes, float d) {
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes))));
}

FLOPWISE_AVX2 inline __m128i bytes_of(uint32_t low, uint32_t high) {
    return _mm_cvtsi64_si128(static_cast<int64_t>(static_cast<uint64_t>(high) << 32 | low));
}

// Q8_0, 34 bytes: d, 32 int8.  y = d * q
struct Q8_0 {
    static constexpr int elements = 32, bytes = 34, group_shift = 5;
    static constexpr Formula formula = Formula::scale;
    FLOPWISE_AVX2 static void unpack(const uint8_t* src, Unpacked& u) {
        u.q = reinterpret_cast<const int8_t*>(src + 2);
        u.scale[0] = half_at(src);
    }
};

// Q4_0, 18 bytes: d, 16 bytes of nibbles.  y = d * (q - 8)
struct Q4_0 {
    static constexpr int elements = 32, bytes = 18, group_shift = 5;
    static constexpr Formula formula = Formula::scale;
    FLOPWISE_AVX2 static void unpack(const uint8_t* src, Unpacked& u) {
        store_bytes(u.bytes, _mm256_sub_epi8(nibbles_of_32(src + 2), _mm256_set1_epi8(8)));
        u.q = u.bytes;
        u.scale[0] = half_at(src);
    }
};

// Q4_1, 20 bytes: d, m, 16 bytes of nibbles.  y = d * q + m
struct Q4_1 {
    static constexpr int elements = 32, bytes = 20, group_shift = 5;
    static constexpr Formula formula = Formula::scale_add_min;
    FLOPWISE_AVX2 static void unpack(const uint8_t* src, Unpacked& u) {
        store_bytes(u.bytes, nibbles_of_32(src + 4));
        u.q = u.bytes;
        u.scale[0] = half_at(src);
        u.min[0] = half_at(src + 2);
    }
};

// Q5_0, 22 bytes: d, 32 fifth bits, 16 bytes of nibbles.  y = d * (q - 16)
struct Q5_0 {
    static constexpr int elements = 32, bytes = 22, group_shift = 5;
    static constexpr Formula formula = Formula::scale;
    FLOPWISE_AVX2 static void unpack(const uint8_t* src, Unpacked& u) {
        const __m256i full = _mm256_or_si256(nibbles_of_32(src + 6), fifth_bits_of_32(src + 2));
        store_bytes(u.bytes, _mm256_sub_epi8(full, _mm256_set1_epi8(16)));
        u.q = u.bytes;
        u.scale[0] = half_at(src);
    }
};

// Q5_1, 24 bytes: d, m, 32 fifth bits, 16 bytes of nibbles.  y = d * q + m
struct Q5_1 {
    static constexpr int elements = 32, bytes = 24, group_shift = 5;
    static constexpr Formula formula = Formula::scale_add_min;
    FLOPWISE_AVX2 static void unpack(const uint8_t* src, Unpacked& u) {
        store_bytes(u.bytes, _mm256_or_si256(nibbles_of_32(src + 8), fifth_bits_of_32(src + 4)));
        u.q = u.bytes;
        u.scale[0] = half_at(src);
        u.min[0] = half_at(src + 2);
    }
};

// Nibbles of a 256-element Q4_K/Q5_K super-block: 32-byte group j holds sub-block 2j in its low
// nibbles and 2j+1 in its high nibbles. `fifth_bits` (Q5_K, else null): 32 bytes whose bit s
// belongs to sub-block s. Scale and min of sub-block s come from 12 packed bytes of 6-bit values:
// for s < 4 the low 6 bits of bytes s and s+4; for s >= 4 the nibbles of byte s+4 below the top 2
// bits of bytes s-4 and s.  y = (d * scale) * q - (dmin * min)
FLOPWISE_AVX2 inline void unpack_k_superblock(const uint8_t* src, const uint8_t* fifth_bits, const uint8_t* qs,
                                              Unpacked& u) {
    const __m256i high = fifth_bits ? load_bytes(fifth_bits) : _mm256_setzero_si256();
    const __m256i sixteen = _mm256_set1_epi8(16);
    for (int j = 0; j < 4; ++j) {
        const __m256i packed = load_bytes(qs + 32 * j);
        __m256i even = bit_field(packed, 0, 0x0F), odd = bit_field(packed, 4, 0x0F);
        if (fifth_bits) {
            even = _mm256_or_si256(even, _mm256_and_si256(bit_set(high, 2 * j), sixteen));
            odd = _mm256_or_si256(odd, _mm256_and_si256(bit_set(high, 2 * j + 1), sixteen));
        }
        store_bytes(u.bytes + 64 * j, even);
        store_bytes(u.bytes + 64 * j + 32, odd);
    }
    u.q = u.bytes;
    uint32_t packed[3];
    std::memcpy(packed, src + 4, sizeof packed);
    // Four sub-blocks per 32-bit word: 0..3 are the low 6 bits of bytes 0..3 (scales) and 4..7
    // (mins); 4..7 the nibbles of bytes 8..11 topped with bits 6..7 of bytes 0..3 / 4..7, shifted
    // down to bits 4..5.
    const uint32_t scales_low = packed[0] & 0x3F3F3F3Fu, mins_low = packed[1] & 0x3F3F3F3Fu;
    const uint32_t scales_high = (packed[2] & 0x0F0F0F0Fu) | ((packed[0] >> 2) & 0x30303030u);
    const uint32_t mins_high = ((packed[2] >> 4) & 0x0F0F0F0Fu) | ((packed[1] >> 2) & 0x30303030u);
    scale_u8(u.scale, bytes_of(scales_low, scales_high), half_at(src));
    scale_u8(u.min, bytes_of(mins_low, mins_high), half_at(src + 2));
}

// Q4_K, 144 bytes: d, dmin, 12 packed scale bytes, 128 bytes of nibbles.
struct Q4_K {
    static constexpr int elements = 256, bytes = 144, group_shift = 5;
    static constexpr Formula formula = Formula::scale_sub_min;
    FLOPWISE_AVX2 static void unpack(const uint8_t* src, Unpacked& u) {
        unpack_k_superblock(src, nullptr, src + 16, u);
    }
};

// Q5_K, 176 bytes: d, dmin, 12 packed scale bytes, 32 bytes of fifth bits, 128 bytes of nibbles.
struct Q5_K {
    static constexpr int elements = 256, bytes = 176, group_shift = 5;
    static constexpr Formula formula = Formula::scale_sub_min;
    FLOPWISE_AVX2 static void unpack(const uint8_t* src, Unpacked& u) {
        unpack_k_superblock(src, src + 16, src + 48, u);
    }
};

// Q6_K, 210 bytes: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 int8 scales, d.
// Element 128h + 64k + 32j + l: nibble k of byte 64h + 32j + l, bits 2(2k+j) of byte 32h + l.
// y = (d * scale) * (q - 32) per 16 elements.
struct Q6_K {
    static constexpr int elements = 256, bytes = 210, group_shift = 4;
    static constexpr Formula formula = Formula::scale;
    FLOPWISE_AVX2 static void unpack(const uint8_t* src, Unpacked& u) {
        const uint8_t* ql = src;
        const uint8_t* qh = src + 128;
        for (int h = 0; h < 2; ++h) {
            const __m256i high = load_bytes(qh + 32 * h);
            for (int j = 0; j < 2; ++j) {
                const __m256i low = load_bytes(ql + 64 * h + 32 * j);
                for (int k = 0; k < 2; ++k) {
                    const __m256i top = _mm256_slli_epi16(bit_field(high, 2 * (2 * k + j), 3), 4);
                    const __m256i value = _mm256_or_si256(bit_field(low, 4 * k, 0x0F), top);
                    store_bytes(u.bytes + 128 * h + 64 * k + 32 * j, _mm256_sub_epi8(value, _mm256_set1_epi8(32)));
                }
            }
        }
        u.q = u.bytes;
        const float d = half_at(src + 208);
        const __m128i scales = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 192));
        scale_i8(u.scale, scales, d);
        scale_i8(u.scale + 8, _mm_srli_si128(scales, 8), d);
    }
};

// Q2_K, 84 bytes: 16 scale bytes (scale low nibble, min high nibble), 64 bytes of 2-bit quants, d,
// dmin. Element 128h + 32j + l: bits 2j of byte 32h + l.  y = (d * scale) * q - (dmin * min) per 16.
struct Q2_K {
    static constexpr int elements = 256, bytes = 84, group_shift = 4;
    static constexpr Formula formula = Formula::scale_sub_min;
    FLOPWISE_AVX2 static void unpack(const uint8_t* src, Unpacked& u) {
        for (int h = 0; h < 2; ++h) {
            const __m256i packed = load_bytes(src + 16 + 32 * h);
            for (int j = 0; j < 4; ++j) store_bytes(u.bytes + 128 * h + 32 * j, bit_field(packed, 2 * j, 3));
        }
        u.q = u.bytes;
        const float d = half_at(src + 80), dmin = half_at(src + 82);
        const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
        const __m128i scales = _mm_and_si128(packed, _mm_set1_epi8(0x0F));
        const __m128i mins = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F));
        scale_u8(u.scale, scales, d);
        scale_u8(u.scale + 8, _mm_srli_si128(scales, 8), d);
        scale_u8(u.min, mins, dmin);
        scale_u8(u.min + 8, _mm_srli_si128(mins, 8), dmin);
    }
};

// Q3_K, 110 bytes: 32 bytes of high-bit masks, 64 bytes of 2-bit quants, 12 scale bytes, d.
// Element 128h + 32j + l: bits 2j of byte 32h + l, minus 4 unless bit 4h + j of mask byte l is set.
// Scales are 6 bits, stored +32.  y = (d * scale) * q per 16 elements.
struct Q3_K {
    static constexpr int elements = 256, bytes = 110, group_shift = 4;
    static constexpr Formula formula = Formula::scale;
    FLOPWISE_AVX2 static void unpack(const uint8_t* src, Unpacked& u) {
        const __m256i mask = load_bytes(src);
        const __m256i four = _mm256_set1_epi8(4);
        for (int h = 0; h < 2; ++h) {
            const __m256i packed = load_bytes(src + 32 + 32 * h);
            for (int j = 0; j < 4; ++j) {
                const __m256i minus = _mm256_andnot_si256(bit_set(mask, 4 * h + j), four);
                store_bytes(u.bytes + 128 * h + 32 * j, _mm256_sub_epi8(bit_field(packed, 2 * j, 3), minus));
            }
        }
        u.q = u.bytes;
        uint64_t low;
        uint32_t high;
        std::memcpy(&low, src + 96, sizeof low);
        std::memcpy(&high, src + 104, sizeof high);
        // Bytes g of the 16 scales: low nibbles (g < 8) or high nibbles of the first 8 bytes, topped
        // with bits 2(g/4)..+1 of byte 8 + g % 4.
        const __m128i nibbles = _mm_set_epi64x(static_cast<int64_t>((low >> 4) & 0x0F0F0F0F0F0F0F0Full),
                                               static_cast<int64_t>(low & 0x0F0F0F0F0F0F0F0Full));
        const __m128i tops =
            _mm_set_epi32(static_cast<int>((high >> 6) & 0x03030303u), static_cast<int>((high >> 4) & 0x03030303u),
                          static_cast<int>((high >> 2) & 0x03030303u), static_cast<int>(high & 0x03030303u));
        const __m128i scales = _mm_sub_epi8(_mm_or_si128(nibbles, _mm_slli_epi16(tops, 4)), _mm_set1_epi8(32));
        const float d = half_at(src + 108);
        scale_i8(u.scale, scales, d);
        scale_i8(u.scale + 8, _mm_srli_si128(scales, 8), d);
    }
};

// Weights i .. i + lanes of an unpacked block (i a multiple of the lane count).
template <class S, class Layout>
typename S::V weights(const Unpacked& u, int i) {
    const int g = i >> Layout::group_shift;
    const typename S::V product = S::mul(S::set1(u.scale[g]), S::from_int8(u.q + i));
    if constexpr (Layout::formula == Formula::scale_sub_min)
        return S::sub(product, S::set1(u.min[g]));
    else if constexpr (Layout::formula == Formula::scale_add_min)
        return S::add(product, S::set1(u.min[g]));
    else
        return product;
}

}  // namespace flopwise::kernels::quant

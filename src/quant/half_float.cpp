#include <bit>
#include <cstdint>

#include "flopwise/tensor_type.hpp"

// IEEE binary16 and bfloat16 conversions done on the bit patterns, so that every build and
// every CPU gives the same result without depending on F16C or compiler half-float support.
namespace flopwise {

float fp16_to_fp32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1Fu;
    const uint32_t mantissa = h & 0x3FFu;
    if (exponent == 0) {
        // Zero or subnormal: mantissa * 2^-24 is exact in binary32.
        const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
        return sign ? -magnitude : magnitude;
    }
    if (exponent == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
    return std::bit_cast<float>(sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13));
}

float bf16_to_fp32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

uint16_t fp32_to_fp16(float f) {
    const uint32_t bits = std::bit_cast<uint32_t>(f);
    const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
    const uint32_t magnitude = bits & 0x7FFFFFFFu;

    if (magnitude > 0x7F800000u)  // NaN: keep it a quiet NaN with the top payload bits
        return static_cast<uint16_t>(sign | 0x7E00u | ((magnitude >> 13) & 0x3FFu));
    if (magnitude >= 0x477FF000u)  // 65520 and above round to infinity
        return static_cast<uint16_t>(sign | 0x7C00u);

    const uint32_t exponent = magnitude >> 23;
    if (magnitude < 0x38800000u) {
        // Result is a half subnormal (or zero): count units of 2^-24, rounding half to even.
        const uint32_t shift = 126 - exponent;
        if (exponent == 0 || shift > 24) return sign;
        const uint32_t significand = (magnitude & 0x7FFFFFu) | 0x800000u;
        uint32_t units = significand >> shift;
        const uint32_t remainder = significand & ((1u << shift) - 1);
        const uint32_t halfway = 1u << (shift - 1);
        if (remainder > halfway || (remainder == halfway && (units & 1u))) ++units;
        return static_cast<uint16_t>(sign | units);
    }

    uint32_t half = ((exponent - (127 - 15)) << 10) | ((magnitude >> 13) & 0x3FFu);
    const uint32_t remainder = magnitude & 0x1FFFu;
    // A carry out of the mantissa correctly bumps the exponent.
    if (remainder > 0x1000u || (remainder == 0x1000u && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
}

}  // namespace flopwise

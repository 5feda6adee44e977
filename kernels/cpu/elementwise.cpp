#include "flopwise/kernels/elementwise.hpp"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "flopwise/error.hpp"
#include "isa_support.hpp"
#include "simd.hpp"

// Element-wise kernels. Norms and RoPE are scalar code: they are a negligible part of a forward
// pass and their reduction order is part of their contract. Activations, log-sum-exp and argmax run
// over whole MLP or vocabulary rows and have an AVX2 path (used by the AVX-512 path too); every
// element goes through the same vector code, the last partial vector included, so a value's
// result does not depend on where it sits in the row.
namespace flopwise::kernels {
namespace {

constexpr float kSqrt2OverPi = 0.797884560802865355f;

// sigmoid(z) = 1 / (1 + e^-z), through e = e^-|z| <= 1 so that nothing overflows or cancels:
// 1 / (1 + e) for z >= 0, e / (1 + e) below.
float sigmoid(float z) {
    const float e = std::exp(-std::abs(z));
    return (z < 0.0f ? e : 1.0f) / (1.0f + e);
}

// gelu with the tanh approximation: 0.5 x (1 + tanh(u)) = x * sigmoid(2u), u = sqrt(2/pi)(x + 0.044715 x^3).
float gelu_argument(float x) { return 2.0f * kSqrt2OverPi * (x + 0.044715f * x * x * x); }

FLOPWISE_AVX2 __m256i first_lanes(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

FLOPWISE_AVX2 [[gnu::flatten]] __m256 sigmoid_avx2(__m256 z) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 e = simd::exp_nonpositive<simd::Avx2>(_mm256_or_ps(z, _mm256_set1_ps(-0.0f)));
    const __m256 numerator = _mm256_blendv_ps(one, e, _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_LT_OQ));
    return _mm256_div_ps(numerator, _mm256_add_ps(one, e));
}

// gate = gate * sigmoid(argument(gate)) * up, 8 values at a time; the last partial vector reads
// and writes only its own lanes.
template <class Argument>
FLOPWISE_AVX2 void gated_sigmoid_avx2(float* gate, const float* up, int64_t n, Argument argument) {
    for (int64_t i = 0; i < n; i += 8) {
        const __m256i lanes = first_lanes(n - i);
        const __m256 x = _mm256_maskload_ps(gate + i, lanes);
        const __m256 product =
            _mm256_mul_ps(_mm256_mul_ps(x, sigmoid_avx2(argument(x))), _mm256_maskload_ps(up + i, lanes));
        _mm256_maskstore_ps(gate + i, lanes, product);
    }
}

FLOPWISE_AVX2 void silu_mul_avx2(float* gate, const float* up, int64_t n) {
    gated_sigmoid_avx2(gate, up, n, [](__m256 x) FLOPWISE_AVX2 { return x; });
}

FLOPWISE_AVX2 void gelu_tanh_mul_avx2(float* gate, const float* up, int64_t n) {
    gated_sigmoid_avx2(gate, up, n, [](__m256 x) FLOPWISE_AVX2 {
        const __m256 cube = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.044715f), x), x), x);
        return _mm256_mul_ps(_mm256_set1_ps(2.0f * kSqrt2OverPi), _mm256_add_ps(x, cube));
    });
}

// 1/i!, i = 0..13.
constexpr auto kExpTaylor = [] {
    std::array<double, 14> c{};
    double factorial = 1.0;
    for (int i = 0; i < 14; ++i) {
        if (i > 0) factorial *= i;
        c[static_cast<size_t>(i)] = 1.0 / factorial;
    }
    return c;
}();

// e^d for 4 doubles d <= 0, within a few ulp; d below -708 gives 0. Reduction d = k*ln2 + r,
// |r| <= ln2/2, degree-13 Taylor polynomial (truncation below 1e-17), k added to the exponent.
FLOPWISE_AVX2 __m256d exp_nonpositive_pd(__m256d d) {
    const __m256d lowest = _mm256_set1_pd(-708.0);
    const __m256d clamped = _mm256_max_pd(d, lowest);
    const __m256d k = _mm256_round_pd(_mm256_mul_pd(clamped, _mm256_set1_pd(1.4426950408889634)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(k, _mm256_set1_pd(0.693147180369123816490), clamped);  // k*hi is exact
    r = _mm256_fnmadd_pd(k, _mm256_set1_pd(1.90821492927058770002e-10), r);
    __m256d p = _mm256_set1_pd(kExpTaylor[13]);
    for (int i = 12; i >= 0; --i) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(kExpTaylor[static_cast<size_t>(i)]));
    // 2^k from the integer k: adding 1.5 * 2^52 leaves k in the low mantissa bits.
    const __m256i k_bits = _mm256_castpd_si256(_mm256_add_pd(k, _mm256_set1_pd(0x1.8p52)));
    const __m256i exponent = _mm256_slli_epi64(_mm256_add_epi64(k_bits, _mm256_set1_epi64x(1023)), 52);
    const __m256d result = _mm256_mul_pd(p, _mm256_castsi256_pd(exponent));
    return _mm256_blendv_pd(result, _mm256_setzero_pd(), _mm256_cmp_pd(d, lowest, _CMP_LT_OQ));
}

// Largest value (NaN ignored) and whether any value is NaN.
struct RowMax {
    float max;
    bool has_nan;
};

FLOPWISE_AVX2 RowMax row_max_avx2(const float* x, int64_t n) {
    const __m256 minus_inf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    __m256 best = minus_inf, nan = _mm256_setzero_ps();
    for (int64_t i = 0; i < n; i += 8) {
        const __m256i lanes = first_lanes(n - i);
        const __m256 v = _mm256_blendv_ps(minus_inf, _mm256_maskload_ps(x + i, lanes), _mm256_castsi256_ps(lanes));
        best = _mm256_max_ps(v, best);  // a NaN in v keeps `best`
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    return {simd::Avx2::reduce_max(best), _mm256_movemask_ps(nan) != 0};
}

FLOPWISE_AVX2 double sum_exp_avx2(const float* x, int64_t n, float max) {
    const __m256 minus_inf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    const __m256d shift = _mm256_set1_pd(max);
    __m256d low_sum = _mm256_setzero_pd(), high_sum = _mm256_setzero_pd();
    for (int64_t i = 0; i < n; i += 8) {
        const __m256i lanes = first_lanes(n - i);
        const __m256 v = _mm256_blendv_ps(minus_inf, _mm256_maskload_ps(x + i, lanes), _mm256_castsi256_ps(lanes));
        const __m256d low = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), shift);
        const __m256d high = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), shift);
        low_sum = _mm256_add_pd(low_sum, exp_nonpositive_pd(low));
        high_sum = _mm256_add_pd(high_sum, exp_nonpositive_pd(high));
    }
    alignas(32) double lanes[4];
    _mm256_store_pd(lanes, _mm256_add_pd(low_sum, high_sum));
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

FLOPWISE_AVX2 int64_t first_equal_avx2(const float* x, int64_t n, float value) {
    const __m256 target = _mm256_set1_ps(value);
    for (int64_t i = 0; i < n; i += 8) {
        const __m256i lanes = first_lanes(n - i);
        const __m256 equal = _mm256_and_ps(_mm256_cmp_ps(_mm256_maskload_ps(x + i, lanes), target, _CMP_EQ_OQ),
                                           _mm256_castsi256_ps(lanes));
        if (const int mask = _mm256_movemask_ps(equal)) return i + __builtin_ctz(static_cast<unsigned>(mask));
    }
    return 0;
}

RowMax row_max_scalar(const float* x, int64_t n) {
    RowMax result{-std::numeric_limits<float>::infinity(), false};
    for (int64_t i = 0; i < n; ++i) {
        if (std::isnan(x[i]))
            result.has_nan = true;
        else
            result.max = std::max(result.max, x[i]);
    }
    return result;
}

}  // namespace

void rms_norm(const float* x, const float* weight, float* y, int64_t n, float eps) {
    double sum_squares = 0.0;
    for (int64_t i = 0; i < n; ++i) sum_squares += double{x[i]} * double{x[i]};
    const double mean = n > 0 ? sum_squares / static_cast<double>(n) : 0.0;
    const float scale = static_cast<float>(1.0 / std::sqrt(mean + double{eps}));
    if (weight == nullptr) {
        for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale;
    } else {
        for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * weight[i];
    }
}

void rope(float* x, int32_t n_head, int32_t head_dim, int32_t rope_dims, const float* cos_sin, RopeLayout layout) {
    const int32_t half = rope_dims / 2;
    // Interleaved layouts rotate neighbours; NeoX rotates the two halves of the rotated span.
    const int32_t stride = layout == RopeLayout::interleaved ? 2 : 1;
    const int32_t partner = layout == RopeLayout::interleaved ? 1 : half;
    for (int32_t h = 0; h < n_head; ++h) {
        float* head = x + int64_t{h} * head_dim;
        for (int32_t i = 0; i < half; ++i) {
            const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
            float& a = head[i * stride];
            float& b = head[i * stride + partner];
            const float a0 = a, b0 = b;
            a = a0 * c - b0 * s;
            b = a0 * s + b0 * c;
        }
    }
}

void rope_angles(int64_t position, int32_t rope_dims, double freq_base, double freq_scale, const float* factors,
                 float* cos_sin) {
    for (int32_t i = 0; i < rope_dims / 2; ++i) {
        double theta = static_cast<double>(position) * freq_scale *
                       std::pow(freq_base, -2.0 * static_cast<double>(i) / static_cast<double>(rope_dims));
        if (factors != nullptr) theta /= double{factors[i]};
        cos_sin[2 * i] = static_cast<float>(std::cos(theta));
        cos_sin[2 * i + 1] = static_cast<float>(std::sin(theta));
    }
}

void silu_mul(float* gate, const float* up, int64_t n, Isa isa) {
    require_supported(isa, "silu_mul");
    if (isa != Isa::scalar) return silu_mul_avx2(gate, up, n);
    for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] * sigmoid(gate[i]) * up[i];
}

void gelu_tanh_mul(float* gate, const float* up, int64_t n, Isa isa) {
    require_supported(isa, "gelu_tanh_mul");
    if (isa != Isa::scalar) return gelu_tanh_mul_avx2(gate, up, n);
    for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] * sigmoid(gelu_argument(gate[i])) * up[i];
}

double log_sum_exp(const float* x, int64_t n, Isa isa) {
    require_supported(isa, "log_sum_exp");
    const bool vector = isa != Isa::scalar;
    const RowMax m = vector ? row_max_avx2(x, n) : row_max_scalar(x, n);
    if (m.has_nan) return std::numeric_limits<double>::quiet_NaN();
    if (std::isinf(m.max)) return m.max;  // empty, all -inf, or an infinite logit
    double sum = 0.0;
    if (vector) {
        sum = sum_exp_avx2(x, n, m.max);
    } else {
        for (int64_t i = 0; i < n; ++i) sum += std::exp(double{x[i]} - double{m.max});
    }
    return double{m.max} + std::log(sum);
}

int64_t argmax(const float* x, int64_t n, Isa isa) {
    if (n <= 0) throw Error("argmax of an empty vector (" + std::to_string(n) + " values)");
    require_supported(isa, "argmax");
    if (isa != Isa::scalar) {
        const float max = row_max_avx2(x, n).max;
        return max == -std::numeric_limits<float>::infinity() ? 0 : first_equal_avx2(x, n, max);
    }
    int64_t best = 0;
    float best_value = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < n; ++i) {
        if (x[i] > best_value) {
            best = i;
            best_value = x[i];
        }
    }
    return best;
}

}  // namespace flopwise::kernels

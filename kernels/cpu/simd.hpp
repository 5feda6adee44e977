#pragma once
// Float vector operations of the AVX2 and AVX-512 paths behind one interface, so that the tiled
// kernels are written once as templates over the vector type. Every member carries its own target
// attribute; a kernel instantiates its template inside a function with the same target and the
// `flatten` attribute, which inlines all of these into code of that instruction set only.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

// Templates over these vector types are only ever inlined into a function of the vector's
// instruction set, so GCC's note that passing such vectors by value from generic code would change
// the ABI is moot; it is emitted where templates are instantiated, at the end of each file, hence
// this file-wide switch for the kernel sources that include this private header.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace flopwise::kernels::simd {

// The scalar path as one-lane "vectors": the same tiled kernels then define the scalar results,
// with plain float arithmetic in the same order.
struct Scalar {
    using V = float;
    static constexpr int lanes = 1;

    static V zero() { return 0.0f; }
    static V set1(float x) { return x; }
    static V load(const float* p) { return *p; }
    static void store(float* p, V v) { *p = v; }
    static V load_first(const float*, int) { return 0.0f; }
    static V add(V a, V b) { return a + b; }
    static V sub(V a, V b) { return a - b; }
    static V mul(V a, V b) { return a * b; }
    // Separate multiply and add: a CPU without AVX2 may lack FMA, and a software fma is slow.
    static V fma(V a, V b, V c) { return a * b + c; }
    static float reduce_add(V v) { return v; }
    static void reduce_add4(const V* v, float* sums) { std::copy_n(v, 4, sums); }
};

#define FLOPWISE_AVX2 __attribute__((target("avx2,fma,f16c")))
#define FLOPWISE_AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq")))

struct Avx2 {
    using V = __m256;
    static constexpr int lanes = 8;

    FLOPWISE_AVX2 static V zero() { return _mm256_setzero_ps(); }
    FLOPWISE_AVX2 static V set1(float x) { return _mm256_set1_ps(x); }
    FLOPWISE_AVX2 static V load(const float* p) { return _mm256_loadu_ps(p); }
    FLOPWISE_AVX2 static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    // The first n (< lanes) values; the other lanes read as zero and their memory is not touched.
    FLOPWISE_AVX2 static V load_first(const float* p, int n) { return _mm256_maskload_ps(p, first_lanes(n)); }
    // Signed bytes to float, exactly.
    FLOPWISE_AVX2 static V from_int8(const int8_t* q) {
        return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q))));
    }
    // The low (or, when `high`, the high) nibbles of `lanes` bytes to float, exactly.
    FLOPWISE_AVX2 static V from_nibbles(const uint8_t* p, bool high) {
        const __m256i bytes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
        return _mm256_cvtepi32_ps(high ? _mm256_srli_epi32(bytes, 4) : _mm256_and_si256(bytes, _mm256_set1_epi32(15)));
    }
    // IEEE halves and bfloat16 to float, exactly.
    FLOPWISE_AVX2 static V from_f16(const uint8_t* p) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    }
    FLOPWISE_AVX2 static V from_bf16(const uint8_t* p) {
        const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    }
    FLOPWISE_AVX2 static V add(V a, V b) { return _mm256_add_ps(a, b); }
    FLOPWISE_AVX2 static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
    FLOPWISE_AVX2 static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    FLOPWISE_AVX2 static V max(V a, V b) { return _mm256_max_ps(a, b); }
    FLOPWISE_AVX2 static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    // c - a*b in one rounding.
    FLOPWISE_AVX2 static V fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
    FLOPWISE_AVX2 static V round_nearest(V a) {
        return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    }
    // a * 2^n for integral n in [-126, 127], by adding n to the exponent field.
    FLOPWISE_AVX2 static V scale_pow2(V a, V n) {
        const __m256i bits = _mm256_slli_epi32(_mm256_cvtps_epi32(n), 23);
        return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(a), bits));
    }
    // Lanes where a < b take if_less, the others otherwise.
    FLOPWISE_AVX2 static V select_less(V a, V b, V if_less, V otherwise) {
        return _mm256_blendv_ps(otherwise, if_less, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
    }

    // The one summation tree of the AVX2 path: ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)).
    FLOPWISE_AVX2 static float reduce_add(V v) {
        const V pairs = _mm256_hadd_ps(v, v);          // l0+l1, l2+l3 | l4+l5, l6+l7
        const V quads = _mm256_hadd_ps(pairs, pairs);  // (l0+l1)+(l2+l3) | (l4+l5)+(l6+l7)
        return _mm_cvtss_f32(_mm_add_ss(_mm256_castps256_ps128(quads), _mm256_extractf128_ps(quads, 1)));
    }
    // reduce_add of four vectors at once, with the same tree for each.
    FLOPWISE_AVX2 static void reduce_add4(const V* v, float* sums) {
        const V quads = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
        _mm_storeu_ps(sums, _mm_add_ps(_mm256_castps256_ps128(quads), _mm256_extractf128_ps(quads, 1)));
    }
    FLOPWISE_AVX2 static float reduce_max(V v) {
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
    }

private:
    FLOPWISE_AVX2 static __m256i first_lanes(int n) {
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
};

struct Avx512 {
    using V = __m512;
    static constexpr int lanes = 16;

    FLOPWISE_AVX512 static V zero() { return _mm512_setzero_ps(); }
    FLOPWISE_AVX512 static V set1(float x) { return _mm512_set1_ps(x); }
    FLOPWISE_AVX512 static V load(const float* p) { return _mm512_loadu_ps(p); }
    FLOPWISE_AVX512 static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
    FLOPWISE_AVX512 static V load_first(const float* p, int n) { return _mm512_maskz_loadu_ps(first_lanes(n), p); }
    FLOPWISE_AVX512 static V from_int8(const int8_t* q) {
        return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q))));
    }
    FLOPWISE_AVX512 static V from_nibbles(const uint8_t* p, bool high) {
        const __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        return _mm512_cvtepi32_ps(high ? _mm512_srli_epi32(bytes, 4) : _mm512_and_si512(bytes, _mm512_set1_epi32(15)));
    }
    FLOPWISE_AVX512 static V from_f16(const uint8_t* p) {
        return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    }
    FLOPWISE_AVX512 static V from_bf16(const uint8_t* p) {
        const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
        return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
    }
    FLOPWISE_AVX512 static V add(V a, V b) { return _mm512_add_ps(a, b); }
    FLOPWISE_AVX512 static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
    FLOPWISE_AVX512 static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    FLOPWISE_AVX512 static V max(V a, V b) { return _mm512_max_ps(a, b); }
    FLOPWISE_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    FLOPWISE_AVX512 static V fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
    FLOPWISE_AVX512 static V round_nearest(V a) {
        return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    }
    FLOPWISE_AVX512 static V scale_pow2(V a, V n) {
        const __m512i bits = _mm512_slli_epi32(_mm512_cvtps_epi32(n), 23);
        return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(a), bits));
    }
    FLOPWISE_AVX512 static V select_less(V a, V b, V if_less, V otherwise) {
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), otherwise, if_less);
    }

    // The AVX-512 summation tree: halves first (l_i + l_{i+8}), then the AVX2 tree on the result.
    FLOPWISE_AVX512 static float reduce_add(V v) { return Avx2::reduce_add(fold(v)); }
    FLOPWISE_AVX512 static void reduce_add4(const V* v, float* sums) {
        const Avx2::V halves[4] = {fold(v[0]), fold(v[1]), fold(v[2]), fold(v[3])};
        Avx2::reduce_add4(halves, sums);
    }

private:
    FLOPWISE_AVX512 static __mmask16 first_lanes(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
    FLOPWISE_AVX512 static __m256 fold(V v) {
        return _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    }
};

// sums[i] = S::reduce_add(v[i]) for n vectors, four at a time where possible.
template <class S>
void reduce_add_all(const typename S::V* v, int n, float* sums) {
    int i = 0;
    for (; i + 4 <= n; i += 4) S::reduce_add4(v + i, sums + i);
    for (; i < n; ++i) sums[i] = S::reduce_add(v[i]);
}

// e^x for x <= 0, within about 2 ulp; arguments below -86 (results under 1e-37) give 0. Range
// reduction x = k*ln2 + r with |r| <= ln2/2, then the degree-7 Taylor polynomial of e^r
// (truncation error below 1e-8), then k is added to the exponent field.
template <class S>
typename S::V exp_nonpositive(typename S::V x) {
    using V = typename S::V;
    const V lowest = S::set1(-86.0f);
    const V clamped = S::max(x, lowest);
    const V k = S::round_nearest(S::mul(clamped, S::set1(1.44269504088896341f)));
    V r = S::fnma(k, S::set1(0.693145751953125f), clamped);  // ln 2, upper bits: k*hi is exact
    r = S::fnma(k, S::set1(1.42860682030941723e-6f), r);     // ln 2, remaining bits
    V p = S::set1(1.0f / 5040.0f);
    p = S::fma(p, r, S::set1(1.0f / 720.0f));
    p = S::fma(p, r, S::set1(1.0f / 120.0f));
    p = S::fma(p, r, S::set1(1.0f / 24.0f));
    p = S::fma(p, r, S::set1(1.0f / 6.0f));
    p = S::fma(p, r, S::set1(0.5f));
    p = S::fma(p, r, S::set1(1.0f));
    p = S::fma(p, r, S::set1(1.0f));
    return S::select_less(x, lowest, S::zero(), S::scale_pow2(p, k));
}

template <>
inline float exp_nonpositive<Scalar>(float x) {
    return std::exp(x);
}

}  // namespace flopwise::kernels::simd

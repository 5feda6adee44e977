#include "flopwise/kernels/matmul_int8.hpp"

#include <immintrin.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "flopwise/error.hpp"
#include "isa_support.hpp"
#include "quant_blocks.hpp"
#include "row_tiles.hpp"

// Layout of a block's integer product, shared by every path: lane j (of 8) holds the exact int32
// sum over elements 4j .. 4j+3, which is what the byte dot-product instructions leave in their
// 32-bit lanes. Each lane accumulates (weight scale * activation scale) * lane in float32, block
// after block (a multiply, then an add: no fused multiply-add, which the scalar path lacks), and the
// lanes are added in index order at the end.
namespace flopwise::kernels {
namespace {

constexpr int kBlock = 32;
constexpr int kLanes = 8;
constexpr int64_t kRowsPerTask = 32;
constexpr int64_t kTokensPerSweep = 64;  // tokens whose activations are reused from cache per row sweep

struct Int8Activations {
    int64_t blocks = 0;
    std::vector<int8_t> q;      // token-major, blocks * 32 per token
    std::vector<float> scale;   // token-major, one per block
};

// max|x| / 127 and round(x / scale) to nearest even; a block holding inf or NaN gets a NaN scale so
// its outputs are NaN, as the reference's would not be finite either.
void quantize_block(const float* x, int8_t* q, float& scale) {
    float amax = 0.0f;
    bool finite = true;
    for (int i = 0; i < kBlock; ++i) {
        finite = finite && std::isfinite(x[i]);
        amax = std::max(amax, std::fabs(x[i]));
    }
    const float d = amax / 127.0f;
    const float inverse = d > 0.0f ? 1.0f / d : 0.0f;
    // The SSE conversion rounds by the floating-point environment: to nearest even.
    for (int i = 0; i < kBlock; ++i) q[i] = finite ? static_cast<int8_t>(_mm_cvtss_si32(_mm_set_ss(x[i] * inverse))) : int8_t{0};
    scale = finite ? d : std::numeric_limits<float>::quiet_NaN();
}

void quantize_activations(const float* x, int64_t ldx, int64_t tokens, int64_t cols, Int8Activations& a) {
    a.blocks = cols / kBlock;
    a.q.resize(static_cast<size_t>(tokens * cols));
    a.scale.resize(static_cast<size_t>(tokens * a.blocks));
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, tokens), [&](const tbb::blocked_range<int64_t>& range) {
        for (int64_t t = range.begin(); t < range.end(); ++t)
            for (int64_t b = 0; b < a.blocks; ++b)
                quantize_block(x + t * ldx + b * kBlock, a.q.data() + (t * a.blocks + b) * kBlock,
                               a.scale[static_cast<size_t>(t * a.blocks + b)]);
    });
}

uint16_t half_bits(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return h;
}

float lane_sum(const float* lanes) {
    float sum = lanes[0];
    for (int j = 1; j < kLanes; ++j) sum += lanes[j];
    return sum;
}

struct Int8Call {
    const WeightView& w;
    const Int8Activations& a;
    float* y;
    int64_t ldy;
    int64_t tokens;
    uint64_t block_bytes;
};

// The weights' signed integers of one block: Q8_0 stores them; Q4_0 stores q + 8 in nibbles.
void weight_integers(TensorType type, const uint8_t* block, int8_t* w) {
    if (type == TensorType::Q8_0) {
        std::memcpy(w, block + 2, kBlock);
        return;
    }
    for (int i = 0; i < 16; ++i) {
        w[i] = static_cast<int8_t>((block[2 + i] & 0x0F) - 8);
        w[i + 16] = static_cast<int8_t>((block[2 + i] >> 4) - 8);
    }
}

void rows_scalar(const Int8Call& c, int64_t row0, int64_t row1) {
    int8_t w[kBlock];
    for (int64_t t0 = 0; t0 < c.tokens; t0 += kTokensPerSweep) {
        const int64_t t1 = std::min(c.tokens, t0 + kTokensPerSweep);
        for (int64_t r = row0; r < row1; ++r) {
            const auto* row = static_cast<const uint8_t*>(c.w.data) + static_cast<uint64_t>(r) * c.w.row_stride;
            for (int64_t t = t0; t < t1; ++t) {
                float acc[kLanes] = {};
                for (int64_t b = 0; b < c.a.blocks; ++b) {
                    const uint8_t* block = row + static_cast<uint64_t>(b) * c.block_bytes;
                    weight_integers(c.w.type, block, w);
                    const int8_t* x = c.a.q.data() + (t * c.a.blocks + b) * kBlock;
                    const float s = fp16_to_fp32(half_bits(block)) * c.a.scale[static_cast<size_t>(t * c.a.blocks + b)];
                    for (int j = 0; j < kLanes; ++j) {
                        int32_t p = 0;
                        for (int i = 4 * j; i < 4 * j + 4; ++i) p += int32_t{w[i]} * int32_t{x[i]};
                        acc[j] = acc[j] + s * static_cast<float>(p);
                    }
                }
                c.y[t * c.ldy + r] = lane_sum(acc);
            }
        }
    }
}

FLOPWISE_AVX2 inline __m256i weight_integers_avx2(TensorType type, const uint8_t* block) {
    if (type == TensorType::Q8_0) return quant::load_bytes(block + 2);
    return _mm256_sub_epi8(quant::nibbles_of_32(block + 2), _mm256_set1_epi8(8));
}

// Exact int32 lanes of one block: |w| (unsigned) times x with w's sign; a pair of products is at
// most 2 * 128 * 127, inside the int16 that the first instruction saturates to.
FLOPWISE_AVX2 inline __m256i block_product(__m256i magnitude, __m256i w, __m256i x) {
    const __m256i signed_x = _mm256_sign_epi8(x, w);
    return _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, signed_x), _mm256_set1_epi16(1));
}

// NR rows (pointers, ragged tiles repeat their first row) times NT tokens. The rows' bytes are read
// once from memory, so while a block is multiplied as many bytes of the next tile (`ahead`, null
// for none) are prefetched.
template <int NR, int NT>
FLOPWISE_AVX2 inline void tile_avx2(const Int8Call& c, const uint8_t* const* rows, const uint8_t* ahead, int64_t r,
                                    int valid_rows, int64_t t) {
    __m256 acc[NT][NR];
    for (int i = 0; i < NT; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
    const int64_t tile_bytes_per_block = NR * static_cast<int64_t>(c.block_bytes);
    for (int64_t b = 0; b < c.a.blocks; ++b) {
        prefetch_block(ahead, b, tile_bytes_per_block);
        __m256i x[NT];
        __m256 x_scale[NT];
#pragma GCC unroll 4
        for (int i = 0; i < NT; ++i) {
            const int64_t at = (t + i) * c.a.blocks + b;
            x[i] = quant::load_bytes(reinterpret_cast<const uint8_t*>(c.a.q.data() + at * kBlock));
            x_scale[i] = _mm256_set1_ps(c.a.scale[static_cast<size_t>(at)]);
        }
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) {
            const uint8_t* block = rows[j] + static_cast<uint64_t>(b) * c.block_bytes;
            const __m256i w = weight_integers_avx2(c.w.type, block);
            const __m256i magnitude = _mm256_sign_epi8(w, w);
            const __m256 w_scale = _mm256_set1_ps(quant::half_at(block));
#pragma GCC unroll 4
            for (int i = 0; i < NT; ++i) {
                const __m256i p = block_product(magnitude, w, x[i]);
                acc[i][j] = _mm256_add_ps(acc[i][j], _mm256_mul_ps(_mm256_mul_ps(w_scale, x_scale[i]), _mm256_cvtepi32_ps(p)));
            }
        }
    }
    alignas(32) float lanes[kLanes];
    for (int i = 0; i < NT; ++i)
        for (int j = 0; j < valid_rows; ++j) {
            _mm256_store_ps(lanes, acc[i][j]);
            c.y[(t + i) * c.ldy + r + j] = lane_sum(lanes);
        }
}

template <int NR, int NT>
FLOPWISE_AVX2 inline void row_tiles_avx2(const Int8Call& c, int64_t row0, int64_t row1, int64_t t) {
    for (int64_t r = row0; r < row1; r += NR) {
        const RowTile<NR> tile = row_tile<NR>(c.w, r, row1);
        tile_avx2<NR, NT>(c, tile.rows, tile.ahead, r, tile.valid, t);
    }
}

FLOPWISE_AVX2 [[gnu::flatten]] void rows_avx2(const Int8Call& c, int64_t row0, int64_t row1) {
    for (int64_t t0 = 0; t0 < c.tokens; t0 += kTokensPerSweep) {
        const int64_t t1 = std::min(c.tokens, t0 + kTokensPerSweep);
        int64_t t = t0;
        for (; t + 4 <= t1; t += 4) row_tiles_avx2<2, 4>(c, row0, row1, t);
        switch (t1 - t) {
            case 3: row_tiles_avx2<2, 3>(c, row0, row1, t); break;
            case 2: row_tiles_avx2<4, 2>(c, row0, row1, t); break;
            case 1: row_tiles_avx2<4, 1>(c, row0, row1, t); break;
            default: break;
        }
    }
}

}  // namespace

bool has_int8_activation_product(TensorType type) { return type == TensorType::Q8_0 || type == TensorType::Q4_0; }

uint64_t matmul_int8_activations(const WeightView& w, const float* x, int64_t ldx, int64_t tokens, float* y, int64_t ldy,
                                 Isa isa) {
    const std::string shape = std::to_string(w.rows) + "x" + std::to_string(w.cols) + " " + std::string(name(w.type));
    if (!has_int8_activation_product(w.type))
        throw Error("int8-activation matmul of a " + shape + " weight: only Q8_0 and Q4_0 weights have one");
    require_supported(isa, "int8-activation matmul");
    const uint64_t block_bytes = row_bytes(w.type, kBlock);
    if (w.rows < 0 || w.cols < 0 || tokens < 0 || w.cols % kBlock != 0)
        throw Error("int8-activation matmul of a " + shape + " weight: bad shape or token count " + std::to_string(tokens));
    if (w.rows > 1 && w.row_stride < row_bytes(w.type, static_cast<uint64_t>(w.cols)))
        throw Error("int8-activation matmul of a " + shape + " weight: row stride " + std::to_string(w.row_stride) + " is shorter than a row");
    if (tokens > 0 && w.rows > 0 && (x == nullptr || y == nullptr || w.data == nullptr || ldx < w.cols || ldy < w.rows))
        throw Error("int8-activation matmul of a " + shape + " weight: null data or strides too short");
    if (tokens > 0 && w.rows > 0) {
        Int8Activations a;
        quantize_activations(x, ldx, tokens, w.cols, a);
        const Int8Call call{w, a, y, ldy, tokens, block_bytes};
        const auto rows = isa == Isa::scalar ? rows_scalar : rows_avx2;  // AVX-512 CPUs run the AVX2 code
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, w.rows, kRowsPerTask),
                          [&](const tbb::blocked_range<int64_t>& range) { rows(call, range.begin(), range.end()); });
    }
    return 2 * static_cast<uint64_t>(tokens) * static_cast<uint64_t>(w.rows) * static_cast<uint64_t>(w.cols);
}

}  // namespace flopwise::kernels

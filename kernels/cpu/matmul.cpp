#include "flopwise/kernels/matmul.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "flopwise/error.hpp"
#include "isa_support.hpp"
#include "quant_blocks.hpp"
#include "row_decoder.hpp"
#include "row_tiles.hpp"
#include "simd.hpp"

// Batch-invariant matrix product. Every output y[t][r] is computed by one vector accumulator that
// fuses W[r][k..k+lanes) * x[t][k..k+lanes) for k = 0, lanes, 2*lanes, ... in order (a last partial
// chunk reads zeros past the end), then sums its lanes with the path's fixed tree. Tiles of several
// tokens and rows only run many such accumulators side by side, so the result is the same whatever
// the tile shape, the number of tokens, the tile an output falls in, or the thread that runs it;
// K is never split. Weight rows are decoded (exactly) into a per-thread panel once and reused by
// every token of the block; calls of very few tokens (decoding) form quantized weights in
// registers instead, with the decoder's own operations, so both give the same bits.
namespace flopwise::kernels {
namespace {

// Rows per tile for 1..4 tokens: as many accumulators as the registers hold (16 on AVX2 and the
// scalar path, 32 on AVX-512) next to the operands of one step.
template <class S>
struct TileRows {
    static constexpr int for_tokens[4] = {8, 6, 4, 3};
    static constexpr int panel_multiple = 24;  // a multiple of every entry: full panels have no ragged tiles
};
template <>
struct TileRows<simd::Avx512> {
    static constexpr int for_tokens[4] = {16, 8, 8, 6};
    static constexpr int panel_multiple = 48;
};
constexpr int kMaxTileRows = 16;
constexpr int kMaxTileTokens = 4;
// Calls of at most this many tokens decode quantized weights in registers (fused_tile).
constexpr int64_t kMaxFusedTokens = 3;
// Tokens that share one decoded panel; larger batches are split so that there are tasks to share.
constexpr int64_t kTokenBlock = 128;
// A panel of decoded rows should stay in the per-core L2 cache while every token block sweeps it.
constexpr int64_t kPanelFloats = 32768;

struct MatmulCall {
    const WeightView& w;
    const float* x;
    int64_t ldx;
    float* y;
    int64_t ldy;
    RowDecoder decode;
};

// acc[t][r] += w[r][k..] * x[t][k..] for one chunk: a whole one, or the first `rest` lanes (the
// others read as zero) when Partial.
template <class S, int NT, int NR, bool Partial>
void fma_chunk(const float* const* w, const float* x, int64_t ldx, int64_t k, int rest, typename S::V (&acc)[NT][NR]) {
    using V = typename S::V;
    const auto load = [rest](const float* p) {
        if constexpr (Partial)
            return S::load_first(p, rest);
        else
            return S::load(p);
    };
    if constexpr (NT >= NR) {
        V wv[NR];
#pragma GCC unroll 16
        for (int r = 0; r < NR; ++r) wv[r] = load(w[r] + k);
#pragma GCC unroll 4
        for (int t = 0; t < NT; ++t) {
            const V xv = load(x + t * ldx + k);
#pragma GCC unroll 16
            for (int r = 0; r < NR; ++r) acc[t][r] = S::fma(wv[r], xv, acc[t][r]);
        }
    } else {
        V xv[NT];
#pragma GCC unroll 4
        for (int t = 0; t < NT; ++t) xv[t] = load(x + t * ldx + k);
#pragma GCC unroll 16
        for (int r = 0; r < NR; ++r) {
            const V wv = load(w[r] + k);
#pragma GCC unroll 4
            for (int t = 0; t < NT; ++t) acc[t][r] = S::fma(wv, xv[t], acc[t][r]);
        }
    }
}

// y[t*ldy + r] for NT tokens and the first `valid_rows` of NR weight rows.
template <class S, int NT, int NR>
void dot_tile(const float* const* w, const float* x, int64_t ldx, int64_t cols, float* y, int64_t ldy, int valid_rows) {
    using V = typename S::V;
    constexpr int L = S::lanes;
    V acc[NT][NR];
#pragma GCC unroll 4
    for (int t = 0; t < NT; ++t)
#pragma GCC unroll 16
        for (int r = 0; r < NR; ++r) acc[t][r] = S::zero();
    const int64_t full = cols / L * L;
    for (int64_t k = 0; k < full; k += L) fma_chunk<S, NT, NR, false>(w, x, ldx, k, L, acc);
    if (full < cols) fma_chunk<S, NT, NR, true>(w, x, ldx, full, static_cast<int>(cols - full), acc);
    float sums[NT][NR];
    simd::reduce_add_all<S>(&acc[0][0], NT * NR, &sums[0][0]);
    for (int t = 0; t < NT; ++t)
        for (int r = 0; r < valid_rows; ++r) y[t * ldy + r] = sums[t][r];
}

// NT tokens against `n_rows` decoded rows (the row pointer array is padded to whole tiles).
template <class S, int NT>
void sweep_rows(const MatmulCall& c, const float* const* rows, int64_t n_rows, int64_t row0, int64_t t) {
    constexpr int NR = TileRows<S>::for_tokens[NT - 1];
    for (int64_t r = 0; r < n_rows; r += NR)
        dot_tile<S, NT, NR>(rows + r, c.x + t * c.ldx, c.ldx, c.w.cols, c.y + t * c.ldy + row0 + r, c.ldy,
                            static_cast<int>(std::min<int64_t>(NR, n_rows - r)));
}

// Weight rows [row0, row0 + n_rows) against tokens [t0, t1).
template <class S>
void multiply_rows(const MatmulCall& c, int64_t row0, int64_t n_rows, int64_t t0, int64_t t1, float* panel,
                   int64_t panel_stride) {
    const float* rows[TileRows<S>::panel_multiple * 4 + kMaxTileRows];
    const auto* base = static_cast<const uint8_t*>(c.w.data) + static_cast<uint64_t>(row0) * c.w.row_stride;
    for (int64_t i = 0; i < n_rows; ++i) {
        const uint8_t* src = base + static_cast<uint64_t>(i) * c.w.row_stride;
        if (c.w.type == TensorType::F32) {
            rows[i] = reinterpret_cast<const float*>(src);  // already float32: no copy
        } else {
            c.decode(src, panel + i * panel_stride, c.w.cols);
            rows[i] = panel + i * panel_stride;
        }
    }
    // Rows past the end of a ragged tile repeat row 0; their results are discarded.
    std::fill(rows + n_rows, rows + n_rows + kMaxTileRows, rows[0]);

    for (int64_t t = t0; t < t1; t += kMaxTileTokens) {
        switch (std::min<int64_t>(kMaxTileTokens, t1 - t)) {
            case 4: sweep_rows<S, 4>(c, rows, n_rows, row0, t); break;
            case 3: sweep_rows<S, 3>(c, rows, n_rows, row0, t); break;
            case 2: sweep_rows<S, 2>(c, rows, n_rows, row0, t); break;
            default: sweep_rows<S, 1>(c, rows, n_rows, row0, t); break;
        }
    }
}

// Readers of one weight row for the fused path: `load` points a reader at a block of the row,
// `weights` forms weights i .. i + lanes of that block in registers, with exactly the row
// decoder's operations.
template <class Layout>
struct QuantizedReader {
    static constexpr int elements = Layout::elements, bytes = Layout::bytes;
    quant::Unpacked unpacked;
    void load(const uint8_t* block) { Layout::unpack(block, unpacked); }
    template <class S>
    typename S::V weights(int i) const {
        return quant::weights<S, Layout>(unpacked, i);
    }
};

// Q4_0 weights straight from the packed nibbles (elements 0..15 are the low nibbles of the 16
// bytes, 16..31 the high ones). The decoder's d * float(q - 8) is formed as fma(d, float(q), -8d):
// -8d is exact and both are one rounding of the same exact product, so the bits are the same, with
// fewer operations than unpacking to bytes first.
struct Q4_0Reader {
    static constexpr int elements = 32, bytes = 18;
    const uint8_t* nibbles;
    float d, minus_8d;
    FLOPWISE_AVX2 void load(const uint8_t* block) {
        d = quant::half_at(block);
        minus_8d = -8.0f * d;
        nibbles = block + 2;
    }
    template <class S>
    typename S::V weights(int i) const {
        return S::fma(S::set1(d), S::from_nibbles(nibbles + (i & 15), i >= 16), S::set1(minus_8d));
    }
};

// F16 and BF16 rows in runs of 64 values (rows of other lengths take the panel path).
template <TensorType type>
struct HalfReader {
    static constexpr int elements = 64, bytes = 128;
    const uint8_t* data;
    void load(const uint8_t* run) { data = run; }
    template <class S>
    typename S::V weights(int i) const {
        if constexpr (type == TensorType::F16)
            return S::from_f16(data + 2 * i);
        else
            return S::from_bf16(data + 2 * i);
    }
};

// Decode-and-multiply for calls of up to kMaxFusedTokens tokens, where each weight is used so few
// times that writing it out as a float would cost more than the multiplications: NR rows are read
// block by block, their weights formed in registers and multiplied at once. A step takes the
// tokens' inputs over a span of a few vectors and then each row in turn, so that only those inputs,
// the accumulators and one row's weights are live: the compiler keeps them all in registers.
//
// The rows are streamed from memory once; while a block of the tile is multiplied, as many bytes of
// the next tile (`ahead`, null for none) are prefetched, keeping the reads one tile ahead.
template <class S, class Reader, int NT, int NR>
void fused_tile(const MatmulCall& c, const uint8_t* const* rows, const uint8_t* ahead, float* y, int valid_rows) {
    using V = typename S::V;
    constexpr int L = S::lanes;
    constexpr int span_vectors = std::min(Reader::elements / L, NT == 1 ? 4 : NT == 2 ? 2 : 1);
    constexpr int span = span_vectors * L;
    V acc[NT][NR];
#pragma GCC unroll 4
    for (int t = 0; t < NT; ++t)
#pragma GCC unroll 8
        for (int r = 0; r < NR; ++r) acc[t][r] = S::zero();
    Reader readers[NR];
    const int64_t blocks = c.w.cols / Reader::elements;
    constexpr int64_t tile_bytes_per_block = int64_t{NR} * Reader::bytes;
    for (int64_t b = 0; b < blocks; ++b) {
        prefetch_block(ahead, b, tile_bytes_per_block);
#pragma GCC unroll 8
        for (int r = 0; r < NR; ++r) readers[r].load(rows[r] + b * Reader::bytes);
        const float* x = c.x + b * Reader::elements;
        for (int i0 = 0; i0 < Reader::elements; i0 += span) {
            V xv[NT][span_vectors];
#pragma GCC unroll 4
            for (int t = 0; t < NT; ++t)
#pragma GCC unroll 4
                for (int j = 0; j < span_vectors; ++j) xv[t][j] = S::load(x + t * c.ldx + i0 + j * L);
#pragma GCC unroll 8
            for (int r = 0; r < NR; ++r) {
#pragma GCC unroll 4
                for (int j = 0; j < span_vectors; ++j) {
                    const V w = readers[r].template weights<S>(i0 + j * L);
#pragma GCC unroll 4
                    for (int t = 0; t < NT; ++t) acc[t][r] = S::fma(w, xv[t][j], acc[t][r]);
                }
            }
        }
    }
    float sums[NT][NR];
    simd::reduce_add_all<S>(&acc[0][0], NT * NR, &sums[0][0]);
    for (int t = 0; t < NT; ++t)
        for (int r = 0; r < valid_rows; ++r) y[t * c.ldy + r] = sums[t][r];
}

template <class S, class Reader, int NT>
void fused_rows(const MatmulCall& c, int64_t row0, int64_t n_rows) {
    constexpr int NR = NT == 1 ? 8 : NT == 2 ? 4 : 3;
    for (int64_t r = row0; r < row0 + n_rows; r += NR) {
        const RowTile<NR> tile = row_tile<NR>(c.w, r, row0 + n_rows);
        fused_tile<S, Reader, NT, NR>(c, tile.rows, tile.ahead, c.y + r, tile.valid);
    }
}

template <class S, int NT>
void fused_rows(const MatmulCall& c, int64_t row0, int64_t n_rows) {
    switch (c.w.type) {
        case TensorType::F16: return fused_rows<S, HalfReader<TensorType::F16>, NT>(c, row0, n_rows);
        case TensorType::BF16: return fused_rows<S, HalfReader<TensorType::BF16>, NT>(c, row0, n_rows);
        case TensorType::Q4_0: return fused_rows<S, Q4_0Reader, NT>(c, row0, n_rows);
        case TensorType::Q4_1: return fused_rows<S, QuantizedReader<quant::Q4_1>, NT>(c, row0, n_rows);
        case TensorType::Q5_0: return fused_rows<S, QuantizedReader<quant::Q5_0>, NT>(c, row0, n_rows);
        case TensorType::Q5_1: return fused_rows<S, QuantizedReader<quant::Q5_1>, NT>(c, row0, n_rows);
        case TensorType::Q8_0: return fused_rows<S, QuantizedReader<quant::Q8_0>, NT>(c, row0, n_rows);
        case TensorType::Q2_K: return fused_rows<S, QuantizedReader<quant::Q2_K>, NT>(c, row0, n_rows);
        case TensorType::Q3_K: return fused_rows<S, QuantizedReader<quant::Q3_K>, NT>(c, row0, n_rows);
        case TensorType::Q4_K: return fused_rows<S, QuantizedReader<quant::Q4_K>, NT>(c, row0, n_rows);
        case TensorType::Q5_K: return fused_rows<S, QuantizedReader<quant::Q5_K>, NT>(c, row0, n_rows);
        case TensorType::Q6_K: return fused_rows<S, QuantizedReader<quant::Q6_K>, NT>(c, row0, n_rows);
        default: return;  // the plan only fuses the types above
    }
}

// F32 rows are read in place by the panel path already; every other type can be fused, the half
// formats when their rows are whole runs.
bool has_fused_path(const WeightView& w) {
    switch (w.type) {
        case TensorType::F32: return false;
        case TensorType::F16:
        case TensorType::BF16: return w.cols % HalfReader<TensorType::F16>::elements == 0;
        default: return true;
    }
}

// How a product is cut into tasks: panels of rows times blocks of tokens.
struct Plan {
    bool fused;  // decode-and-multiply in registers, without a panel
    int64_t tokens;
    int64_t panel_rows;
    int64_t panel_stride;  // floats between decoded rows
    int64_t decode_rows;   // rows decoded at a time within a panel
    int64_t token_blocks;
    int64_t tasks;
};

template <class S>
Plan make_plan(const WeightView& w, int64_t tokens) {
    constexpr int64_t multiple = TileRows<S>::panel_multiple;
    Plan p{};
    p.fused = S::lanes > 1 && tokens <= kMaxFusedTokens && has_fused_path(w);
    p.tokens = tokens;
    p.panel_rows =
        std::clamp<int64_t>(kPanelFloats / std::max<int64_t>(w.cols, 1) / multiple * multiple, multiple, 4 * multiple);
    p.panel_stride = (w.cols + 15) / 16 * 16;
    // With one token group there is no reuse to gain from a large panel: decode one tile of rows at
    // a time so that it is still in L1 when the tile reads it.
    p.decode_rows = tokens <= kMaxTileTokens ? TileRows<S>::for_tokens[tokens - 1] : p.panel_rows;
    p.token_blocks = (tokens + kTokenBlock - 1) / kTokenBlock;
    p.tasks = (w.rows + p.panel_rows - 1) / p.panel_rows * p.token_blocks;
    return p;
}

template <class S>
void run_tasks(const MatmulCall& c, const Plan& p, int64_t first, int64_t last, float* scratch) {
    for (int64_t task = first; task < last; ++task) {
        const int64_t panel = task / p.token_blocks, block = task % p.token_blocks;
        const int64_t panel_end = std::min(c.w.rows, (panel + 1) * p.panel_rows);
        if constexpr (S::lanes > 1) {
            if (p.fused) {
                const int64_t row0 = panel * p.panel_rows;
                switch (p.tokens) {
                    case 1: fused_rows<S, 1>(c, row0, panel_end - row0); break;
                    case 2: fused_rows<S, 2>(c, row0, panel_end - row0); break;
                    default: fused_rows<S, 3>(c, row0, panel_end - row0); break;
                }
                continue;
            }
        }
        const int64_t t0 = block * kTokenBlock, t1 = std::min(p.tokens, t0 + kTokenBlock);
        for (int64_t r = panel * p.panel_rows; r < panel_end; r += p.decode_rows)
            multiply_rows<S>(c, r, std::min(p.decode_rows, panel_end - r), t0, t1, scratch, p.panel_stride);
    }
}

void run_tasks_scalar(const MatmulCall& c, const Plan& p, int64_t first, int64_t last, float* scratch) {
    run_tasks<simd::Scalar>(c, p, first, last, scratch);
}

FLOPWISE_AVX2 [[gnu::flatten]] void run_tasks_avx2(const MatmulCall& c, const Plan& p, int64_t first, int64_t last,
                                                   float* scratch) {
    run_tasks<simd::Avx2>(c, p, first, last, scratch);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 false positives inside AVX-512 intrinsics
#pragma GCC diagnostic ignored "-Wuninitialized"
FLOPWISE_AVX512 [[gnu::flatten]] void run_tasks_avx512(const MatmulCall& c, const Plan& p, int64_t first, int64_t last,
                                                       float* scratch) {
    run_tasks<simd::Avx512>(c, p, first, last, scratch);
}
#pragma GCC diagnostic pop

// The task loop lives outside the ISA entry points: oneTBB calls it through its own (generic)
// functions, which the `flatten` attribute cannot reach. Products of one input run in one sweep:
// their tasks are numbered one after another, so the threads synchronize once for all of them.
void multiply(std::span<const MatmulCall> calls, int64_t tokens, Isa isa) {
    const auto run = isa == Isa::avx512 ? run_tasks_avx512 : isa == Isa::avx2 ? run_tasks_avx2 : run_tasks_scalar;
    std::vector<Plan> plans;
    std::vector<int64_t> first_task{0};
    int64_t scratch_floats = 0;
    for (const MatmulCall& c : calls) {
        plans.push_back(isa == Isa::avx512 ? make_plan<simd::Avx512>(c.w, tokens)
                        : isa == Isa::avx2 ? make_plan<simd::Avx2>(c.w, tokens)
                                           : make_plan<simd::Scalar>(c.w, tokens));
        first_task.push_back(first_task.back() + plans.back().tasks);
        scratch_floats = std::max(scratch_floats, plans.back().decode_rows * plans.back().panel_stride);
    }
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, first_task.back()), [&](const tbb::blocked_range<int64_t>& range) {
        thread_local std::vector<float> scratch;
        scratch.resize(static_cast<size_t>(scratch_floats));
        for (size_t i = 0; i < calls.size(); ++i) {
            const int64_t begin = std::max(range.begin(), first_task[i]), end = std::min(range.end(), first_task[i + 1]);
            if (begin < end) run(calls[i], plans[i], begin - first_task[i], end - first_task[i], scratch.data());
        }
    });
}

void validate(const WeightView& w, const void* x, int64_t ldx, int64_t tokens, const void* y, int64_t ldy) {
    const std::string shape = std::to_string(w.rows) + "x" + std::to_string(w.cols) + " " + std::string(name(w.type));
    const auto fail = [&](const std::string& what) { throw Error("matmul of a " + shape + " weight: " + what); };
    if (w.rows < 0 || w.cols < 0 || tokens < 0) fail("negative dimension or token count " + std::to_string(tokens));
    const uint64_t bytes = row_bytes(w.type, static_cast<uint64_t>(w.cols));
    if (w.rows > 1 && w.row_stride < bytes)
        fail("row stride " + std::to_string(w.row_stride) + " is shorter than a row (" + std::to_string(bytes) +
             " bytes)");
    if (w.rows > 0 && w.cols > 0 && w.data == nullptr) fail("no weight data");
    if (tokens > 0 && w.rows > 0) {
        if (x == nullptr || y == nullptr) fail("null input or output");
        if (ldx < w.cols || ldy < w.rows)
            fail("input stride " + std::to_string(ldx) + " or output stride " + std::to_string(ldy) + " is too short");
    }
}

}  // namespace

uint64_t matmul(const WeightView& w, const float* x, int64_t ldx, int64_t tokens, float* y, int64_t ldy, Isa isa) {
    const MatmulOutput output{w, y, ldy};
    return matmul_same_input(std::span<const MatmulOutput>(&output, 1), x, ldx, tokens, isa);
}

uint64_t matmul_same_input(std::span<const MatmulOutput> outputs, const float* x, int64_t ldx, int64_t tokens, Isa isa) {
    require_supported(isa, "matmul");
    std::vector<MatmulCall> calls;
    uint64_t flops = 0;
    for (const MatmulOutput& o : outputs) {
        validate(o.w, x, ldx, tokens, o.y, o.ldy);
        if (tokens > 0 && o.w.rows > 0) calls.push_back(MatmulCall{o.w, x, ldx, o.y, o.ldy, row_decoder(o.w.type, isa)});
        flops += 2 * static_cast<uint64_t>(tokens) * static_cast<uint64_t>(o.w.rows) * static_cast<uint64_t>(o.w.cols);
    }
    if (!calls.empty()) multiply(calls, tokens, isa);
    return flops;
}

void matmul_reference(const WeightView& w, const float* x, int64_t ldx, int64_t tokens, double* y, int64_t ldy) {
    validate(w, x, ldx, tokens, y, ldy);
    std::vector<float> row(static_cast<size_t>(w.cols));
    for (int64_t r = 0; r < w.rows; ++r) {
        dequantize_row_reference(w.type, static_cast<const uint8_t*>(w.data) + static_cast<uint64_t>(r) * w.row_stride,
                                 row.data(), w.cols);
        for (int64_t t = 0; t < tokens; ++t) {
            double sum = 0.0;
            for (int64_t k = 0; k < w.cols; ++k) sum += double{row[static_cast<size_t>(k)]} * double{x[t * ldx + k]};
            y[t * ldy + r] = sum;
        }
    }
}

}  // namespace flopwise::kernels

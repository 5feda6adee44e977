#include "flopwise/kernels/attention.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "flopwise/error.hpp"
#include "isa_support.hpp"
#include "simd.hpp"

namespace flopwise::kernels {
namespace {

// Keys are visited in blocks of this many absolute positions (0..63, 64..127, ...), so the
// sequence of online-softmax steps a query takes depends only on its position.
constexpr int64_t kKeyBlock = 64;
// (query, head) pairs that walk the key blocks together, so each block is read from memory once
// per tile rather than once per pair.
constexpr int64_t kTileStates = 8;

struct AttentionCall {
    const AttentionShape& shape;
    const float* q;
    int64_t ldq;
    const int32_t* q_pos;
    const float* k;
    const float* v;
    int64_t ldkv;
    float* out;
    int64_t ldo;
};

int64_t first_visible_key(int64_t position, int32_t window) {
    return window > 0 ? std::max<int64_t>(0, position - window + 1) : 0;
}

int64_t round_up(int64_t n, int64_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// The online-softmax state of one (query, head): running maximum, running sum, unnormalised output.
struct QueryState {
    float max = -std::numeric_limits<float>::infinity();
    float sum = 0.0f;
    int64_t position = 0;
    float* query = nullptr;        // zero-padded copy of the query's head slice
    float* output = nullptr;       // zero-padded accumulator
    float* destination = nullptr;  // where the normalised output goes
};

// Register tiles of a group of NQ queries that take the same step: keys per score pass and value
// chunks per accumulation pass, as many accumulators as 16 registers hold beside the operands.
constexpr int kKeysPerPass[4] = {8, 6, 4, 3};
constexpr int kChunksPerPass[4] = {8, 6, 4, 3};
// Scores of one query for one block, with room for the ragged last pass of keys to spill over.
using BlockScores = float[kKeyBlock + 8];

// scores[q][j] = query_q . k_j for NQ queries and NK keys (rows ldkv apart). Each score is one
// accumulator over the head in order, whatever the tile it falls in.
template <class S, int NQ, int NK>
void dot_keys(QueryState* const* group, const float* const* k, int64_t head_dim, BlockScores* scores, int64_t j0) {
    using V = typename S::V;
    constexpr int L = S::lanes;
    const int64_t full = head_dim / L * L;
    V acc[NQ][NK];
#pragma GCC unroll 4
    for (int q = 0; q < NQ; ++q)
#pragma GCC unroll 8
        for (int j = 0; j < NK; ++j) acc[q][j] = S::zero();
    const auto step = [&](int64_t d, int rest) {
        V kv[NK];
#pragma GCC unroll 8
        for (int j = 0; j < NK; ++j) kv[j] = rest == L ? S::load(k[j] + d) : S::load_first(k[j] + d, rest);
#pragma GCC unroll 4
        for (int q = 0; q < NQ; ++q) {
            const V qv = S::load(group[q]->query + d);  // zero-padded past the head
#pragma GCC unroll 8
            for (int j = 0; j < NK; ++j) acc[q][j] = S::fma(qv, kv[j], acc[q][j]);
        }
    };
    for (int64_t d = 0; d < full; d += L) step(d, L);
    if (full < head_dim) step(full, static_cast<int>(head_dim - full));
    float sums[NQ][NK];
    simd::reduce_add_all<S>(&acc[0][0], NQ * NK, &sums[0][0]);
    for (int q = 0; q < NQ; ++q) std::copy_n(sums[q], NK, scores[q] + j0);
}

// o_q = o_q * alpha_q + sum_j p_qj v_j for NQ queries over G value chunks starting at `column`.
// `valid` < lanes marks a final chunk only partly inside the head (the rest of o is padding).
template <class S, int NQ, int G>
void accumulate_values(QueryState* const* group, const float* alpha, const BlockScores* p, const float* v, int64_t ldkv,
                       int64_t count, int64_t column, int valid) {
    using V = typename S::V;
    constexpr int L = S::lanes;
    V acc[NQ][G];
#pragma GCC unroll 4
    for (int q = 0; q < NQ; ++q)
#pragma GCC unroll 8
        for (int g = 0; g < G; ++g) acc[q][g] = S::mul(S::load(group[q]->output + column + g * L), S::set1(alpha[q]));
    for (int64_t j = 0; j < count; ++j) {
        const float* row = v + j * ldkv + column;
        V value[G];
#pragma GCC unroll 8
        for (int g = 0; g < G; ++g)
            value[g] = (g == G - 1 && valid < L) ? S::load_first(row + g * L, valid) : S::load(row + g * L);
#pragma GCC unroll 4
        for (int q = 0; q < NQ; ++q) {
            const V weight = S::set1(p[q][j]);
#pragma GCC unroll 8
            for (int g = 0; g < G; ++g) acc[q][g] = S::fma(weight, value[g], acc[q][g]);
        }
    }
#pragma GCC unroll 4
    for (int q = 0; q < NQ; ++q)
#pragma GCC unroll 8
        for (int g = 0; g < G; ++g) S::store(group[q]->output + column + g * L, acc[q][g]);
}

// Turns a query's raw scores for `count` keys into softmax weights relative to its new running
// maximum, updates its running sum, and returns the factor that rescales its earlier output.
template <class S>
float softmax_step(const AttentionShape& s, QueryState& state, float* scores, int64_t count) {
    using V = typename S::V;
    constexpr int L = S::lanes;
    float block_max = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < count; ++j) {
        float score = scores[j] * s.scale;
        if (s.softcap > 0.0f) score = s.softcap * std::tanh(score / s.softcap);
        scores[j] = score;
        block_max = std::max(block_max, score);
    }
    const int64_t padded = round_up(count, L);
    std::fill(scores + count, scores + padded, -std::numeric_limits<float>::infinity());  // weigh 0

    const float new_max = std::max(state.max, block_max);
    const float alpha = std::exp(state.max - new_max);
    const V shift = S::set1(new_max);
    V sum = S::zero();
    for (int64_t j = 0; j < padded; j += L) {
        const V weight = simd::exp_nonpositive<S>(S::sub(S::load(scores + j), shift));
        S::store(scores + j, weight);
        sum = S::add(sum, weight);
    }
    state.max = new_max;
    state.sum = state.sum * alpha + S::reduce_add(sum);
    return alpha;
}

// One online-softmax step over keys [from, to) (inside one key block) for NQ queries that all see
// exactly those keys. Each query's arithmetic is the same as if it took the step alone.
template <class S, int NQ>
void attend_keys(const AttentionCall& c, QueryState* const* group, const float* keys, const float* values, int64_t from,
                 int64_t to) {
    constexpr int L = S::lanes;
    constexpr int NK = kKeysPerPass[NQ - 1], G = kChunksPerPass[NQ - 1];
    const int64_t head_dim = c.shape.head_dim;
    const int64_t count = to - from;
    alignas(64) BlockScores scores[NQ];
    const float* k[NK];
    for (int64_t j = 0; j < count; j += NK) {
        // Keys past the end of a ragged pass repeat key `from`; their scores land in the padding.
        for (int i = 0; i < NK; ++i) k[i] = keys + (j + i < count ? from + j + i : from) * c.ldkv;
        dot_keys<S, NQ, NK>(group, k, head_dim, scores, j);
    }

    float alpha[NQ];
    for (int q = 0; q < NQ; ++q) alpha[q] = softmax_step<S>(c.shape, *group[q], scores[q], count);

    const int64_t chunks = round_up(head_dim, L) / L;
    const int tail = static_cast<int>(head_dim - (chunks - 1) * L);
    const float* v = values + from * c.ldkv;
    int64_t chunk = 0;
    for (; chunk + G <= chunks; chunk += G)
        accumulate_values<S, NQ, G>(group, alpha, scores, v, c.ldkv, count, chunk * L, chunk + G == chunks ? tail : L);
    for (; chunk < chunks; ++chunk)
        accumulate_values<S, NQ, 1>(group, alpha, scores, v, c.ldkv, count, chunk * L, chunk + 1 == chunks ? tail : L);
}

// A task: queries [q_begin, q_end) times heads [head_begin, head_end), heads that share one KV head.
struct Tile {
    int64_t q_begin, q_end;
    int32_t head_begin, head_end;
};

// Walks the key blocks that any (query, head) of the tile sees. Per block, the pairs that see all
// of it take the step together, up to 4 at a time, so that each key and value vector loaded serves
// several queries and heads; the others (block cut by the causal edge or the window) step alone.
template <class S>
void attend_tile(const AttentionCall& c, const Tile& t) {
    constexpr int L = S::lanes;
    const AttentionShape& s = c.shape;
    const int64_t head_dim = s.head_dim;
    const int64_t padded_dim = round_up(head_dim, L);
    const int64_t kv_column = int64_t{t.head_begin / (s.n_head / s.n_head_kv)} * head_dim;
    const float* keys = c.k + kv_column;
    const float* values = c.v + kv_column;

    const int64_t n = (t.q_end - t.q_begin) * (t.head_end - t.head_begin);
    std::vector<float> buffer(static_cast<size_t>(2 * n * padded_dim), 0.0f);
    std::vector<QueryState> states(static_cast<size_t>(n));
    int64_t lowest = std::numeric_limits<int64_t>::max(), highest = 0;
    QueryState* state = states.data();
    for (int64_t i = t.q_begin; i < t.q_end; ++i) {
        for (int32_t h = t.head_begin; h < t.head_end; ++h, ++state) {
            state->position = c.q_pos[i];
            state->query = buffer.data() + 2 * (state - states.data()) * padded_dim;
            state->output = state->query + padded_dim;
            state->destination = c.out + i * c.ldo + int64_t{h} * head_dim;
            std::copy_n(c.q + i * c.ldq + int64_t{h} * head_dim, head_dim, state->query);
        }
        lowest = std::min(lowest, first_visible_key(c.q_pos[i], s.window));
        highest = std::max<int64_t>(highest, c.q_pos[i]);
    }

    std::vector<QueryState*> whole;
    for (int64_t block = lowest / kKeyBlock * kKeyBlock; block <= highest; block += kKeyBlock) {
        whole.clear();
        for (QueryState& pair : states) {
            const int64_t from = std::max(block, first_visible_key(pair.position, s.window));
            const int64_t to = std::min(block + kKeyBlock, pair.position + 1);
            QueryState* alone = &pair;
            if (from == block && to == block + kKeyBlock)
                whole.push_back(alone);
            else if (from < to)
                attend_keys<S, 1>(c, &alone, keys, values, from, to);
        }
        for (size_t i = 0; i < whole.size(); i += 4) {
            QueryState* const* group = whole.data() + i;
            switch (std::min<size_t>(4, whole.size() - i)) {
                case 4: attend_keys<S, 4>(c, group, keys, values, block, block + kKeyBlock); break;
                case 3: attend_keys<S, 3>(c, group, keys, values, block, block + kKeyBlock); break;
                case 2: attend_keys<S, 2>(c, group, keys, values, block, block + kKeyBlock); break;
                default: attend_keys<S, 1>(c, group, keys, values, block, block + kKeyBlock); break;
            }
        }
    }

    for (const QueryState& pair : states) {
        const float inverse = 1.0f / pair.sum;
        for (int64_t d = 0; d < head_dim; ++d) pair.destination[d] = pair.output[d] * inverse;
    }
}

void attend_tile_scalar(const AttentionCall& c, const Tile& t) { attend_tile<simd::Scalar>(c, t); }

FLOPWISE_AVX2 [[gnu::flatten]] void attend_tile_avx2(const AttentionCall& c, const Tile& t) {
    attend_tile<simd::Avx2>(c, t);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 false positives inside AVX-512 intrinsics
#pragma GCC diagnostic ignored "-Wuninitialized"
FLOPWISE_AVX512 [[gnu::flatten]] void attend_tile_avx512(const AttentionCall& c, const Tile& t) {
    attend_tile<simd::Avx512>(c, t);
}
#pragma GCC diagnostic pop

// Cuts the call into tiles of about kTileStates (query, head) pairs: whole query-head groups when
// there are enough tiles to keep every thread busy, else smaller head chunks (decoding one token).
std::vector<Tile> make_tiles(const AttentionShape& s, int64_t n_query) {
    const int32_t group = s.n_head / s.n_head_kv;
    int32_t heads = group;
    const auto tile_queries = [&] { return std::max<int64_t>(1, kTileStates / heads); };
    const auto count = [&] {
        return (n_query + tile_queries() - 1) / tile_queries() * s.n_head_kv * ((group + heads - 1) / heads);
    };
    while (heads > 1 && count() < 2 * tbb::this_task_arena::max_concurrency()) heads = (heads + 1) / 2;
    std::vector<Tile> tiles;
    for (int64_t q = 0; q < n_query; q += tile_queries())
        for (int32_t kv = 0; kv < s.n_head_kv; ++kv)
            for (int32_t h = kv * group; h < (kv + 1) * group; h += heads)
                tiles.push_back({q, std::min(n_query, q + tile_queries()), h, std::min((kv + 1) * group, h + heads)});
    return tiles;
}

}  // namespace

void check_attention_arguments(const AttentionShape& s, int64_t ldq, const int32_t* q_pos, int64_t n_query, int64_t ldkv,
                               int64_t n_key, int64_t ldo) {
    const auto fail = [](const std::string& what) { throw Error("attention: " + what); };
    if (s.n_head <= 0 || s.n_head_kv <= 0 || s.head_dim <= 0)
        fail("n_head, n_head_kv and head_dim must be positive (got " + std::to_string(s.n_head) + ", " +
             std::to_string(s.n_head_kv) + ", " + std::to_string(s.head_dim) + ")");
    if (s.n_head % s.n_head_kv != 0)
        fail("n_head " + std::to_string(s.n_head) + " is not a multiple of n_head_kv " + std::to_string(s.n_head_kv));
    if (s.window < 0) fail("negative window " + std::to_string(s.window));
    if (!(s.softcap >= 0.0f)) fail("softcap must be 0 (off) or positive");
    const int64_t q_width = int64_t{s.n_head} * s.head_dim;
    if (ldq < q_width || ldo < q_width || ldkv < int64_t{s.n_head_kv} * s.head_dim)
        fail("row strides (ldq " + std::to_string(ldq) + ", ldkv " + std::to_string(ldkv) + ", ldo " +
             std::to_string(ldo) + ") are shorter than the rows they hold");
    if (n_query < 0 || n_key < 0) fail("negative query or key count");
    for (int64_t i = 0; i < n_query; ++i)
        if (q_pos[i] < 0 || q_pos[i] >= n_key)
            fail("query " + std::to_string(i) + " is at position " + std::to_string(q_pos[i]) + ", outside the " +
                 std::to_string(n_key) + " keys given");
}

uint64_t attention(const AttentionShape& shape, const float* q, int64_t ldq, const int32_t* q_pos, int64_t n_query,
                   const float* k, const float* v, int64_t ldkv, int64_t n_key, float* out, int64_t ldo, Isa isa) {
    check_attention_arguments(shape, ldq, q_pos, n_query, ldkv, n_key, ldo);
    require_supported(isa, "attention");
    const auto attend = isa == Isa::avx512 ? attend_tile_avx512
                        : isa == Isa::avx2 ? attend_tile_avx2
                                           : attend_tile_scalar;
    const AttentionCall call{shape, q, ldq, q_pos, k, v, ldkv, out, ldo};
    const std::vector<Tile> tiles = make_tiles(shape, n_query);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, tiles.size(), 1), [&](const tbb::blocked_range<size_t>& r) {
        for (size_t i = r.begin(); i < r.end(); ++i) attend(call, tiles[i]);
    });

    return attention_flops(shape, q_pos, n_query);
}

uint64_t attention_flops(const AttentionShape& shape, const int32_t* q_pos, int64_t n_query) {
    uint64_t visible = 0;
    for (int64_t i = 0; i < n_query; ++i)
        visible += static_cast<uint64_t>(q_pos[i] + 1 - first_visible_key(q_pos[i], shape.window));
    return visible * 4 * static_cast<uint64_t>(shape.head_dim) * static_cast<uint64_t>(shape.n_head);
}

void attention_reference(const AttentionShape& shape, const float* q, int64_t ldq, const int32_t* q_pos,
                         int64_t n_query, const float* k, const float* v, int64_t ldkv, int64_t n_key, double* out,
                         int64_t ldo) {
    check_attention_arguments(shape, ldq, q_pos, n_query, ldkv, n_key, ldo);
    const int64_t head_dim = shape.head_dim;
    const int32_t group = shape.n_head / shape.n_head_kv;
    std::vector<double> scores;
    for (int64_t i = 0; i < n_query; ++i) {
        const int64_t position = q_pos[i];
        const int64_t first = first_visible_key(position, shape.window);
        for (int32_t h = 0; h < shape.n_head; ++h) {
            const float* qh = q + i * ldq + int64_t{h} * head_dim;
            const int64_t kv_column = int64_t{h / group} * head_dim;
            scores.assign(static_cast<size_t>(position + 1 - first), 0.0);
            double max_score = -std::numeric_limits<double>::infinity();
            for (int64_t j = first; j <= position; ++j) {
                double dot = 0.0;
                for (int64_t d = 0; d < head_dim; ++d) dot += double{qh[d]} * double{k[j * ldkv + kv_column + d]};
                double score = dot * shape.scale;
                if (shape.softcap > 0.0f) score = shape.softcap * std::tanh(score / shape.softcap);
                scores[static_cast<size_t>(j - first)] = score;
                max_score = std::max(max_score, score);
            }
            double total = 0.0;
            for (double& score : scores) total += (score = std::exp(score - max_score));
            double* o = out + i * ldo + int64_t{h} * head_dim;
            for (int64_t d = 0; d < head_dim; ++d) {
                double sum = 0.0;
                for (int64_t j = first; j <= position; ++j)
                    sum += scores[static_cast<size_t>(j - first)] * double{v[j * ldkv + kv_column + d]};
                o[d] = sum / total;
            }
        }
    }
}

}  // namespace flopwise::kernels

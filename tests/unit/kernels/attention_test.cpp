#include "flopwise/kernels/attention.hpp"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "flopwise/error.hpp"
#include "kernel_test_support.hpp"

namespace flopwise::kernels {
namespace {

using test::first_bit_difference;

// One attention problem: a sequence of n_key keys/values and one query at every position.
struct Problem {
    AttentionShape shape;
    int64_t n_key;
    std::vector<float> q, k, v;
    std::vector<int32_t> positions;

    Problem(AttentionShape s, int64_t keys, uint32_t seed) : shape(s), n_key(keys) {
        q = random_values(static_cast<size_t>(n_key * q_width()), seed, -2.0f, 2.0f);
        k = random_values(static_cast<size_t>(n_key * kv_width()), seed + 1, -2.0f, 2.0f);
        v = random_values(static_cast<size_t>(n_key * kv_width()), seed + 2);
        positions.resize(static_cast<size_t>(n_key));
        std::iota(positions.begin(), positions.end(), 0);
    }
    int64_t q_width() const { return int64_t{shape.n_head} * shape.head_dim; }
    int64_t kv_width() const { return int64_t{shape.n_head_kv} * shape.head_dim; }

    // Output rows of the queries at `chosen` positions, computed in one call.
    std::vector<float> run(const std::vector<int32_t>& chosen, Isa isa, uint64_t* flops = nullptr) const {
        std::vector<float> rows(chosen.size() * static_cast<size_t>(q_width()));
        for (size_t i = 0; i < chosen.size(); ++i)
            std::copy_n(q.data() + chosen[i] * q_width(), q_width(), rows.data() + i * q_width());
        std::vector<float> out(rows.size());
        const uint64_t done =
            attention(shape, rows.data(), q_width(), chosen.data(), static_cast<int64_t>(chosen.size()), k.data(),
                      v.data(), kv_width(), n_key, out.data(), q_width(), isa);
        if (flops) *flops = done;
        return out;
    }
};

struct Case {
    const char* label;
    AttentionShape shape;
    int64_t n_key;
};

const Case kCases[] = {
    {"gemma-like GQA 4:1, head 256", {4, 1, 256, 0.0625f, 0, 0.0f}, 150},
    {"llama-like GQA 8:2, head 64, window 37", {8, 2, 64, 0.125f, 37, 0.0f}, 200},
    {"odd head size 20 with softcap", {2, 2, 20, 0.3f, 0, 5.0f}, 130},
    {"window aligned to a block, head 48", {3, 1, 48, 0.2f, 64, 0.0f}, 140},
};

class AttentionTest : public testing::TestWithParam<Isa> {};

TEST_P(AttentionTest, MatchesFloat64Reference) {
    for (const Case& c : kCases) {
        const Problem p(c.shape, c.n_key, 11);
        const std::vector<float> out = p.run(p.positions, GetParam());
        std::vector<double> expected(out.size());
        attention_reference(p.shape, p.q.data(), p.q_width(), p.positions.data(), p.n_key, p.k.data(), p.v.data(),
                            p.kv_width(), p.n_key, expected.data(), p.q_width());
        double worst = 0.0;
        for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, std::abs(out[i] - expected[i]));
        // Values lie in [-1, 1]; float32 scores, weights and sums over up to 200 keys stay well inside this.
        EXPECT_LT(worst, 2e-6) << c.label;
    }
}

TEST_P(AttentionTest, QueryResultDoesNotDependOnTheBatch) {
    for (const Case& c : kCases) {
        const Problem p(c.shape, c.n_key, 21);
        const std::vector<float> all = p.run(p.positions, GetParam());
        const int64_t width = p.q_width();
        // Alone, and inside a small out-of-order batch.
        const std::vector<int32_t> subset{static_cast<int32_t>(c.n_key - 1), 3, 64, 63, 100, 0};
        const std::vector<float> some = p.run(subset, GetParam());
        for (size_t i = 0; i < subset.size(); ++i) {
            const float* expected = all.data() + subset[i] * width;
            EXPECT_EQ(first_bit_difference(some.data() + i * width, expected, width), -1)
                << c.label << ": query at " << subset[i] << " in a batch";
            const std::vector<float> alone = p.run({subset[i]}, GetParam());
            EXPECT_EQ(first_bit_difference(alone.data(), expected, width), -1)
                << c.label << ": query at " << subset[i] << " alone";
        }
    }
}

TEST_P(AttentionTest, ThreadCountDoesNotChangeResults) {
    const Problem p(kCases[1].shape, kCases[1].n_key, 31);
    std::vector<float> one, two;
    {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
        one = p.run(p.positions, GetParam());
    }
    {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
        two = p.run(p.positions, GetParam());
    }
    EXPECT_EQ(first_bit_difference(one.data(), two.data(), static_cast<int64_t>(one.size())), -1);
}

TEST_P(AttentionTest, CountsFlopsOfVisibleKeysOnly) {
    const Case& c = kCases[1];  // window 37
    const Problem p(c.shape, c.n_key, 41);
    uint64_t flops = 0;
    p.run(p.positions, GetParam(), &flops);
    uint64_t visible = 0;
    for (int64_t i = 0; i < c.n_key; ++i) visible += static_cast<uint64_t>(std::min<int64_t>(i + 1, c.shape.window));
    EXPECT_EQ(flops, visible * 4 * c.shape.head_dim * c.shape.n_head);
}

FLOPWISE_INSTANTIATE_FOR_EACH_ISA(AttentionTest);

TEST(Attention, RejectsInconsistentArguments) {
    const Problem p({4, 2, 16, 1.0f, 0, 0.0f}, 10, 51);
    std::vector<float> out(p.q.size());
    const auto call = [&](AttentionShape shape, int32_t position) {
        attention(shape, p.q.data(), p.q_width(), &position, 1, p.k.data(), p.v.data(), p.kv_width(), p.n_key,
                  out.data(), p.q_width());
    };
    EXPECT_NO_THROW(call(p.shape, 9));
    EXPECT_THROW(call(p.shape, 10), Error);  // past the last key
    EXPECT_THROW(call(p.shape, -1), Error);
    EXPECT_THROW(call({3, 2, 16, 1.0f, 0, 0.0f}, 5), Error);  // heads not a multiple of kv heads
    EXPECT_THROW(call({4, 2, 0, 1.0f, 0, 0.0f}, 5), Error);
}

}  // namespace
}  // namespace flopwise::kernels

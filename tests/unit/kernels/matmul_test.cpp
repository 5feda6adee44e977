#include "flopwise/kernels/matmul.hpp"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <vector>

#include "flopwise/error.hpp"
#include "kernel_test_support.hpp"

namespace flopwise::kernels {
namespace {

using test::first_bit_difference;

// A random weight matrix of one type and the inputs of up to `max_tokens` tokens.
struct Problem {
    TensorType type;
    int64_t rows, cols, ldx, ldy;
    uint64_t row_stride;
    std::vector<uint8_t> data;
    std::vector<float> x;

    Problem(TensorType t, int64_t n_rows, int64_t n_cols, int64_t max_tokens, uint32_t seed,
            uint64_t stride_padding = 0)
        : type(t), rows(n_rows), cols(n_cols), ldx(n_cols + 5), ldy(n_rows + 3) {
        row_stride = row_bytes(type, static_cast<uint64_t>(cols)) + stride_padding;
        data = test::random_weights(type, rows, cols, seed, test::HalfRange::moderate, row_stride);
        x = random_values(static_cast<size_t>(max_tokens * ldx), seed + 7);
    }
    WeightView view() const { return {type, data.data(), rows, cols, row_stride}; }

    // Outputs of `tokens` tokens starting at token `first`.
    std::vector<float> run(int64_t first, int64_t tokens, Isa isa) const {
        std::vector<float> y(static_cast<size_t>(tokens * ldy), -7.0f);
        const uint64_t flops = matmul(view(), x.data() + first * ldx, ldx, tokens, y.data(), ldy, isa);
        EXPECT_EQ(flops, 2 * static_cast<uint64_t>(tokens * rows * cols));
        return y;
    }
};

// Row lengths per type: whole blocks for the quantized types; for the float types an odd length
// (rows end in a partial vector) and one that the fused half-float path takes.
std::vector<int64_t> test_cols(TensorType type) {
    if (traits(type).block_elements == 1) return {203, 320};
    return {512};
}

class MatmulTest : public testing::TestWithParam<Isa> {};

TEST_P(MatmulTest, MatchesFloat64Reference) {
    const int64_t tokens = 7;
    for (TensorType type : test::weight_types()) {
        for (int64_t cols : test_cols(type)) {
            const Problem p(type, 37, cols, tokens, 100 + static_cast<uint32_t>(type));
            const std::vector<float> y = p.run(0, tokens, GetParam());
            std::vector<double> expected(y.size());
            matmul_reference(p.view(), p.x.data(), p.ldx, tokens, expected.data(), p.ldy);

            // Float32 accumulation: the error is bounded by a small multiple of eps * sum |w x|.
            std::vector<float> w(static_cast<size_t>(p.cols));
            double worst = 0.0;
            for (int64_t r = 0; r < p.rows; ++r) {
                dequantize_row_reference(type, p.data.data() + r * p.row_stride, w.data(), p.cols);
                for (int64_t t = 0; t < tokens; ++t) {
                    double magnitude = 0.0;
                    for (int64_t k = 0; k < p.cols; ++k) magnitude += std::abs(double{w[k]} * p.x[t * p.ldx + k]);
                    const double error = std::abs(y[t * p.ldy + r] - expected[t * p.ldy + r]);
                    worst = std::max(worst, error / (magnitude * 0x1p-24));
                }
            }
            EXPECT_LT(worst, 24.0) << name(type) << " x " << cols << ": error in units of eps * sum|w x|";
        }
    }
}

// Each output must not depend on how many tokens share the call, on where a token sits in its
// tile, or on the number of threads.
TEST_P(MatmulTest, BatchInvariant) {
    const int64_t all = 200;
    for (TensorType type : test::weight_types()) {
        for (int64_t cols : test_cols(type)) {
            const Problem p(type, 130, cols, all, 200 + static_cast<uint32_t>(type));
            std::vector<float> full;
            {
                tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 1);
                full = p.run(0, all, GetParam());
            }
            {
                tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 2);
                const std::vector<float> two = p.run(0, all, GetParam());
                EXPECT_EQ(first_bit_difference(two.data(), full.data(), static_cast<int64_t>(full.size())), -1)
                    << name(type) << " x " << cols << ": 1 thread vs 2 threads";
            }
            for (int64_t tokens : {1, 2, 3, 6, 7, 64}) {
                for (int64_t first : {int64_t{0}, all - tokens, int64_t{5}}) {
                    const std::vector<float> part = p.run(first, tokens, GetParam());
                    for (int64_t t = 0; t < tokens; ++t) {
                        const int64_t at =
                            first_bit_difference(part.data() + t * p.ldy, full.data() + (first + t) * p.ldy, p.rows);
                        EXPECT_EQ(at, -1) << name(type) << " x " << cols << ": token " << first + t << " in a call of "
                                          << tokens << " tokens from " << first << " differs at row " << at;
                    }
                }
            }
        }
    }
}

// Products of one input in one sweep give each output exactly as its own call does, for weights of
// different types and sizes side by side and for decode and batch token counts.
TEST_P(MatmulTest, SameInputProductsMatchSeparateCalls) {
    const int64_t cols = 512;
    const Problem a(TensorType::Q4_0, 70, cols, 9, 11), b(TensorType::Q6_K, 17, cols, 9, 12), c(TensorType::F16, 131, cols, 9, 13);
    for (int64_t tokens : {1, 3, 9}) {
        std::vector<std::vector<float>> together;
        std::vector<MatmulOutput> outputs;
        for (const Problem* p : {&a, &b, &c}) {
            together.emplace_back(static_cast<size_t>(tokens * p->ldy), -7.0f);
            outputs.push_back({p->view(), together.back().data(), p->ldy});
        }
        const uint64_t flops = matmul_same_input(outputs, a.x.data(), a.ldx, tokens, GetParam());
        EXPECT_EQ(flops, 2 * static_cast<uint64_t>(tokens * (70 + 17 + 131) * cols));
        int i = 0;
        for (const Problem* p : {&a, &b, &c}) {
            std::vector<float> alone(static_cast<size_t>(tokens * p->ldy), -7.0f);
            matmul(p->view(), a.x.data(), a.ldx, tokens, alone.data(), p->ldy, GetParam());
            EXPECT_EQ(first_bit_difference(together[static_cast<size_t>(i)].data(), alone.data(), static_cast<int64_t>(alone.size())), -1)
                << name(p->type) << " with " << tokens << " tokens";
            ++i;
        }
    }
}

TEST_P(MatmulTest, PaddedRowStridesAndStridedOutputs) {
    const Problem p(TensorType::F32, 29, 45, 5, 300, 12);
    const std::vector<float> y = p.run(0, 5, GetParam());
    std::vector<double> expected(y.size());
    matmul_reference(p.view(), p.x.data(), p.ldx, 5, expected.data(), p.ldy);
    for (int64_t t = 0; t < 5; ++t) {
        for (int64_t r = 0; r < p.rows; ++r) EXPECT_NEAR(y[t * p.ldy + r], expected[t * p.ldy + r], 1e-5);
        for (int64_t r = p.rows; r < p.ldy; ++r) EXPECT_EQ(y[t * p.ldy + r], -7.0f) << "wrote past the row end";
    }
}

FLOPWISE_INSTANTIATE_FOR_EACH_ISA(MatmulTest);

TEST(Matmul, RejectsInconsistentWeights) {
    std::vector<uint8_t> data(4096);
    std::vector<float> x(512), y(64);
    const auto call = [&](WeightView w) { matmul(w, x.data(), 512, 1, y.data(), 64); };
    EXPECT_THROW(call({TensorType::Q4_K, data.data(), 2, 100, 144}), Error);  // not whole blocks
    EXPECT_THROW(call({TensorType::Q4_K, data.data(), 2, 256, 100}), Error);  // stride shorter than a row
    EXPECT_THROW(call({TensorType::Q8_K, data.data(), 2, 256, 292}), Error);  // not a weight type
    EXPECT_THROW(call({TensorType::Q8_0, nullptr, 2, 32, 34}), Error);
    EXPECT_NO_THROW(call({TensorType::Q8_0, data.data(), 2, 32, 34}));
    EXPECT_EQ(matmul({TensorType::Q8_0, data.data(), 2, 32, 34}, x.data(), 32, 0, y.data(), 2), 0u);
}

}  // namespace
}  // namespace flopwise::kernels

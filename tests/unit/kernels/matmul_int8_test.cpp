#include "flopwise/kernels/matmul_int8.hpp"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "flopwise/error.hpp"
#include "kernel_test_support.hpp"

namespace flopwise::kernels {
namespace {

using test::first_bit_difference;

struct Int8Problem {
    TensorType type;
    int64_t rows, cols, ldx, ldy;
    std::vector<uint8_t> data;
    std::vector<float> x;

    Int8Problem(TensorType t, int64_t n_rows, int64_t n_cols, int64_t max_tokens, uint32_t seed)
        : type(t), rows(n_rows), cols(n_cols), ldx(n_cols + 3), ldy(n_rows + 1) {
        data = test::random_weights(type, rows, cols, seed, test::HalfRange::moderate, row_bytes(type, static_cast<uint64_t>(cols)));
        x = random_values(static_cast<size_t>(max_tokens * ldx), seed + 1);
        // An outlier per token, as real activations have: the rounding then costs the most.
        for (int64_t t = 0; t < max_tokens; ++t) x[static_cast<size_t>(t * ldx + (t * 37) % cols)] *= 40.0f;
    }
    WeightView view() const { return {type, data.data(), rows, cols, row_bytes(type, static_cast<uint64_t>(cols))}; }
    std::vector<float> run(int64_t first, int64_t tokens, Isa isa) const {
        std::vector<float> y(static_cast<size_t>(tokens * ldy), -7.0f);
        EXPECT_EQ(matmul_int8_activations(view(), x.data() + first * ldx, ldx, tokens, y.data(), ldy, isa),
                  2 * static_cast<uint64_t>(tokens * rows * cols));
        return y;
    }
};

const TensorType kTypes[] = {TensorType::Q8_0, TensorType::Q4_0};

class MatmulInt8Test : public testing::TestWithParam<Isa> {};

// Every path gives the scalar path's bits, whatever the token count and row count.
TEST_P(MatmulInt8Test, MatchesScalarPathBitForBit) {
    for (TensorType type : kTypes) {
        for (int64_t rows : {1, 37, 130}) {
            const Int8Problem p(type, rows, 512, 70, 40 + static_cast<uint32_t>(rows));
            for (int64_t tokens : {1, 3, 4, 7, 70}) {
                const std::vector<float> scalar = p.run(0, tokens, Isa::scalar), fast = p.run(0, tokens, GetParam());
                EXPECT_EQ(first_bit_difference(fast.data(), scalar.data(), static_cast<int64_t>(scalar.size())), -1)
                    << name(type) << " " << rows << " rows, " << tokens << " tokens";
            }
        }
    }
}

// A token's outputs do not depend on the batch it is in or on the thread count.
TEST_P(MatmulInt8Test, BatchInvariant) {
    for (TensorType type : kTypes) {
        const Int8Problem p(type, 130, 256, 66, 7);
        const std::vector<float> all = p.run(0, 66, GetParam());
        std::vector<float> one_thread;
        {
            tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 1);
            one_thread = p.run(0, 66, GetParam());
        }
        EXPECT_EQ(first_bit_difference(one_thread.data(), all.data(), static_cast<int64_t>(all.size())), -1) << name(type);
        for (int64_t first : {0, 5, 65}) {
            const std::vector<float> alone = p.run(first, 1, GetParam());
            EXPECT_EQ(first_bit_difference(alone.data(), all.data() + first * p.ldy, p.rows), -1)
                << name(type) << " token " << first << " alone";
        }
    }
}

// Against the float64 product of the exact weights and activations: the error is the activations'
// rounding, at most half a step per element, so sum_k |w_k| * step_k / 2, plus float32 summation.
TEST_P(MatmulInt8Test, ErrorIsWithinTheActivationRoundingBound) {
    for (TensorType type : kTypes) {
        const int64_t tokens = 5;
        const Int8Problem p(type, 41, 1024, tokens, 99);
        const std::vector<float> y = p.run(0, tokens, GetParam());
        std::vector<double> exact(y.size());
        matmul_reference(p.view(), p.x.data(), p.ldx, tokens, exact.data(), p.ldy);
        std::vector<float> w(static_cast<size_t>(p.cols));
        double worst = 0.0, largest_error = 0.0;
        for (int64_t r = 0; r < p.rows; ++r) {
            dequantize_row_reference(type, p.data.data() + static_cast<uint64_t>(r) * p.view().row_stride, w.data(), p.cols);
            for (int64_t t = 0; t < tokens; ++t) {
                const float* x = p.x.data() + t * p.ldx;
                double bound = 0.0, magnitude = 0.0;
                for (int64_t b = 0; b < p.cols / 32; ++b) {
                    float amax = 0.0f;
                    for (int64_t k = 32 * b; k < 32 * b + 32; ++k) amax = std::max(amax, std::fabs(x[k]));
                    for (int64_t k = 32 * b; k < 32 * b + 32; ++k) {
                        bound += std::abs(double{w[k]}) * (double{amax} / 127.0 / 2.0);
                        magnitude += std::abs(double{w[k]} * x[k]);
                    }
                }
                const double error = std::abs(double{y[t * p.ldy + r]} - exact[t * p.ldy + r]);
                worst = std::max(worst, error / (bound * 1.001 + magnitude * 1e-5));
                largest_error = std::max(largest_error, error);
            }
        }
        EXPECT_LE(worst, 1.0) << name(type);
        EXPECT_GT(largest_error, 0.0) << name(type) << ": the activations were not rounded at all";
    }
}

TEST_P(MatmulInt8Test, NonFiniteActivationsGiveNaN) {
    Int8Problem p(TensorType::Q8_0, 9, 64, 1, 3);
    p.x[40] = std::numeric_limits<float>::infinity();
    const std::vector<float> y = p.run(0, 1, GetParam());
    for (int64_t r = 0; r < p.rows; ++r) EXPECT_TRUE(std::isnan(y[static_cast<size_t>(r)])) << "row " << r;
}

TEST(MatmulInt8, RejectsOtherWeightTypesAndBadShapes) {
    const std::vector<float> x(64, 1.0f);
    std::vector<float> y(4);
    const std::vector<uint8_t> f32(4 * 64 * 4);
    try {
        matmul_int8_activations({TensorType::F32, f32.data(), 4, 64, 256}, x.data(), 64, 1, y.data(), 4);
        FAIL() << "F32 weights were accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("only Q8_0 and Q4_0"), std::string::npos) << e.what();
    }
    const std::vector<uint8_t> q8(4 * 34 * 2);
    EXPECT_THROW(matmul_int8_activations({TensorType::Q8_0, q8.data(), 4, 64, 68}, x.data(), 10, 1, y.data(), 4), Error);
    EXPECT_TRUE(has_int8_activation_product(TensorType::Q4_0));
    EXPECT_FALSE(has_int8_activation_product(TensorType::Q4_K));
}

FLOPWISE_INSTANTIATE_FOR_EACH_ISA(MatmulInt8Test);

}  // namespace
}  // namespace flopwise::kernels

#include "flopwise/kernels/elementwise.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "flopwise/error.hpp"
#include "kernel_test_support.hpp"

namespace flopwise::kernels {
namespace {


// Relative error bound of a few float roundings on top of an exact (double) result.
void expect_close(double expected, float actual, double relative, const char* what, int64_t index) {
    EXPECT_NEAR(actual, expected, relative * std::abs(expected) + 1e-30) << what << " at " << index;
}

TEST(RmsNorm, MatchesDoubleFormula) {
    const int64_t n = 640;
    const auto x = random_values(n, 1, -3.0f, 3.0f);
    const auto weight = random_values(n, 2, 0.5f, 2.0f);
    const float eps = 1e-6f;
    std::vector<float> y(n), plain(n);
    rms_norm(x.data(), weight.data(), y.data(), n, eps);
    rms_norm(x.data(), nullptr, plain.data(), n, eps);

    double sum = 0.0;
    for (float v : x) sum += double{v} * v;
    const double scale = 1.0 / std::sqrt(sum / n + eps);
    for (int64_t i = 0; i < n; ++i) {
        expect_close(x[i] * scale * weight[i], y[i], 4e-7, "weighted", i);
        expect_close(x[i] * scale, plain[i], 3e-7, "plain", i);
    }
}

TEST(RmsNorm, InPlaceEqualsOutOfPlace) {
    const int64_t n = 256;
    auto x = random_values(n, 3);
    const auto weight = random_values(n, 4);
    std::vector<float> y(n);
    rms_norm(x.data(), weight.data(), y.data(), n, 1e-5f);
    rms_norm(x.data(), weight.data(), x.data(), n, 1e-5f);
    EXPECT_EQ(test::first_bit_difference(x.data(), y.data(), n), -1);
}

TEST(RopeAngles, MatchDoubleFormula) {
    const int32_t dims = 64;
    const int64_t position = 1234;
    const double base = 10000.0, freq_scale = 0.5;
    std::vector<float> factors(dims / 2), with(dims), without(dims);
    for (int32_t i = 0; i < dims / 2; ++i) factors[i] = 1.0f + 0.25f * static_cast<float>(i);
    rope_angles(position, dims, base, freq_scale, factors.data(), with.data());
    rope_angles(position, dims, base, freq_scale, nullptr, without.data());
    for (int32_t i = 0; i < dims / 2; ++i) {
        const double theta = position * freq_scale * std::pow(base, -2.0 * i / dims);
        EXPECT_FLOAT_EQ(without[2 * i], static_cast<float>(std::cos(theta))) << i;
        EXPECT_FLOAT_EQ(without[2 * i + 1], static_cast<float>(std::sin(theta))) << i;
        EXPECT_FLOAT_EQ(with[2 * i], static_cast<float>(std::cos(theta / factors[i]))) << i;
        EXPECT_FLOAT_EQ(with[2 * i + 1], static_cast<float>(std::sin(theta / factors[i]))) << i;
    }
}

// Rotation of the pair (a, b) by the angle whose cos/sin are (c, s), in double.
void expect_rotated(float a, float b, float c, float s, float new_a, float new_b, const char* what) {
    EXPECT_NEAR(new_a, double{a} * c - double{b} * s, 1e-6) << what;
    EXPECT_NEAR(new_b, double{a} * s + double{b} * c, 1e-6) << what;
}

TEST(Rope, RotatesTheRightPairsAndLeavesTheRestAlone) {
    const int32_t n_head = 3, head_dim = 16, rope_dims = 8;
    std::vector<float> cos_sin(rope_dims);
    rope_angles(77, rope_dims, 10000.0, 1.0, nullptr, cos_sin.data());
    const auto original = random_values(size_t{n_head} * head_dim, 5);

    for (RopeLayout layout : {RopeLayout::interleaved, RopeLayout::neox}) {
        auto x = original;
        rope(x.data(), n_head, head_dim, rope_dims, cos_sin.data(), layout);
        for (int32_t h = 0; h < n_head; ++h) {
            const float* before = original.data() + h * head_dim;
            const float* after = x.data() + h * head_dim;
            for (int32_t i = 0; i < rope_dims / 2; ++i) {
                const int32_t first = layout == RopeLayout::interleaved ? 2 * i : i;
                const int32_t second = layout == RopeLayout::interleaved ? 2 * i + 1 : i + rope_dims / 2;
                expect_rotated(before[first], before[second], cos_sin[2 * i], cos_sin[2 * i + 1], after[first],
                               after[second], layout == RopeLayout::interleaved ? "interleaved" : "neox");
            }
            for (int32_t d = rope_dims; d < head_dim; ++d) EXPECT_EQ(after[d], before[d]) << "unrotated dim " << d;
        }
    }
}

class ElementwiseTest : public testing::TestWithParam<Isa> {};

double silu(double x) { return x / (1.0 + std::exp(-x)); }
// 0.5 x (1 + tanh(u)) written as x / (1 + e^(-2u)), which does not cancel for negative x.
double gelu_tanh(double x) {
    const double u = std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x);
    return x / (1.0 + std::exp(-2.0 * u));
}

TEST_P(ElementwiseTest, SiluMulMatchesDouble) {
    const int64_t n = 1001;  // not a whole number of vectors
    auto gate = random_values(n, 6, -12.0f, 12.0f);
    const auto up = random_values(n, 7, -2.0f, 2.0f);
    gate[0] = -100.0f;  // e^100 overflows float: the result must still be a (tiny) number
    gate[1] = 90.0f;
    const auto x = gate;
    silu_mul(gate.data(), up.data(), n, GetParam());
    for (int64_t i = 0; i < n; ++i) {
        const double expected = silu(x[i]) * up[i];
        EXPECT_NEAR(gate[i], expected, 1e-6 * std::abs(expected) + 1e-37) << "x=" << x[i];
    }
}

TEST_P(ElementwiseTest, GeluTanhMulMatchesDouble) {
    const int64_t n = 1001;
    auto gate = random_values(n, 8, -8.0f, 8.0f);
    const auto up = random_values(n, 9, -2.0f, 2.0f);
    gate[0] = -1e20f;  // the cube overflows to -inf: gelu is -0
    gate[1] = 1e20f;
    const auto x = gate;
    gelu_tanh_mul(gate.data(), up.data(), n, GetParam());
    for (int64_t i = 2; i < n; ++i) {
        const double expected = gelu_tanh(x[i]) * up[i];
        // The float rounding of the sigmoid's argument z is amplified |z|-fold by e^z.
        const double z = 2.0 * std::sqrt(2.0 / std::numbers::pi) * (x[i] + 0.044715 * x[i] * x[i] * x[i]);
        EXPECT_NEAR(gate[i], expected, 1e-6 * (1.0 + std::abs(z)) * std::abs(expected) + 1e-37) << "x=" << x[i];
    }
    EXPECT_EQ(gate[0], 0.0f);
    EXPECT_EQ(gate[1], 1e20f * up[1]);
}

TEST_P(ElementwiseTest, ActivationOfAValueDoesNotDependOnItsPosition) {
    const int64_t n = 13;
    const auto x = random_values(n, 10, -6.0f, 6.0f);
    const auto up = random_values(n, 11);
    for (auto activation : {silu_mul, gelu_tanh_mul}) {
        auto row = x;
        activation(row.data(), up.data(), n, GetParam());
        for (int64_t i = 0; i < n; ++i) {
            float alone = x[i];
            activation(&alone, &up[i], 1, GetParam());
            EXPECT_EQ(test::first_bit_difference(&alone, &row[i], 1), -1) << "element " << i;
        }
    }
}

TEST_P(ElementwiseTest, LogSumExpMatchesDouble) {
    for (int64_t n : {1, 3, 8, 5001}) {
        const auto x = random_values(static_cast<size_t>(n), 12, -30.0f, 30.0f);
        double max = -INFINITY;
        for (float v : x) max = std::max(max, double{v});
        double sum = 0.0;
        for (float v : x) sum += std::exp(double{v} - max);
        EXPECT_NEAR(log_sum_exp(x.data(), n, GetParam()), max + std::log(sum), 1e-13) << n << " values";
    }
}

TEST_P(ElementwiseTest, LogSumExpEdgeCases) {
    const Isa isa = GetParam();
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> big{1000.0f, 1000.0f, -inf};
    EXPECT_NEAR(log_sum_exp(big.data(), 3, isa), 1000.0 + std::log(2.0), 1e-12);
    const std::vector<float> spread{0.0f, -800.0f, -1e30f};  // terms that underflow add nothing
    EXPECT_NEAR(log_sum_exp(spread.data(), 3, isa), 0.0, 1e-15);
    const std::vector<float> minus_inf(10, -inf);
    EXPECT_EQ(log_sum_exp(minus_inf.data(), 10, isa), -std::numeric_limits<double>::infinity());
    const std::vector<float> plus_inf{1.0f, inf, 2.0f};
    EXPECT_EQ(log_sum_exp(plus_inf.data(), 3, isa), std::numeric_limits<double>::infinity());
    std::vector<float> with_nan(20, 1.0f);
    with_nan[17] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_TRUE(std::isnan(log_sum_exp(with_nan.data(), 20, isa)));
    EXPECT_EQ(log_sum_exp(big.data(), 0, isa), -std::numeric_limits<double>::infinity());
}

TEST_P(ElementwiseTest, ArgmaxTakesTheFirstLargestAndIgnoresNan) {
    const Isa isa = GetParam();
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    const std::vector<float> ties{1.0f, 3.0f, -2.0f, 3.0f, 0.5f};
    EXPECT_EQ(argmax(ties.data(), 5, isa), 1);
    const std::vector<float> negative{-5.0f, -4.0f, -4.5f};
    EXPECT_EQ(argmax(negative.data(), 3, isa), 1);
    const std::vector<float> nans{nan, 2.0f, nan, 7.0f, 7.0f};
    EXPECT_EQ(argmax(nans.data(), 5, isa), 3);
    const std::vector<float> nothing{nan, -inf, nan};
    EXPECT_EQ(argmax(nothing.data(), 3, isa), 0);
    auto row = random_values(1003, 13);
    row[1001] = 2.0f;  // in the last partial vector
    EXPECT_EQ(argmax(row.data(), 1003, isa), 1001);
    EXPECT_THROW(argmax(row.data(), 0, isa), Error);
}

FLOPWISE_INSTANTIATE_FOR_EACH_ISA(ElementwiseTest);

}  // namespace
}  // namespace flopwise::kernels

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "flopwise/error.hpp"
#include "flopwise/report/paired_statistics.hpp"

using namespace flopwise::report;

TEST(McNemar, ExactPValuesMatchTheBinomialTest) {
    // Reference values: scipy.stats.binomtest(a_only, a_only + b_only, 0.5).pvalue.
    EXPECT_NEAR(mcnemar_exact_p(1, 9), 22.0 / 1024.0, 1e-15);  // 2 * (1 + 10) / 2^10, by hand
    EXPECT_NEAR(mcnemar_exact_p(0, 7), 2.0 / 128.0, 1e-15);
    EXPECT_NEAR(mcnemar_exact_p(3, 12), 0.03515625, 1e-12);
    EXPECT_NEAR(mcnemar_exact_p(40, 60), 0.05688793364098089, 1e-12);
    EXPECT_NEAR(mcnemar_exact_p(250, 300), 0.036578745549102676, 1e-10);
    EXPECT_DOUBLE_EQ(mcnemar_exact_p(9, 1), mcnemar_exact_p(1, 9));
    EXPECT_DOUBLE_EQ(mcnemar_exact_p(5, 5), 1.0);
    EXPECT_DOUBLE_EQ(mcnemar_exact_p(0, 0), 1.0);
    EXPECT_THROW(mcnemar_exact_p(-1, 3), flopwise::Error);
}

TEST(NormalDistribution, QuantileAndTail) {
    EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-9);
    EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-12);
    EXPECT_NEAR(normal_two_sided_p(1.959963984540054), 0.05, 1e-9);
    EXPECT_THROW(normal_quantile(1.0), flopwise::Error);
}

TEST(PairedDifference, ZeroOneScoresUseMcNemarAndCountDiscordantPairs) {
    // A right on 1..6 only where B is wrong (6 pairs), B right where A is wrong on 2 documents.
    const std::vector<double> a = {1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0};
    const std::vector<double> b = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0};
    const auto d = paired_difference(a, b, {});
    EXPECT_EQ(d.test, "mcnemar_exact");
    EXPECT_EQ(d.a_only, 6);
    EXPECT_EQ(d.b_only, 2);
    EXPECT_DOUBLE_EQ(d.p_value, mcnemar_exact_p(6, 2));
    EXPECT_DOUBLE_EQ(d.difference, 4.0 / 12.0);
    EXPECT_DOUBLE_EQ(d.mean_a, 8.0 / 12.0);
    EXPECT_LE(d.ci_low, d.difference);
    EXPECT_GE(d.ci_high, d.difference);
}

TEST(PairedDifference, BootstrapIsReproducibleWithItsSeed) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<double> a(300), b(300);
    for (size_t i = 0; i < a.size(); ++i) {
        b[i] = noise(rng);
        a[i] = b[i] + 0.1 + 0.5 * noise(rng);
    }
    BootstrapOptions options;
    options.iterations = 2000;
    const auto first = paired_difference(a, b, options);
    const auto again = paired_difference(a, b, options);
    EXPECT_EQ(first.test, "paired_bootstrap");
    EXPECT_EQ(first.ci_low, again.ci_low);
    EXPECT_EQ(first.ci_high, again.ci_high);
    EXPECT_EQ(first.p_value, again.p_value);
    options.seed = 99;
    const auto other = paired_difference(a, b, options);
    EXPECT_NE(first.ci_low, other.ci_low);
    // The percentile interval agrees with the normal one (sd of the differences / sqrt(n)) to a few percent.
    double mean = 0, ss = 0;
    for (size_t i = 0; i < a.size(); ++i) mean += a[i] - b[i];
    mean /= static_cast<double>(a.size());
    for (size_t i = 0; i < a.size(); ++i) ss += std::pow(a[i] - b[i] - mean, 2);
    const double half = 1.96 * std::sqrt(ss / (a.size() - 1)) / std::sqrt(static_cast<double>(a.size()));
    EXPECT_NEAR(first.ci_high - first.ci_low, 2 * half, 0.1 * 2 * half);
    EXPECT_NEAR(first.difference, mean, 1e-12);
    EXPECT_LT(first.p_value, 0.01);  // a shift of 0.1 with se ~0.029
}

TEST(PairedDifference, NoDifferenceGivesPOne) {
    const std::vector<double> a = {0.2, 0.4, 0.9, 0.1};
    const auto d = paired_difference(a, a, {});
    EXPECT_EQ(d.difference, 0.0);
    EXPECT_EQ(d.ci_low, 0.0);
    EXPECT_EQ(d.ci_high, 0.0);
    EXPECT_DOUBLE_EQ(d.p_value, 1.0);
}

TEST(PairedDifference, FixedReferenceShiftsTheInterval) {
    const std::vector<double> a = {1, 0, 1, 1, 0, 1, 1, 1, 0, 1};
    const auto d = difference_from_fixed(a, 0.5, {});
    EXPECT_EQ(d.test, "bootstrap_vs_fixed");
    EXPECT_NEAR(d.difference, 0.2, 1e-12);
    EXPECT_NEAR(d.mean_a, 0.7, 1e-12);
    EXPECT_LT(d.ci_low, 0.2);
    EXPECT_GT(d.ci_high, 0.2);
    EXPECT_GT(d.p_value, 0.05);  // 7 of 10 against 0.5 is no evidence
}

TEST(PairedDifference, RejectsBadInput) {
    const std::vector<double> a = {1, 0}, b = {1};
    EXPECT_THROW(paired_difference(a, b, {}), flopwise::Error);
    EXPECT_THROW(paired_difference(std::vector<double>{}, std::vector<double>{}, {}), flopwise::Error);
    BootstrapOptions none;
    none.iterations = 0;
    EXPECT_THROW(paired_difference(a, a, none), flopwise::Error);
}

TEST(NormalDifference, IndependentErrorsAddInQuadrature) {
    const auto d = normal_difference(0.6, 0.03, 0.5, 0.04, 0.95);
    EXPECT_NEAR(d.difference, 0.1, 1e-12);
    EXPECT_NEAR(d.ci_high - d.ci_low, 2 * 1.959963984540054 * 0.05, 1e-9);
    EXPECT_NEAR(d.p_value, normal_two_sided_p(2.0), 1e-12);
}

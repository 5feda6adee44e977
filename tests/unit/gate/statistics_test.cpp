#include "flopwise/gate/statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "flopwise/error.hpp"
#include "test_env.hpp"

namespace flopwise::gate {
namespace {

std::vector<double> random_sample(std::mt19937& rng, size_t n, double shift, bool with_ties) {
    std::normal_distribution<double> dist(shift, 1.0);
    std::vector<double> out;
    for (size_t i = 0; i < n; ++i) {
        const double v = dist(rng);
        out.push_back(with_ties ? std::round(v * 2.0) / 2.0 : v);
    }
    return out;
}

// scipy.stats.mannwhitneyu is the reference: exact p-values for small untied samples, the normal
// approximation with tie and continuity corrections otherwise.
TEST(MannWhitney, MatchesScipyOnRandomSamples) {
    std::mt19937 rng(20261123);
    nlohmann::json cases = nlohmann::json::array();
    std::vector<MannWhitney> ours;
    const auto add = [&](const std::vector<double>& x, const std::vector<double>& y) {
        ours.push_back(mann_whitney_u(x, y));
        cases.push_back({{"x", x}, {"y", y}, {"method", ours.back().exact ? "exact" : "asymptotic"}});
    };
    add({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
    add({1, 2, 3}, {1.5, 2.5, 3.5});
    add({5, 5, 5}, {5, 5, 5, 5});
    for (int i = 0; i < 40; ++i) {
        const size_t n1 = 3 + rng() % 28, n2 = 3 + rng() % 28;
        const double shift = (rng() % 5) * 0.4;
        const bool ties = i % 3 == 0;
        add(random_sample(rng, n1, 0.0, ties), random_sample(rng, n2, shift, ties));
    }
    add(random_sample(rng, 45, 0.0, false), random_sample(rng, 38, 0.5, false));  // beyond the exact limit

    const std::string dir = test::temp_dir("mannwhitney");
    const std::string input = dir + "/cases.json";
    std::ofstream(input) << cases.dump();
    const auto expected = nlohmann::json::parse(
        test::run_command(test::python() + " " + test::source_path("tests/gate/mannwhitney_oracle.py") + " " + input));
    ASSERT_EQ(expected.size(), ours.size());
    size_t exact = 0;
    for (size_t i = 0; i < ours.size(); ++i) {
        SCOPED_TRACE("case " + std::to_string(i) + ": " + cases[i].dump());
        EXPECT_DOUBLE_EQ(ours[i].u, expected[i]["u"].get<double>());
        const double p = expected[i]["p"].get<double>();
        EXPECT_NEAR(ours[i].p_value, p, 1e-12 + 1e-9 * p);
        exact += ours[i].exact;
    }
    EXPECT_GT(exact, 10u);                // both methods were exercised
    EXPECT_GT(ours.size() - exact, 10u);
}

TEST(MannWhitney, KnownExactValues) {
    // Complete separation of 5 and 5: P = 2 / C(10, 5) = 2/252.
    const MannWhitney separated = mann_whitney_u({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
    EXPECT_TRUE(separated.exact);
    EXPECT_DOUBLE_EQ(separated.u, 0.0);
    EXPECT_NEAR(separated.p_value, 2.0 / 252.0, 1e-15);
    // P(U <= 2) for 5 and 5: (1 + 1 + 2) / 252 arrangements.
    EXPECT_NEAR(mann_whitney_cdf(2, 5, 5), 4.0 / 252.0, 1e-15);
    EXPECT_NEAR(mann_whitney_cdf(25, 5, 5), 1.0, 1e-15);
}

TEST(MannWhitney, RejectsEmptyOrNonFiniteSamples) {
    EXPECT_THROW(mann_whitney_u({}, {1.0}), Error);
    EXPECT_THROW(mann_whitney_u({1.0, NAN}, {1.0}), Error);
}

TEST(HodgesLehmann, IntervalUsesTheExactOrderStatistics) {
    // y = x + 10 exactly: every pairwise difference is 10 + (x_j - x_i).
    const std::vector<double> x{0, 1, 2, 3, 4}, y{10, 11, 12, 13, 14};
    const ShiftInterval s = hodges_lehmann(x, y, 0.95);
    ASSERT_TRUE(s.valid);
    EXPECT_DOUBLE_EQ(s.estimate, 10.0);
    // 25 sorted differences 6,7,7,8,8,8,...; for 5 vs 5 at 95% the bounds are the 3rd and 23rd.
    EXPECT_DOUBLE_EQ(s.low, 7.0);
    EXPECT_DOUBLE_EQ(s.high, 13.0);
    // Three against three cannot reach 95% confidence (the smallest two-sided p is 0.1).
    EXPECT_FALSE(hodges_lehmann({1, 2, 3}, {4, 5, 6}, 0.95).valid);
}

TEST(HodgesLehmann, CoversTheTrueShiftAtTheStatedRate) {
    std::mt19937 rng(7);
    int covered = 0;
    const int trials = 400;
    for (int t = 0; t < trials; ++t) {
        const ShiftInterval s = hodges_lehmann(random_sample(rng, 8, 0.0, false), random_sample(rng, 9, 1.5, false), 0.9);
        covered += s.low <= 1.5 && 1.5 <= s.high;
    }
    // Coverage is at least 90% by construction (a little more with discrete bounds); 400 trials
    // put the observed rate well within [0.85, 0.97].
    EXPECT_GE(covered, trials * 85 / 100);
    EXPECT_LE(covered, trials * 97 / 100);
}

TEST(MedianInterval, BinomialOrderStatistics) {
    std::vector<double> v{10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
    const MedianInterval m = median_interval(v, 0.95);
    ASSERT_TRUE(m.valid);
    EXPECT_DOUBLE_EQ(m.median, 5.5);
    // n = 10: P(B <= 1) = 11/1024 <= 0.025 < P(B <= 2): the 2nd and 9th values.
    EXPECT_DOUBLE_EQ(m.low, 2.0);
    EXPECT_DOUBLE_EQ(m.high, 9.0);
    EXPECT_FALSE(median_interval({1, 2, 3, 4, 5}, 0.95).valid);  // 2 * 1/32 > 0.05
    EXPECT_TRUE(median_interval({1, 2, 3, 4, 5, 6}, 0.95).valid);  // 2 * 1/64 <= 0.05
}

}  // namespace
}  // namespace flopwise::gate

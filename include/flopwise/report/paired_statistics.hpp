#pragma once
#include <cstdint>
#include <span>
#include <string>

namespace flopwise::report {

struct BootstrapOptions {
    int iterations = 10000;
    uint64_t seed = 1234;
    double confidence = 0.95;
};

// Two-sided exact McNemar test: the probability, under "both systems are equally often right",
// of discordant pairs at least as unbalanced as `a_only` (A right, B wrong) against `b_only`
// (A wrong, B right): a binomial(a_only + b_only, 1/2) test. 1 when there are no discordant pairs.
double mcnemar_exact_p(int64_t a_only, int64_t b_only);

// The difference mean(a) - mean(b) over paired documents (a[i] and b[i] scored on the same
// document), with a percentile bootstrap interval that resamples documents, and a two-sided
// p-value. Scores that are all 0 or 1 get the exact McNemar p-value; other scores get the
// bootstrap's (the share of resampled differences at least as far from the observed one as the
// observed one is from zero, with one added to both counts).
struct PairedDifference {
    std::string test;  // "mcnemar_exact" or "paired_bootstrap"
    int64_t documents = 0;
    double mean_a = 0.0, mean_b = 0.0;
    double difference = 0.0;
    double ci_low = 0.0, ci_high = 0.0;
    double p_value = 1.0;
    int64_t a_only = 0, b_only = 0;  // discordant pairs (0/1 scores)
};
PairedDifference paired_difference(std::span<const double> a, std::span<const double> b, const BootstrapOptions& options);

// mean(a) - reference against a fixed figure (a published score): the same bootstrap over a's
// documents, test "bootstrap_vs_fixed".
PairedDifference difference_from_fixed(std::span<const double> a, double reference, const BootstrapOptions& options);

// The difference between two independent estimates (no shared documents, or a published figure
// with its own error): normal approximation, z = difference / sqrt(se_a^2 + se_b^2).
struct UnpairedDifference {
    double difference = 0.0;
    double ci_low = 0.0, ci_high = 0.0;
    double p_value = 1.0;
};
UnpairedDifference normal_difference(double a, double se_a, double b, double se_b, double confidence);

// Standard normal quantile and two-sided tail probability.
double normal_quantile(double p);
double normal_two_sided_p(double z);

}  // namespace flopwise::report

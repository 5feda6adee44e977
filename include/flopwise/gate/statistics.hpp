#pragma once
#include <string>
#include <vector>

namespace flopwise::gate {

// Two-sided Mann–Whitney U test of samples x and y, as scipy.stats.mannwhitneyu computes it:
// `u` is the statistic of x (its rank sum minus n_x(n_x+1)/2, ties sharing their average rank).
// The p-value is exact (the null distribution of U counted out) when there are no ties and both
// samples have at most kExactLimit values; otherwise the normal approximation with the tie
// correction and the continuity correction.
struct MannWhitney {
    double u = 0.0;
    double p_value = 1.0;
    bool exact = false;
};
inline constexpr size_t kExactLimit = 30;
MannWhitney mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y);

// P(U <= u) under the null hypothesis, for samples of m and n values without ties.
double mann_whitney_cdf(double u, size_t m, size_t n);

// Hodges–Lehmann estimate of the shift y - x (the median of all pairwise differences) with its
// distribution-free confidence interval from the same U distribution (exact for small samples,
// normal otherwise). `valid` is false when the samples are too small for the confidence asked:
// the interval is then unbounded.
struct ShiftInterval {
    double estimate = 0.0;
    double low = 0.0;
    double high = 0.0;
    bool valid = false;
};
ShiftInterval hodges_lehmann(const std::vector<double>& x, const std::vector<double>& y, double confidence);

// The median of `values` and its distribution-free confidence interval from binomial order
// statistics (the interval of the sign test); `valid` is false when there are too few values.
struct MedianInterval {
    double median = 0.0;
    double low = 0.0;
    double high = 0.0;
    bool valid = false;
};
MedianInterval median_interval(std::vector<double> values, double confidence);

double median(std::vector<double> values);

}  // namespace flopwise::gate

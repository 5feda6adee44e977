#include "flopwise/report/paired_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "flopwise/error.hpp"

namespace flopwise::report {

double mcnemar_exact_p(int64_t a_only, int64_t b_only) {
    if (a_only < 0 || b_only < 0) throw Error("McNemar test: negative count of discordant pairs");
    const int64_t n = a_only + b_only;
    if (n == 0) return 1.0;
    const int64_t k = std::min(a_only, b_only);
    // P(X <= k) for X ~ binomial(n, 1/2), summed in log space so large n neither overflows nor underflows.
    const double log_half_n = static_cast<double>(n) * std::log(0.5);
    const double log_n_fact = std::lgamma(static_cast<double>(n) + 1.0);
    double tail = 0.0;
    for (int64_t i = 0; i <= k; ++i) {
        const double log_choose = log_n_fact - std::lgamma(static_cast<double>(i) + 1.0) - std::lgamma(static_cast<double>(n - i) + 1.0);
        tail += std::exp(log_choose + log_half_n);
    }
    return std::min(1.0, 2.0 * tail);
}

double normal_two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double normal_quantile(double p) {
    if (!(p > 0.0 && p < 1.0)) throw Error("normal quantile: probability must be in (0, 1)");
    // Bisection on the exact CDF: slow by numerical standards, but called a handful of times.
    double low = -40.0, high = 40.0;
    for (int i = 0; i < 200; ++i) {
        const double mid = 0.5 * (low + high);
        if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p) low = mid;
        else high = mid;
    }
    return 0.5 * (low + high);
}

namespace {

double percentile(std::vector<double>& sorted, double q) {
    // Linear interpolation between order statistics (NumPy's default percentile).
    const double position = q * static_cast<double>(sorted.size() - 1);
    const size_t below = static_cast<size_t>(std::floor(position));
    const size_t above = std::min(below + 1, sorted.size() - 1);
    return sorted[below] + (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

bool all_binary(std::span<const double> values) {
    return std::all_of(values.begin(), values.end(), [](double v) { return v == 0.0 || v == 1.0; });
}

// Mean of `differences` with its percentile bootstrap interval and centred bootstrap p-value.
PairedDifference bootstrap_mean_difference(const std::vector<double>& differences, const BootstrapOptions& options) {
    if (differences.empty()) throw Error("paired difference: no paired documents");
    if (options.iterations < 1) throw Error("paired difference: bootstrap iterations must be positive");
    if (!(options.confidence > 0.0 && options.confidence < 1.0)) throw Error("paired difference: confidence must be in (0, 1)");
    const size_t n = differences.size();
    PairedDifference out;
    out.documents = static_cast<int64_t>(n);
    for (const double d : differences) out.difference += d;
    out.difference /= static_cast<double>(n);

    std::mt19937_64 rng(options.seed);
    std::uniform_int_distribution<size_t> pick(0, n - 1);
    std::vector<double> resampled(static_cast<size_t>(options.iterations));
    int64_t at_least_as_far = 0;
    for (auto& value : resampled) {
        double sum = 0.0;
        for (size_t i = 0; i < n; ++i) sum += differences[pick(rng)];
        value = sum / static_cast<double>(n);
        if (std::fabs(value - out.difference) >= std::fabs(out.difference)) ++at_least_as_far;
    }
    std::sort(resampled.begin(), resampled.end());
    const double tail = 0.5 * (1.0 - options.confidence);
    out.ci_low = percentile(resampled, tail);
    out.ci_high = percentile(resampled, 1.0 - tail);
    out.p_value = static_cast<double>(at_least_as_far + 1) / static_cast<double>(options.iterations + 1);
    return out;
}

}  // namespace

PairedDifference paired_difference(std::span<const double> a, std::span<const double> b, const BootstrapOptions& options) {
    if (a.size() != b.size()) throw Error("paired difference: the two score lists have different lengths");
    std::vector<double> differences(a.size());
    for (size_t i = 0; i < a.size(); ++i) differences[i] = a[i] - b[i];
    PairedDifference out = bootstrap_mean_difference(differences, options);
    out.test = "paired_bootstrap";
    for (size_t i = 0; i < a.size(); ++i) {
        out.mean_a += a[i];
        out.mean_b += b[i];
    }
    out.mean_a /= static_cast<double>(a.size());
    out.mean_b /= static_cast<double>(a.size());
    if (all_binary(a) && all_binary(b)) {
        for (size_t i = 0; i < a.size(); ++i) {
            if (a[i] > b[i]) ++out.a_only;
            if (a[i] < b[i]) ++out.b_only;
        }
        out.test = "mcnemar_exact";
        out.p_value = mcnemar_exact_p(out.a_only, out.b_only);
    }
    return out;
}

PairedDifference difference_from_fixed(std::span<const double> a, double reference, const BootstrapOptions& options) {
    std::vector<double> differences(a.begin(), a.end());
    for (auto& d : differences) d -= reference;
    PairedDifference out = bootstrap_mean_difference(differences, options);
    out.test = "bootstrap_vs_fixed";
    out.mean_a = out.difference + reference;
    out.mean_b = reference;
    return out;
}

UnpairedDifference normal_difference(double a, double se_a, double b, double se_b, double confidence) {
    UnpairedDifference out;
    out.difference = a - b;
    const double se = std::sqrt(se_a * se_a + se_b * se_b);
    const double z = normal_quantile(0.5 + 0.5 * confidence);
    out.ci_low = out.difference - z * se;
    out.ci_high = out.difference + z * se;
    out.p_value = se > 0.0 ? normal_two_sided_p(out.difference / se) : (out.difference == 0.0 ? 1.0 : 0.0);
    return out;
}

}  // namespace flopwise::report

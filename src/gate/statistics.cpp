#include "flopwise/gate/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "flopwise/error.hpp"

namespace flopwise::gate {
namespace {

// Number of arrangements of m x-values and n y-values (no ties) giving each U = 0..m*n, from
// f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u): the largest value is an x (beating all n y-values)
// or a y.
std::vector<double> u_counts(size_t m, size_t n) {
    const size_t max_u = m * n;
    std::vector<std::vector<std::vector<double>>> f(m + 1, std::vector<std::vector<double>>(n + 1));
    for (size_t i = 0; i <= m; ++i) {
        for (size_t j = 0; j <= n; ++j) {
            std::vector<double>& counts = f[i][j];
            counts.assign(i * j + 1, 0.0);
            if (i == 0 || j == 0) {
                counts[0] = 1.0;
                continue;
            }
            const std::vector<double>& x_last = f[i - 1][j];
            const std::vector<double>& y_last = f[i][j - 1];
            for (size_t u = 0; u < counts.size(); ++u) {
                if (u >= j && u - j < x_last.size()) counts[u] += x_last[u - j];
                if (u < y_last.size()) counts[u] += y_last[u];
            }
        }
    }
    std::vector<double> result = f[m][n];
    result.resize(max_u + 1, 0.0);
    return result;
}

double normal_sf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// z with normal_sf(z) = p, for p in (0, 0.5]: bisection, to double precision.
double normal_quantile_upper(double p) {
    double low = 0.0, high = 40.0;
    for (int i = 0; i < 200; ++i) {
        const double mid = 0.5 * (low + high);
        (normal_sf(mid) > p ? low : high) = mid;
    }
    return 0.5 * (low + high);
}

std::vector<double> average_ranks(const std::vector<double>& values, double* tie_term) {
    std::vector<size_t> order(values.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
    std::vector<double> ranks(values.size());
    *tie_term = 0.0;
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
        const double rank = 0.5 * static_cast<double>(i + j) + 1.0;
        for (size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
        const double t = static_cast<double>(j - i + 1);
        *tie_term += t * t * t - t;
        i = j + 1;
    }
    return ranks;
}

void require_samples(const std::vector<double>& x, const std::vector<double>& y, const char* what) {
    if (x.empty() || y.empty()) throw Error(std::string(what) + ": both samples need at least one value");
    for (const auto* s : {&x, &y})
        for (double v : *s)
            if (!std::isfinite(v)) throw Error(std::string(what) + ": samples must be finite numbers");
}

// 1-based rank k of the lower confidence bound among the m*n ordered pairwise differences: the
// largest k with P(U <= k-1) <= alpha/2; 0 when even k = 1 is not enough.
size_t lower_rank(size_t m, size_t n, double alpha) {
    if (m <= kExactLimit && n <= kExactLimit) {
        const std::vector<double> counts = u_counts(m, n);
        const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
        double cumulative = 0.0;
        size_t k = 0;
        for (size_t u = 0; u < counts.size(); ++u) {
            cumulative += counts[u];
            if (cumulative / total > alpha / 2) break;
            k = u + 1;
        }
        return k;
    }
    const double mn = static_cast<double>(m * n);
    const double sd = std::sqrt(mn * static_cast<double>(m + n + 1) / 12.0);
    const double k = std::floor(mn / 2.0 - normal_quantile_upper(alpha / 2) * sd);
    return k < 1.0 ? 0 : static_cast<size_t>(k);
}

void check_confidence(double confidence) {
    if (!(confidence > 0.0 && confidence < 1.0)) throw Error("confidence must be between 0 and 1");
}

}  // namespace

double median(std::vector<double> values) {
    if (values.empty()) throw Error("median of no values");
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double mann_whitney_cdf(double u, size_t m, size_t n) {
    if (u < 0.0) return 0.0;
    const std::vector<double> counts = u_counts(m, n);
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    double cumulative = 0.0;
    for (size_t k = 0; k < counts.size() && static_cast<double>(k) <= u; ++k) cumulative += counts[k];
    return cumulative / total;
}

MannWhitney mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y) {
    require_samples(x, y, "Mann-Whitney U test");
    std::vector<double> all = x;
    all.insert(all.end(), y.begin(), y.end());
    double tie_term = 0.0;
    const std::vector<double> ranks = average_ranks(all, &tie_term);
    const double n1 = static_cast<double>(x.size()), n2 = static_cast<double>(y.size()), n = n1 + n2;
    const double r1 = std::accumulate(ranks.begin(), ranks.begin() + static_cast<std::ptrdiff_t>(x.size()), 0.0);
    MannWhitney result;
    result.u = r1 - n1 * (n1 + 1.0) / 2.0;
    const double u_big = std::max(result.u, n1 * n2 - result.u);
    result.exact = tie_term == 0.0 && x.size() <= kExactLimit && y.size() <= kExactLimit;
    double p;
    if (result.exact) {
        p = 2.0 * (1.0 - mann_whitney_cdf(u_big - 1.0, x.size(), y.size()));
    } else {
        const double variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
        p = variance > 0.0 ? 2.0 * normal_sf((u_big - n1 * n2 / 2.0 - 0.5) / std::sqrt(variance)) : 1.0;
    }
    result.p_value = std::clamp(p, 0.0, 1.0);
    return result;
}

ShiftInterval hodges_lehmann(const std::vector<double>& x, const std::vector<double>& y, double confidence) {
    require_samples(x, y, "Hodges-Lehmann interval");
    check_confidence(confidence);
    std::vector<double> differences;
    differences.reserve(x.size() * y.size());
    for (double b : x)
        for (double c : y) differences.push_back(c - b);
    std::sort(differences.begin(), differences.end());
    ShiftInterval result;
    result.estimate = median(differences);
    const size_t k = lower_rank(x.size(), y.size(), 1.0 - confidence);
    result.valid = k >= 1;
    result.low = result.valid ? differences[k - 1] : -INFINITY;
    result.high = result.valid ? differences[differences.size() - k] : INFINITY;
    return result;
}

MedianInterval median_interval(std::vector<double> values, double confidence) {
    if (values.empty()) throw Error("median interval of no values");
    check_confidence(confidence);
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    MedianInterval result;
    result.median = median(values);
    // P(B <= j) for B ~ Binomial(n, 1/2), accumulated in log space to stay finite for large n.
    const double alpha = 1.0 - confidence;
    double cumulative = 0.0;
    size_t k = 0;
    for (size_t j = 0; j < n; ++j) {
        const double log_p = std::lgamma(static_cast<double>(n) + 1.0) - std::lgamma(static_cast<double>(j) + 1.0) -
                             std::lgamma(static_cast<double>(n - j) + 1.0) - static_cast<double>(n) * std::log(2.0);
        cumulative += std::exp(log_p);
        if (cumulative > alpha / 2) break;
        k = j + 1;
    }
    result.valid = k >= 1 && k <= n / 2;
    result.low = result.valid ? values[k - 1] : -INFINITY;
    result.high = result.valid ? values[n - k] : INFINITY;
    return result;
}

}  // namespace flopwise::gate

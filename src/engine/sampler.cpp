#include "sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "flopwise/error.hpp"

namespace flopwise::engine {

Sampler::Sampler(const SamplingOptions& options) : options_(options), rng_(options.seed) {
    if (!(options.temperature >= 0.0) || !std::isfinite(options.temperature))
        throw Error("sampling temperature must be a finite number >= 0, got " + std::to_string(options.temperature));
    if (!(options.top_p > 0.0 && options.top_p <= 1.0))
        throw Error("sampling top_p must be in (0, 1], got " + std::to_string(options.top_p));
    if (options.top_k < 0) throw Error("sampling top_k must be >= 0, got " + std::to_string(options.top_k));
}

TokenId Sampler::sample(const std::vector<float>& logits, TokenId argmax) {
    if (options_.temperature == 0.0) return argmax;
    std::vector<int32_t> order(logits.size());
    std::iota(order.begin(), order.end(), 0);
    auto by_logit = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
    size_t keep = order.size();
    if (options_.top_k > 0) keep = std::min(keep, static_cast<size_t>(options_.top_k));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), by_logit);
    order.resize(keep);

    const double top = logits[order.front()];
    std::vector<double> weights(keep);
    double total = 0.0;
    for (size_t i = 0; i < keep; ++i) total += weights[i] = std::exp((logits[order[i]] - top) / options_.temperature);
    if (options_.top_p < 1.0) {
        double cumulative = 0.0;
        size_t cut = keep;
        for (size_t i = 0; i < keep; ++i) {
            cumulative += weights[i] / total;
            if (cumulative >= options_.top_p) {
                cut = i + 1;
                break;
            }
        }
        weights.resize(cut);
        order.resize(cut);
        total = std::accumulate(weights.begin(), weights.end(), 0.0);
    }
    const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * total;
    double cumulative = 0.0;
    for (size_t i = 0; i < weights.size(); ++i) {
        cumulative += weights[i];
        if (u < cumulative) return order[i];
    }
    return order.back();
}

}  // namespace flopwise::engine

#include "flopwise/eval/statistics.hpp"

#include <cmath>
#include <numeric>
#include <random>

#include "flopwise/error.hpp"

namespace flopwise::eval {

namespace {

// Uniform in [0, n) without modulo bias, from a generator whose output the standard fixes
// (std::uniform_int_distribution may differ between library versions).
class Draws {
public:
    explicit Draws(uint64_t seed) : engine_(seed) {}
    uint64_t below(uint64_t n) {
        const uint64_t threshold = (0 - n) % n;
        uint64_t r;
        do r = engine_();
        while (r < threshold);
        return r % n;
    }

private:
    std::mt19937_64 engine_;
};

double sample_stddev(const std::vector<double>& values) {
    const double n = static_cast<double>(values.size());
    const double mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
    double squares = 0.0;
    for (double v : values) squares += (v - mean) * (v - mean);
    return std::sqrt(squares / (n - 1));
}

}  // namespace

std::string to_string(Aggregation aggregation) {
    switch (aggregation) {
        case Aggregation::mean: return "mean";
        case Aggregation::perplexity: return "perplexity";
        case Aggregation::weighted_perplexity: return "weighted_perplexity";
        case Aggregation::bits_per_byte: return "bits_per_byte";
    }
    return "?";
}

double aggregate(Aggregation aggregation, std::span<const MetricSample> samples) {
    if (samples.empty()) return std::nan("");
    double sum = 0.0, weight = 0.0;
    for (const auto& s : samples) {
        sum += s.value;
        weight += s.weight;
    }
    switch (aggregation) {
        case Aggregation::mean: return sum / static_cast<double>(samples.size());
        case Aggregation::perplexity: return std::exp(-sum / static_cast<double>(samples.size()));
        case Aggregation::weighted_perplexity: return std::exp(-sum / weight);
        case Aggregation::bits_per_byte: return -sum / weight / std::log(2.0);
    }
    return std::nan("");
}

std::optional<double> mean_stderr(std::span<const MetricSample> samples) {
    if (samples.size() < 2) return std::nullopt;
    std::vector<double> values;
    for (const auto& s : samples) values.push_back(s.value);
    return sample_stddev(values) / std::sqrt(static_cast<double>(values.size()));
}

std::optional<double> bootstrap_stderr(Aggregation aggregation, std::span<const MetricSample> samples, int iterations, uint64_t seed) {
    if (samples.size() < 2 || iterations < 2) return std::nullopt;
    Draws draws(seed);
    std::vector<MetricSample> resample(samples.size());
    std::vector<double> replicates;
    replicates.reserve(static_cast<size_t>(iterations));
    for (int b = 0; b < iterations; ++b) {
        for (auto& r : resample) r = samples[draws.below(samples.size())];
        replicates.push_back(aggregate(aggregation, resample));
    }
    return sample_stddev(replicates);
}

Estimate estimate(Aggregation aggregation, std::span<const MetricSample> samples, int iterations, uint64_t seed) {
    Estimate e;
    e.value = aggregate(aggregation, samples);
    if (aggregation == Aggregation::mean) {
        e.stderr_value = mean_stderr(samples);
        e.stderr_method = "closed_form";
    } else {
        e.stderr_value = bootstrap_stderr(aggregation, samples, iterations, seed);
        e.stderr_method = "bootstrap";
    }
    return e;
}

GroupEstimate group_estimate(const std::vector<std::vector<double>>& task_values, int iterations, uint64_t seed) {
    GroupEstimate g;
    size_t documents = 0;
    double total = 0.0, mean_of_means = 0.0;
    size_t tasks = 0;
    for (const auto& values : task_values) {
        if (values.empty()) continue;
        documents += values.size();
        total += std::accumulate(values.begin(), values.end(), 0.0);
        mean_of_means += std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
        ++tasks;
    }
    if (tasks == 0) throw Error("a group average needs at least one task with documents");
    g.micro.value = total / static_cast<double>(documents);
    g.macro.value = mean_of_means / static_cast<double>(tasks);
    g.micro.stderr_method = g.macro.stderr_method = "bootstrap";
    if (iterations < 2 || documents < 2) return g;
    Draws draws(seed);
    std::vector<double> micro, macro;
    for (int b = 0; b < iterations; ++b) {
        double sum = 0.0, means = 0.0;
        for (const auto& values : task_values) {
            if (values.empty()) continue;
            double task_sum = 0.0;
            for (size_t i = 0; i < values.size(); ++i) task_sum += values[draws.below(values.size())];
            sum += task_sum;
            means += task_sum / static_cast<double>(values.size());
        }
        micro.push_back(sum / static_cast<double>(documents));
        macro.push_back(means / static_cast<double>(tasks));
    }
    g.micro.stderr_value = sample_stddev(micro);
    g.macro.stderr_value = sample_stddev(macro);
    return g;
}

}  // namespace flopwise::eval

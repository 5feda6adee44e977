#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace flopwise::eval {

// How per-document values combine into a task's figure (lm-evaluation-harness's aggregations).
enum class Aggregation {
    mean,                 // mean of the values
    perplexity,           // exp(-mean(loglikelihood))
    weighted_perplexity,  // exp(-sum(loglikelihood) / sum(weight)), weight = words or bytes
    bits_per_byte,        // -sum(loglikelihood) / sum(bytes) / ln 2
};
std::string to_string(Aggregation aggregation);

// One document's contribution to a metric.
struct MetricSample {
    double value = 0.0;
    double weight = 1.0;
};

double aggregate(Aggregation aggregation, std::span<const MetricSample> samples);

// A figure with its standard error and how that was obtained.
struct Estimate {
    double value = 0.0;
    std::optional<double> stderr_value;  // none with fewer than two documents
    std::string stderr_method;           // "closed_form" or "bootstrap"
};

// Sample standard deviation (n - 1) over sqrt(n), lm-evaluation-harness's mean_stderr.
std::optional<double> mean_stderr(std::span<const MetricSample> samples);
// Standard deviation (n - 1) of the aggregate over `iterations` resamples with replacement,
// drawn from a generator seeded with `seed`: the same inputs give the same error.
std::optional<double> bootstrap_stderr(Aggregation aggregation, std::span<const MetricSample> samples, int iterations, uint64_t seed);
// Closed form for means, bootstrap for the rest.
Estimate estimate(Aggregation aggregation, std::span<const MetricSample> samples, int iterations, uint64_t seed);

// A mean metric over a group of tasks: micro (every document weighs the same; what
// lm-evaluation-harness reports for MMLU) and macro (every task weighs the same), with errors
// from a bootstrap that resamples documents within each task.
struct GroupEstimate {
    Estimate micro;
    Estimate macro;
};
GroupEstimate group_estimate(const std::vector<std::vector<double>>& task_values, int iterations, uint64_t seed);

}  // namespace flopwise::eval

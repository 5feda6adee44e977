#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopwise/report/model_entry.hpp"
#include "flopwise/report/paired_statistics.hpp"

namespace flopwise::report {

// One metric of one task measured in both runs, compared document by document.
struct MetricComparison {
    std::string task;
    std::string metric;
    PairedDifference paired;     // over the documents both runs scored
    double value_a = 0.0, value_b = 0.0;  // the runs' own task figures (all their documents)
    std::vector<std::string> notes;  // differing task definitions, shots or document sets
};

// The FLOPs per token of A over those of B, from the same kind of figure on both sides.
struct ComputeRatio {
    std::string kind;    // "analytic" (decode at the context length) or "counted" (over each run's own requests)
    double a = 0.0, b = 0.0;
    double ratio = 0.0;  // a / b
};

struct RunComparison {
    std::string label_a, label_b;
    std::vector<MetricComparison> metrics;
    std::vector<ComputeRatio> compute;
    std::vector<std::string> notes;  // tasks or metrics only one run has, ...
};

// A - B for every mean-aggregated metric of every task both runs measured.
RunComparison compare_runs(const ModelEntry& a, const ModelEntry& b, const BootstrapOptions& options);
std::vector<ComputeRatio> compute_ratios(const ModelEntry& a, const ModelEntry& b);

std::string format_comparison(const RunComparison& comparison);
nlohmann::ordered_json comparison_json(const RunComparison& comparison);

}  // namespace flopwise::report

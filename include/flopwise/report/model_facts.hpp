#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flopwise/report/run.hpp"

namespace flopwise::report {

// A score the model's authors published (from its card): reported, never measured by flopwise.
struct ReportedScore {
    std::string task;
    std::string metric;
    double value = 0.0;
    std::optional<int32_t> num_fewshot;
    std::string source;
    std::string note;
};

// What reports and claims need to know about a model beyond its runs: compute figures from the
// analytic count and, for a card, the published scores. The only place the report area reads
// model cards.
struct ModelFacts {
    std::string card_name;     // empty when the figures come from the run's model shape alone
    std::string display_name;
    std::vector<std::string> aliases;
    bool baseline = false;
    std::vector<ReportedScore> reported;
    int64_t params_total = 0, params_active = 0;
    // Forward FLOPs of one token decoded after `context` tokens (analytic: a multiply-add is 2 FLOPs).
    std::optional<double> flops_per_token;
    int64_t context = 0;
    std::string flops_basis;  // where the shape came from: "card NAME", "model file", "run's model shape"
    std::optional<double> training_flops;  // ~6 * active parameters * training tokens (card)
    std::string card_path;

    const ReportedScore* reported_score(const std::string& task, const std::string& metric) const;
    // The first published score of a task, whatever its metric.
    const ReportedScore* reported_score(const std::string& task) const;
};

// The card named `name_or_alias`, or nothing.
std::optional<ModelFacts> card_facts(const std::string& name_or_alias, int64_t context);
// Every card marked as a baseline.
std::vector<ModelFacts> baseline_facts(int64_t context);
// Facts for the model of a run: its card when one matches the model's name, alias or file name;
// else the shape read from the model file when it is still there; else the shape recorded in
// results.json for architectures whose FLOPs that shape determines (no per-layer windows).
std::optional<ModelFacts> run_facts(const Run& run, int64_t context);

}  // namespace flopwise::report

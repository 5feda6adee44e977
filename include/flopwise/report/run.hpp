#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flopwise::report {

// One metric of one task as a run measured it (results.json tasks.<task>.metrics.<key>).
struct MetricFigure {
    std::string key;  // "acc", "acc_norm", "exact_match,strict-match", ...
    double value = 0.0;
    std::optional<double> stderr_value;
    std::string aggregation;  // "mean", "perplexity", ...
    bool higher_is_better = true;
};

struct TaskFigures {
    std::string name;
    std::string version;
    std::string config_sha256;  // equal hashes: equal task definitions
    int32_t num_fewshot = 0;
    int64_t documents_scored = 0;
    std::vector<MetricFigure> metrics;  // in the file's order
    std::optional<double> counted_flops_per_token;  // compute.flops_per_token when flops_source is "counted"
    std::string samples_file;           // relative to `directory`
    std::string directory;              // the run directory the task came from
    // A group (results.json groups.<suite>): its figures are the micro ones (pooled over every
    // document, lm-evaluation-harness's group figure) and its documents those of its members.
    std::vector<std::string> members;
    bool in_group = false;  // a member of a group of the same run

    const MetricFigure* metric(const std::string& key) const;
};

// What `flopwise run` wrote to a run directory (docs/results-schema.md), as far as comparisons
// and reports need it. Figures here are measured, never published ones.
struct Run {
    std::string directory;
    std::string results_path;
    std::string model_name;  // model.name
    std::string spec;        // model.spec
    std::string backend;
    std::string architecture;
    std::string quantization;
    std::string file_sha256;
    std::string model_key;
    std::string flops_source;  // "counted" (the engine's kernels) or "estimated"
    int64_t parameters = 0;
    nlohmann::json model_details;  // model.details
    std::optional<double> flops_per_token;  // totals.compute: flops.total / tokens, over the run's own requests
    double flops_total = 0.0;               // totals.compute.flops.total
    double tokens_total = 0.0;              // totals.compute prompt_tokens + generated_tokens
    std::vector<TaskFigures> tasks;         // in the file's order, then the groups
    std::vector<std::string> directories;   // every run directory merged into this one
    nlohmann::json metadata;  // flopwise_version, created_utc, command, settings, machine, build

    const TaskFigures* task(const std::string& name) const;
};

// Reads DIR/results.json; every malformed or missing field is an Error naming the file and field.
Run load_run(const std::string& directory);
// Parses a results.json document already in memory (`source` names it in errors).
Run parse_run(const nlohmann::ordered_json& results, const std::string& directory, const std::string& source);

// Runs of the same model (equal model keys) become one, each task keeping the directory it came
// from; a task in several runs is taken from the last. Error when the models differ.
Run merge_runs(const std::vector<Run>& runs);

// The per-document values of one metric of one task, keyed by document, read from the run's
// samples file (for a group, its members' documents, each member's doc_ids in a range of its
// own). Documents that failed (no metrics) are left out.
std::map<int64_t, double> load_sample_values(const Run& run, const std::string& task, const std::string& metric);

}  // namespace flopwise::report

#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopwise/report/claim.hpp"
#include "flopwise/report/model_entry.hpp"

namespace flopwise::report {

// One task's figure in a leaderboard row: measured (with its 95% interval) or reported.
struct LeaderboardCell {
    std::optional<double> value;
    std::optional<double> standard_error;
    std::optional<double> ci_low, ci_high;  // value +- 1.96 standard errors, kept inside [0, 1] for mean scores
    bool reported = false;
    std::optional<int32_t> num_fewshot;
    int64_t documents = 0;
    std::string source;  // where a reported figure was published
    std::string note;    // why a figure is missing, or the published figure's note
};

struct LeaderboardRow {
    std::string label;
    bool reported = false;  // a card's published scores (else a run's measured ones)
    bool baseline = false;
    std::vector<LeaderboardCell> cells;  // one per task column
    std::optional<double> average;       // mean over the tasks the row has
    std::optional<double> average_ci_low, average_ci_high;
    int32_t average_tasks = 0;           // how many tasks the average covers
    std::optional<double> flops_per_token;  // analytic, decode at the report's context
    std::string flops_basis;
    std::optional<double> counted_flops_per_token;  // measured by the engine over the run's requests
    std::optional<double> accuracy_per_tflop;       // average / (FLOPs per token / 1e12)
    std::optional<double> relative_compute;         // FLOPs per token / the baseline's
    std::optional<double> training_flops;
    int64_t params_total = 0, params_active = 0;
    bool pareto = false;  // on the frontier of (average accuracy up, FLOPs per token down)
    nlohmann::json metadata;  // run metadata (versions, hashes, machine), or the card's path
};

struct TaskColumn {
    std::string task;
    std::string metric;
};

struct Leaderboard {
    std::string title;
    int64_t context = 0;
    std::vector<TaskColumn> tasks;
    std::vector<LeaderboardRow> rows;
    std::optional<size_t> baseline;  // index into rows
    std::vector<ClaimResult> claims;
    std::vector<std::string> notes;
};

struct LeaderboardOptions {
    std::string title = "flopwise report";
    int64_t context = 2048;
    std::optional<std::string> baseline;  // an entry's name
    std::vector<std::string> metric_overrides;  // TASK=METRIC
};

// Task columns are the tasks the runs measured (or, with no runs, the reported ones); each
// column's metric is the override, else the baseline's published metric, else the first
// per-document-mean metric the runs report.
Leaderboard build_leaderboard(const std::vector<ModelEntry>& entries, const LeaderboardOptions& options);

std::string render_html(const Leaderboard& board);
std::string render_markdown(const Leaderboard& board);
nlohmann::ordered_json render_json(const Leaderboard& board);

}  // namespace flopwise::report

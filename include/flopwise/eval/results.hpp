#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopwise/eval/runner.hpp"

namespace flopwise::eval {

// The version of the results.json layout (docs/results-schema.md); raised on any change that
// could break a reader.
constexpr int kResultsSchemaVersion = 1;

// How a run was asked for, recorded beside its results.
struct RunInfo {
    std::string flopwise_version;
    std::vector<std::string> command;
    std::string suites_dir;
    std::string data_dir;
    std::optional<int64_t> limit;
    std::optional<int32_t> num_fewshot;             // --num-fewshot, for every task
    std::map<std::string, int32_t> task_num_fewshot;  // --tasks NAME:K
    int32_t threads = 0;
    RunOptions options;
    nlohmann::ordered_json ranks;  // a sharded run's ranks and their throughput (machine.ranks); null otherwise
};

nlohmann::ordered_json results_json(const Evaluation& evaluation, const RunInfo& info);
// One line of samples/<task>.jsonl: the document, each request with its answer (or error), the
// extracted answers and the document's score for every metric.
nlohmann::ordered_json sample_json(const TaskResult& task, size_t document);
// Writes DIR/results.json and DIR/samples/<task>.jsonl (each file replaced whole, never half written).
void write_run_outputs(const std::string& directory, const Evaluation& evaluation, const RunInfo& info);
// The scores as a text table for the terminal.
std::string summary_table(const Evaluation& evaluation);
// One paragraph on what a remote backend did: calls, retries by reason, failures, tokens, cost and
// where the FLOPs figure comes from.
std::string backend_summary(const Evaluation& evaluation);

}  // namespace flopwise::eval

#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flopwise/eval/progress.hpp"
#include "flopwise/eval/scoring.hpp"
#include "flopwise/eval/statistics.hpp"
#include "flopwise/eval/task_plan.hpp"
#include "flopwise/eval/task_registry.hpp"
#include "flopwise/language_model.hpp"

namespace flopwise::eval {

struct RunOptions {
    size_t batch_size = 32;             // requests per call to the model
    int bootstrap_iterations = 10000;
    uint64_t seed = 1234;               // few-shot draws and bootstrap resamples
    std::string cache_path;             // empty: no request cache
    Progress::Style progress = Progress::Style::automatic;
};

// How many requests a task needed and where their answers came from.
struct RequestCounts {
    int64_t total = 0;       // one per choice / generation / text, over all documents
    int64_t unique = 0;      // after removing duplicates
    int64_t reused = 0;      // answered earlier in this run (another task asked the same)
    int64_t from_cache = 0;  // answered by the request cache
    int64_t computed = 0;    // sent to the model in this run
    int64_t failed = 0;      // the model returned an error
};

struct TaskResult {
    TaskPlan plan;
    std::vector<ReportedMetric> metrics;
    std::vector<Estimate> estimates;                 // parallel to metrics, over the documents that did not fail
    std::vector<DocumentScore> scores;               // per document; empty samples when it failed
    std::vector<std::optional<std::string>> errors;  // per document: why it failed
    std::vector<std::vector<std::string>> request_keys;
    std::vector<std::vector<Response>> responses;   // per document, one per request
    RequestCounts requests;
    ComputeUsage usage;  // what answering the task's unique requests cost (as recorded when they were computed)
    double wall_seconds = 0.0;
    int64_t failed_documents() const;
};

struct GroupResult {
    const SuiteConfig* suite = nullptr;
    std::vector<std::string> tasks;
    int64_t documents = 0;
    std::vector<std::pair<std::string, GroupEstimate>> metrics;  // mean metrics every member reports
};

struct Evaluation {
    ModelIdentity model;
    std::vector<TaskResult> tasks;
    std::vector<GroupResult> groups;
    RequestCounts requests;  // over the run's unique requests
    ComputeUsage usage;
    nlohmann::json backend_statistics;  // LanguageModel::statistics() at the end of the run
    double wall_seconds = 0.0;
};

// Answers every request of the planned tasks and scores them. Requests are deduplicated across
// the run and looked up in the cache first; the rest are ordered by length and sent in batches,
// the choices of one document (which share their context) in the same batch so the backend
// computes that context once. Each batch's answers are cached as soon as they arrive. A model
// that cannot answer a request kind a task needs is an Error before anything runs; an answer
// with an error marks its document failed (excluded from the metrics, counted, never cached).
Evaluation evaluate(LanguageModel& model, std::vector<TaskPlan> plans, const std::vector<SelectedGroup>& groups, const RunOptions& options);

// A stable 64-bit seed for one figure's bootstrap, from the run seed and names.
uint64_t derived_seed(uint64_t seed, const std::string& name);

}  // namespace flopwise::eval

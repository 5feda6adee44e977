#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "flopwise/eval/progress.hpp"
#include "flopwise/eval/request_cache.hpp"
#include "flopwise/eval/requests.hpp"
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

// One call to the model: requests of one kind from one task, the choices that share a context
// together.
struct RequestBatch {
    RequestKind kind = RequestKind::loglikelihood;
    size_t task = 0;  // index of the task whose requests these are
    std::vector<std::string> keys;
    std::vector<const Request*> requests;  // parallel to keys; owned by whoever made the batch
    // A measure of the work, for sharing batches out: characters the model reads, a context
    // shared by several requests counted once, a generation's token budget at 4 characters a token.
    int64_t cost() const;
};

// Sends one batch to the model. The answers come back in request order, in exactly the form an
// answer read back from the cache has (so fresh and resumed runs score the same bits).
std::vector<Response> answer_batch(LanguageModel& model, const RequestBatch& batch);

// The answers of a batch worth keeping (those without an error), as request cache entries.
std::vector<RequestCache::Entry> cache_entries(const RequestBatch& batch, const std::vector<Response>& responses);

// An evaluation cut into its steps, so that the answering can happen anywhere (this process or
// others): the constructor plans, keying every request, removing duplicates across the run and
// taking what the cache holds, then cuts the rest into batches per task and kind, longest first,
// the choices of one document (which share their context) in the same batch so the backend
// computes that context once. Generation requests keep their conversation only for a model that
// reads it (LanguageModel::reads_conversation), so only then is it part of the cache key.
// record() takes a batch's answers; finish() scores. A model that cannot answer a request kind a
// task needs is an Error before anything runs; an answer with an error marks its document failed
// (excluded from the metrics, counted, never cached).
class EvaluationRun {
public:
    EvaluationRun(const LanguageModel& model, std::vector<TaskPlan> plans, const RunOptions& options);
    ~EvaluationRun();
    EvaluationRun(const EvaluationRun&) = delete;
    EvaluationRun& operator=(const EvaluationRun&) = delete;

    const std::vector<RequestBatch>& batches() const { return batches_; }
    const TaskPlan& task(size_t index) const { return evaluation_.tasks.at(index).plan; }
    const std::string& model_key() const { return model_key_; }
    // Takes the answers to batches()[index], in request order, and the seconds they took. Good
    // answers are stored in the request cache at once unless the caller stored them elsewhere.
    void record(size_t index, std::vector<Response> responses, double seconds, bool store_in_cache = true);
    // Scores every task and group; every batch must have been recorded.
    Evaluation finish(const std::vector<SelectedGroup>& groups);

private:
    RunOptions options_;
    std::string model_key_;
    std::unique_ptr<RequestCache> cache_;
    Evaluation evaluation_;
    std::vector<RequestBatch> batches_;
    std::vector<bool> recorded_;
    std::vector<std::vector<std::string>> task_keys_;  // each task's unique request keys
    std::vector<double> task_seconds_;
    std::unordered_map<std::string, Response> answers_;
    std::chrono::steady_clock::time_point started_;
};

// Plans, answers every batch in this process and scores: the whole evaluation in one call.
Evaluation evaluate(LanguageModel& model, std::vector<TaskPlan> plans, const std::vector<SelectedGroup>& groups, const RunOptions& options);

// A stable 64-bit seed for one figure's bootstrap, from the run seed and names.
uint64_t derived_seed(uint64_t seed, const std::string& name);

}  // namespace flopwise::eval

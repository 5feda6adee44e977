#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopwise/eval/requests.hpp"
#include "flopwise/eval/statistics.hpp"
#include "flopwise/eval/task_config.hpp"
#include "flopwise/eval/task_plan.hpp"

namespace flopwise::eval {

// A figure a task reports: "acc", or "exact_match,strict-match" for a metric after an answer
// filter (lm-evaluation-harness's metric,filter naming).
struct ReportedMetric {
    std::string key;
    std::string metric;
    std::string filter;  // empty when no filter applies
    Aggregation aggregation = Aggregation::mean;
    bool higher_is_better = true;
};
std::vector<ReportedMetric> reported_metrics(const TaskConfig& config);

// One document's scores, in the order of reported_metrics, and what led to them.
struct DocumentScore {
    std::vector<MetricSample> samples;
    nlohmann::ordered_json details;  // predictions, extracted answers
};

// Scores a document from its responses (one per request, none failed), by lm-evaluation-harness's
// definitions: acc = argmax of the log-likelihoods (first on ties), acc_norm = argmax of
// log-likelihood / characters of the choice, acc_bytes = per UTF-8 byte; mc2 = probability mass
// of the true choices, normalized over all choices; perplexity metrics carry the log-likelihood
// with its word or byte count; exact_match compares the (filtered) answer with the reference.
DocumentScore score_document(const TaskConfig& config, const DocumentPlan& document, const std::vector<const Response*>& responses);

// The building blocks, exposed for tests.
size_t argmax_first(const std::vector<double>& values);
size_t code_points(const std::string& utf8);
double mc2_true_mass(const std::vector<double>& loglikelihoods, const std::vector<int>& true_labels);
std::string extract_answer(const AnswerFilter& filter, const std::string& text);
bool exact_match(const MetricSpec& metric, const std::string& prediction, const std::string& reference);

}  // namespace flopwise::eval

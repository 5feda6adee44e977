#include "flopwise/eval/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "flopwise/error.hpp"
#include "flopwise/eval/digest.hpp"
#include "flopwise/eval/request_cache.hpp"

namespace flopwise::eval {

namespace {

using Clock = std::chrono::steady_clock;
using Answers = std::unordered_map<std::string, Response>;

struct Pending {
    std::string key;
    const Request* request;
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// A fresh answer goes through the same JSON form a cached one comes from, so a resumed run
// scores exactly what an uninterrupted one scores (text that is not valid UTF-8 is repaired
// the same way in both).
Response normalized(const Response& response) {
    const std::string text = to_json(response).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    return response_from_json(response.kind, nlohmann::ordered_json::parse(text));
}

template <typename Result>
std::vector<Response> as_responses(RequestKind kind, std::vector<Result> results) {
    std::vector<Response> out(results.size());
    for (size_t i = 0; i < results.size(); ++i) {
        out[i].kind = kind;
        if constexpr (std::is_same_v<Result, LoglikelihoodResult>) out[i].loglikelihood = std::move(results[i]);
        else if constexpr (std::is_same_v<Result, RollingResult>) out[i].rolling = std::move(results[i]);
        else out[i].generation = std::move(results[i]);
    }
    return out;
}

std::vector<Response> ask(LanguageModel& model, RequestKind kind, const std::vector<const Request*>& batch) {
    switch (kind) {
        case RequestKind::loglikelihood: {
            std::vector<LoglikelihoodRequest> requests;
            for (const Request* r : batch) requests.push_back(r->loglikelihood);
            return as_responses(kind, model.loglikelihood(requests));
        }
        case RequestKind::rolling: {
            std::vector<RollingRequest> requests;
            for (const Request* r : batch) requests.push_back(r->rolling);
            return as_responses(kind, model.loglikelihood_rolling(requests));
        }
        case RequestKind::generation: {
            std::vector<GenerateRequest> requests;
            for (const Request* r : batch) requests.push_back(r->generation);
            return as_responses(kind, model.generate(requests));
        }
    }
    return {};
}

// Batches of one kind, longest first. Log-likelihood requests with the same context stay
// together in one batch (a batch grows past `batch_size` rather than split them).
std::vector<std::vector<size_t>> make_batches(const std::vector<Pending>& pending, const std::vector<size_t>& indexes, size_t batch_size) {
    std::vector<std::vector<size_t>> groups;
    std::unordered_map<std::string, size_t> group_of_context;
    for (size_t i : indexes) {
        const Request& r = *pending[i].request;
        if (r.kind != RequestKind::loglikelihood) {
            groups.push_back({i});
            continue;
        }
        const auto [it, fresh] = group_of_context.emplace(r.loglikelihood.context, groups.size());
        if (fresh) groups.emplace_back();
        groups[it->second].push_back(i);
    }
    const auto longest = [&](const std::vector<size_t>& g) {
        size_t n = 0;
        for (size_t i : g) n = std::max(n, pending[i].request->length());
        return n;
    };
    std::vector<size_t> lengths;
    for (const auto& g : groups) lengths.push_back(longest(g));
    std::vector<size_t> order(groups.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lengths[a] > lengths[b]; });
    std::vector<std::vector<size_t>> batches;
    for (size_t g : order) {
        if (batches.empty() || batches.back().size() + groups[g].size() > batch_size) batches.emplace_back();
        batches.back().insert(batches.back().end(), groups[g].begin(), groups[g].end());
    }
    return batches;
}

// Keys every request of the task and settles what it can without the model: duplicates within
// the task, requests an earlier task of the run answers (`known`), answers in the cache. Returns
// the rest.
std::vector<Pending> gather_requests(TaskResult& r, const std::string& model_key, std::unordered_set<std::string>& known, Answers& answers,
                                     RequestCache* cache, std::vector<std::string>& task_keys) {
    std::vector<Pending> pending;
    std::unordered_set<std::string> in_task;
    r.request_keys.resize(r.plan.documents.size());
    for (size_t d = 0; d < r.plan.documents.size(); ++d) {
        for (const auto& request : r.plan.documents[d].requests) {
            const std::string key = request_key(model_key, request);
            r.request_keys[d].push_back(key);
            ++r.requests.total;
            if (!in_task.insert(key).second) continue;
            task_keys.push_back(key);
            ++r.requests.unique;
            if (!known.insert(key).second) {
                ++r.requests.reused;
                continue;
            }
            if (const auto stored = cache ? cache->find(key) : std::nullopt) {
                try {
                    answers.emplace(key, response_from_json(request.kind, *stored));
                    ++r.requests.from_cache;
                    continue;
                } catch (const Error&) {
                    // an entry this version cannot read is asked again
                }
            }
            pending.push_back({key, &request});
        }
    }
    return pending;
}

void score_task(TaskResult& r, const Answers& answers, const RunOptions& options) {
    const TaskConfig& config = *r.plan.config;
    r.metrics = reported_metrics(config);
    const size_t n = r.plan.documents.size();
    r.scores.resize(n);
    r.errors.resize(n);
    r.responses.resize(n);
    std::vector<std::vector<MetricSample>> samples(r.metrics.size());
    for (size_t d = 0; d < n; ++d) {
        for (size_t k = 0; k < r.request_keys[d].size(); ++k) {
            const Response& response = answers.at(r.request_keys[d][k]);
            if (response.error() && !r.errors[d]) r.errors[d] = "request " + std::to_string(k) + ": " + *response.error();
            r.responses[d].push_back(response);
        }
        if (r.errors[d]) continue;
        std::vector<const Response*> responses;
        for (const auto& response : r.responses[d]) responses.push_back(&response);
        r.scores[d] = score_document(config, r.plan.documents[d], responses);
        for (size_t m = 0; m < r.metrics.size(); ++m) samples[m].push_back(r.scores[d].samples[m]);
    }
    for (size_t m = 0; m < r.metrics.size(); ++m)
        r.estimates.push_back(
            estimate(r.metrics[m].aggregation, samples[m], options.bootstrap_iterations, derived_seed(options.seed, config.name + "/" + r.metrics[m].key)));
}

GroupResult score_group(const SelectedGroup& group, const std::vector<TaskResult>& tasks, const RunOptions& options) {
    GroupResult g;
    g.suite = group.suite;
    g.tasks = group.tasks;
    std::vector<const TaskResult*> members;
    for (const auto& name : group.tasks)
        for (const auto& t : tasks)
            if (t.plan.config->name == name) members.push_back(&t);
    if (members.empty()) return g;
    for (const TaskResult* t : members) g.documents += static_cast<int64_t>(t->plan.documents.size()) - t->failed_documents();
    for (const auto& metric : members.front()->metrics) {
        if (metric.aggregation != Aggregation::mean) continue;
        std::vector<std::vector<double>> values;
        for (const TaskResult* t : members) {
            const auto it = std::find_if(t->metrics.begin(), t->metrics.end(), [&](const ReportedMetric& m) { return m.key == metric.key; });
            if (it == t->metrics.end()) {
                values.clear();
                break;
            }
            const size_t m = static_cast<size_t>(it - t->metrics.begin());
            std::vector<double> task_values;
            for (const auto& s : t->scores)
                if (!s.samples.empty()) task_values.push_back(s.samples[m].value);
            values.push_back(std::move(task_values));
        }
        const bool any = std::any_of(values.begin(), values.end(), [](const auto& v) { return !v.empty(); });
        if (values.size() == members.size() && any)
            g.metrics.emplace_back(metric.key, group_estimate(values, options.bootstrap_iterations, derived_seed(options.seed, g.suite->name + "/" + metric.key)));
    }
    return g;
}

}  // namespace

int64_t TaskResult::failed_documents() const {
    return std::count_if(errors.begin(), errors.end(), [](const auto& e) { return e.has_value(); });
}

uint64_t derived_seed(uint64_t seed, const std::string& name) {
    return std::stoull(sha256_hex(std::to_string(seed) + "/" + name).substr(0, 16), nullptr, 16);
}

int64_t RequestBatch::cost() const {
    int64_t characters = 0;
    std::unordered_set<std::string_view> contexts;
    for (const Request* r : requests) {
        switch (r->kind) {
            case RequestKind::loglikelihood:
                if (contexts.insert(r->loglikelihood.context).second) characters += static_cast<int64_t>(r->loglikelihood.context.size());
                characters += static_cast<int64_t>(r->loglikelihood.continuation.size());
                break;
            case RequestKind::rolling: characters += static_cast<int64_t>(r->rolling.text.size()); break;
            case RequestKind::generation:
                characters += static_cast<int64_t>(r->generation.context.size()) + 4 * int64_t{r->generation.max_tokens};
                break;
        }
    }
    return characters;
}

std::vector<Response> answer_batch(LanguageModel& model, const RequestBatch& batch) {
    const std::vector<Response> responses = ask(model, batch.kind, batch.requests);
    if (responses.size() != batch.requests.size())
        throw Error("model '" + model.identity().spec + "' returned " + std::to_string(responses.size()) + " results for " +
                    std::to_string(batch.requests.size()) + " " + to_string(batch.kind) + " requests");
    std::vector<Response> out;
    out.reserve(responses.size());
    for (const auto& response : responses) out.push_back(normalized(response));
    return out;
}

std::vector<RequestCache::Entry> cache_entries(const RequestBatch& batch, const std::vector<Response>& responses) {
    std::vector<RequestCache::Entry> entries;
    for (size_t j = 0; j < batch.keys.size() && j < responses.size(); ++j)
        if (!responses[j].error()) entries.push_back({batch.keys[j], to_string(batch.kind), to_json(*batch.requests[j]), to_json(responses[j])});
    return entries;
}

EvaluationRun::EvaluationRun(const LanguageModel& model, std::vector<TaskPlan> plans, const RunOptions& options)
    : options_(options), started_(Clock::now()) {
    evaluation_.model = model.identity();
    for (const auto& plan : plans)
        for (const auto& document : plan.documents)
            for (const auto& request : document.requests)
                if (!model.supports(request.kind))
                    throw Error("model '" + evaluation_.model.spec + "' (" + evaluation_.model.backend + ") cannot answer " + to_string(request.kind) +
                                " requests, which task '" + plan.config->name + "' needs");
    model_key_ = eval::model_key(evaluation_.model);
    if (!options_.cache_path.empty()) cache_ = std::make_unique<RequestCache>(options_.cache_path);

    // The tasks' requests are pointed into from the batches: the tasks are in place before any is planned.
    evaluation_.tasks.resize(plans.size());
    task_keys_.resize(plans.size());
    task_seconds_.assign(plans.size(), 0.0);
    std::unordered_set<std::string> known;
    const size_t batch_size = std::max<size_t>(options_.batch_size, 1);
    for (size_t t = 0; t < plans.size(); ++t) {
        TaskResult& r = evaluation_.tasks[t];
        r.plan = std::move(plans[t]);
        if (!model.reads_conversation())
            for (auto& document : r.plan.documents)
                for (auto& request : document.requests) request.generation.conversation.reset();
        const auto task_started = Clock::now();
        const std::vector<Pending> pending = gather_requests(r, model_key_, known, answers_, cache_.get(), task_keys_[t]);
        for (RequestKind kind : {RequestKind::loglikelihood, RequestKind::rolling, RequestKind::generation}) {
            std::vector<size_t> of_kind;
            for (size_t i = 0; i < pending.size(); ++i)
                if (pending[i].request->kind == kind) of_kind.push_back(i);
            for (const auto& indexes : make_batches(pending, of_kind, batch_size)) {
                RequestBatch batch;
                batch.kind = kind;
                batch.task = t;
                for (size_t i : indexes) {
                    batch.keys.push_back(pending[i].key);
                    batch.requests.push_back(pending[i].request);
                }
                batches_.push_back(std::move(batch));
            }
        }
        task_seconds_[t] += seconds_since(task_started);
    }
    recorded_.assign(batches_.size(), false);
}

EvaluationRun::~EvaluationRun() = default;

void EvaluationRun::record(size_t index, std::vector<Response> responses, double seconds, bool store_in_cache) {
    const RequestBatch& batch = batches_.at(index);
    if (recorded_[index]) throw Error("batch " + std::to_string(index) + " was answered twice");
    if (responses.size() != batch.keys.size())
        throw Error("batch " + std::to_string(index) + ": " + std::to_string(responses.size()) + " answers for " + std::to_string(batch.keys.size()) +
                    " requests");
    for (const auto& response : responses)
        if (response.kind != batch.kind)
            throw Error("batch " + std::to_string(index) + ": a " + to_string(response.kind) + " answer to a " + to_string(batch.kind) + " request");
    if (cache_ && store_in_cache) cache_->store(cache_entries(batch, responses));
    RequestCounts& counts = evaluation_.tasks[batch.task].requests;
    for (size_t j = 0; j < batch.keys.size(); ++j) {
        if (responses[j].error()) ++counts.failed;
        answers_[batch.keys[j]] = std::move(responses[j]);
    }
    counts.computed += static_cast<int64_t>(batch.keys.size());
    task_seconds_[batch.task] += seconds;
    recorded_[index] = true;
}

Evaluation EvaluationRun::finish(const std::vector<SelectedGroup>& groups) {
    const auto unanswered = std::find(recorded_.begin(), recorded_.end(), false);
    if (unanswered != recorded_.end())
        throw Error("batch " + std::to_string(unanswered - recorded_.begin()) + " of " + std::to_string(batches_.size()) + " was never answered");
    Evaluation ev = std::move(evaluation_);
    for (size_t t = 0; t < ev.tasks.size(); ++t) {
        const auto scoring_started = Clock::now();
        TaskResult& r = ev.tasks[t];
        for (const auto& key : task_keys_[t]) r.usage += answers_.at(key).usage();
        score_task(r, answers_, options_);
        r.wall_seconds = task_seconds_[t] + seconds_since(scoring_started);
        ev.requests.total += r.requests.total;
        ev.requests.reused += r.requests.reused;
        ev.requests.from_cache += r.requests.from_cache;
        ev.requests.computed += r.requests.computed;
        ev.requests.failed += r.requests.failed;
    }
    ev.requests.unique = static_cast<int64_t>(answers_.size());
    for (const auto& [key, response] : answers_) ev.usage += response.usage();
    for (const auto& group : groups) ev.groups.push_back(score_group(group, ev.tasks, options_));
    ev.wall_seconds = seconds_since(started_);
    batches_.clear();
    return ev;
}

Evaluation evaluate(LanguageModel& model, std::vector<TaskPlan> plans, const std::vector<SelectedGroup>& groups, const RunOptions& options) {
    EvaluationRun run(model, std::move(plans), options);
    const std::vector<RequestBatch>& batches = run.batches();
    Progress progress(stderr, options.progress);
    for (size_t b = 0; b < batches.size(); ++b) {
        const size_t task = batches[b].task;
        if (b == 0 || batches[b - 1].task != task) {
            int64_t to_compute = 0;
            for (size_t c = b; c < batches.size() && batches[c].task == task; ++c) to_compute += static_cast<int64_t>(batches[c].keys.size());
            progress.start(run.task(task).config->name, to_compute);
        }
        const auto batch_started = Clock::now();
        std::vector<Response> responses;
        try {
            responses = answer_batch(model, batches[b]);
        } catch (const Error& e) {
            // A backend that cannot serve a request at all (a server without prompt log-probs) stops the run; say for which task.
            throw Error("task '" + run.task(task).config->name + "': " + e.what());
        }
        run.record(b, std::move(responses), seconds_since(batch_started));
        progress.advance(static_cast<int64_t>(batches[b].keys.size()));
        if (b + 1 == batches.size() || batches[b + 1].task != task) progress.finish();
    }
    Evaluation evaluation = run.finish(groups);
    evaluation.backend_statistics = model.statistics();
    return evaluation;
}

}  // namespace flopwise::eval

#include "flopwise/eval/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
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
    Response out = response_from_json(response.kind, nlohmann::ordered_json::parse(text));
    if (response.error()) {
        switch (out.kind) {
            case RequestKind::loglikelihood: out.loglikelihood.error = response.error(); break;
            case RequestKind::rolling: out.rolling.error = response.error(); break;
            case RequestKind::generation: out.generation.error = response.error(); break;
        }
    }
    return out;
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

void run_requests(LanguageModel& model, const std::vector<Pending>& pending, Answers& answers, RequestCache* cache, Progress& progress,
                  const std::string& label, const RunOptions& options, RequestCounts& counts) {
    if (pending.empty()) return;
    progress.start(label, static_cast<int64_t>(pending.size()));
    for (RequestKind kind : {RequestKind::loglikelihood, RequestKind::rolling, RequestKind::generation}) {
        std::vector<size_t> of_kind;
        for (size_t i = 0; i < pending.size(); ++i)
            if (pending[i].request->kind == kind) of_kind.push_back(i);
        for (const auto& batch : make_batches(pending, of_kind, std::max<size_t>(options.batch_size, 1))) {
            std::vector<const Request*> requests;
            for (size_t i : batch) requests.push_back(pending[i].request);
            std::vector<Response> responses;
            try {
                responses = ask(model, kind, requests);
            } catch (const Error& e) {
                // A backend that cannot serve a request at all (a server without prompt log-probs) stops the run; say for which task.
                throw Error("task '" + label + "': " + e.what());
            }
            if (responses.size() != requests.size())
                throw Error("model '" + model.identity().spec + "' returned " + std::to_string(responses.size()) + " results for " +
                            std::to_string(requests.size()) + " " + to_string(kind) + " requests");
            std::vector<RequestCache::Entry> entries;
            for (size_t j = 0; j < batch.size(); ++j) {
                const Pending& p = pending[batch[j]];
                Response response = normalized(responses[j]);
                if (response.error()) {
                    ++counts.failed;
                } else {
                    entries.push_back({p.key, to_string(kind), to_json(*p.request), to_json(response)});
                }
                answers[p.key] = std::move(response);
            }
            if (cache) cache->store(entries);
            counts.computed += static_cast<int64_t>(batch.size());
            progress.advance(static_cast<int64_t>(batch.size()));
        }
    }
    progress.finish();
}

// Keys every request of the task and settles what it can without the model: duplicates within
// the task, answers from earlier tasks of the run, answers in the cache. Returns the rest.
std::vector<Pending> gather_requests(TaskResult& r, const std::string& model_key, Answers& answers, RequestCache* cache,
                                     std::unordered_set<std::string>& in_task) {
    std::vector<Pending> pending;
    r.request_keys.resize(r.plan.documents.size());
    for (size_t d = 0; d < r.plan.documents.size(); ++d) {
        for (const auto& request : r.plan.documents[d].requests) {
            const std::string key = request_key(model_key, request);
            r.request_keys[d].push_back(key);
            ++r.requests.total;
            if (!in_task.insert(key).second) continue;
            ++r.requests.unique;
            if (answers.count(key)) {
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

Evaluation evaluate(LanguageModel& model, std::vector<TaskPlan> plans, const std::vector<SelectedGroup>& groups, const RunOptions& options) {
    const auto started = Clock::now();
    Evaluation ev;
    ev.model = model.identity();
    for (const auto& plan : plans)
        for (const auto& document : plan.documents)
            for (const auto& request : document.requests)
                if (!model.supports(request.kind))
                    throw Error("model '" + ev.model.spec + "' (" + ev.model.backend + ") cannot answer " + to_string(request.kind) +
                                " requests, which task '" + plan.config->name + "' needs");
    const std::string key_of_model = model_key(ev.model);
    std::unique_ptr<RequestCache> cache;
    if (!options.cache_path.empty()) cache = std::make_unique<RequestCache>(options.cache_path);
    Progress progress(stderr, options.progress);
    Answers answers;

    for (auto& plan : plans) {
        const auto task_started = Clock::now();
        TaskResult r;
        r.plan = std::move(plan);
        std::unordered_set<std::string> in_task;
        const std::vector<Pending> pending = gather_requests(r, key_of_model, answers, cache.get(), in_task);
        run_requests(model, pending, answers, cache.get(), progress, r.plan.config->name, options, r.requests);
        for (const auto& key : in_task) r.usage += answers.at(key).usage();
        score_task(r, answers, options);
        r.wall_seconds = seconds_since(task_started);
        ev.requests.total += r.requests.total;
        ev.requests.reused += r.requests.reused;
        ev.requests.from_cache += r.requests.from_cache;
        ev.requests.computed += r.requests.computed;
        ev.requests.failed += r.requests.failed;
        ev.tasks.push_back(std::move(r));
    }
    ev.requests.unique = static_cast<int64_t>(answers.size());
    for (const auto& [key, response] : answers) ev.usage += response.usage();
    for (const auto& group : groups) ev.groups.push_back(score_group(group, ev.tasks, options));
    ev.backend_statistics = model.statistics();
    ev.wall_seconds = seconds_since(started);
    return ev;
}

}  // namespace flopwise::eval

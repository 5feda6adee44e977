#include "flopwise/eval/results.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "flopwise/error.hpp"
#include "flopwise/eval/digest.hpp"
#include "flopwise/eval/machine.hpp"

namespace flopwise::eval {

namespace {

using Json = nlohmann::ordered_json;

Json number_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(); }

Json estimate_json(const Estimate& e) {
    return {{"value", number_or_null(e.value)},
            {"stderr", e.stderr_value ? number_or_null(*e.stderr_value) : Json()},
            {"stderr_method", e.stderr_method}};
}

Json flops_json(const FlopCounts& f) {
    return {{"linear", f.linear}, {"attention", f.attention}, {"lm_head", f.lm_head}, {"total", f.total()}};
}

Json per_token(uint64_t flops, int64_t tokens) {
    return tokens > 0 ? Json(static_cast<double>(flops) / static_cast<double>(tokens)) : Json();
}

// "counted": the engine's kernels counted what they executed; "estimated": from the model card
// (remote APIs); "unavailable": a remote model without a card.
std::string flops_source(const ModelIdentity& model) {
    if (model.flops_counted) return "counted";
    const auto it = model.service.find("flops_estimate");
    return it != model.service.end() && !it->is_null() ? "estimated" : "unavailable";
}

// What the tokens cost at the price the backend found for the model; null without a price.
Json cost_json(const ComputeUsage& u, const ModelIdentity& model) {
    const auto it = model.service.find("price");
    if (it == model.service.end() || !it->is_object()) return Json();
    const auto dollars = [&](int64_t tokens, const char* field) { return static_cast<double>(tokens) * it->value(field, 0.0) / 1e6; };
    const double input = dollars(u.prompt_tokens, "input_per_million"), output = dollars(u.generated_tokens, "output_per_million"),
                 reasoning = dollars(u.reasoning_tokens, "reasoning_per_million");
    return {{"currency", "USD"}, {"input", input}, {"output", output}, {"reasoning", reasoning}, {"total", input + output + reasoning}};
}

Json compute_json(const ComputeUsage& u, const ModelIdentity& model) {
    const std::string source = flops_source(model);
    const bool known = source != "unavailable";
    const FlopCounts prefill = u.prefill_flops();
    const auto known_per_token = [&](uint64_t flops, int64_t tokens) { return known ? per_token(flops, tokens) : Json(); };
    return {{"prompt_tokens", u.prompt_tokens},
            {"generated_tokens", u.generated_tokens},
            {"reasoning_tokens", u.reasoning_tokens},
            {"reused_tokens", u.reused_tokens},
            {"flops", known ? flops_json(u.flops) : Json()},
            {"prefill_flops", known ? flops_json(prefill) : Json()},
            {"generation_flops", known ? flops_json(u.generation_flops) : Json()},
            {"reasoning_flops", known ? Json(u.reasoning_flops) : Json()},
            {"flops_per_token", known_per_token(u.flops.total(), u.prompt_tokens + u.generated_tokens + u.reasoning_tokens)},
            {"flops_per_prompt_token", known_per_token(prefill.total(), u.prompt_tokens)},
            {"flops_per_generated_token", known_per_token(u.generation_flops.total(), u.generated_tokens + u.reasoning_tokens)},
            {"flops_source", source},
            {"cost", cost_json(u, model)}};
}

Json counts_json(const RequestCounts& c) {
    return {{"total", c.total},   {"unique", c.unique},     {"reused", c.reused},
            {"from_cache", c.from_cache}, {"computed", c.computed}, {"failed", c.failed}};
}

std::string utc_now() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::string dump(const Json& j, int indent) { return j.dump(indent, ' ', false, Json::error_handler_t::replace); }

void write_atomically(const std::filesystem::path& path, const std::string& text) {
    const std::filesystem::path temporary = path.string() + ".partial";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw Error(temporary.string() + ": cannot write");
        out << text;
        if (!out.flush()) throw Error(temporary.string() + ": write failed");
    }
    std::filesystem::rename(temporary, path);
}

Json task_json(const TaskResult& t, const ModelIdentity& model) {
    const TaskConfig& c = *t.plan.config;
    const Json config = c.to_json();
    Json files = Json::array();
    for (const auto& f : t.plan.files) files.push_back({{"name", f.name}, {"sha256", f.sha256}});
    Json metrics = Json::object();
    for (size_t m = 0; m < t.metrics.size(); ++m) {
        Json e = estimate_json(t.estimates[m]);
        e["aggregation"] = to_string(t.metrics[m].aggregation);
        e["higher_is_better"] = t.metrics[m].higher_is_better;
        metrics[t.metrics[m].key] = e;
    }
    const auto& f = t.plan.fewshot;
    return {{"version", c.version},
            {"follows", c.follows},
            {"differences", c.differences},
            {"file", c.file},
            {"config", config},
            {"config_sha256", sha256_hex(config.dump())},
            {"dataset", {{"name", c.dataset}, {"subset", c.subset}, {"split", c.split}, {"manifest", t.plan.dataset_manifest}, {"files", files}}},
            {"fewshot",
             {{"num_fewshot", f.num_fewshot},
              {"split", f.num_fewshot > 0 ? Json(f.split) : Json()},
              {"sampler", f.num_fewshot > 0 ? Json(f.sampler) : Json()},
              {"seed", f.seed},
              {"excludes_evaluated_document", f.excludes_evaluated_document}}},
            {"documents",
             {{"in_split", t.plan.split_documents},
              {"evaluated", t.plan.documents.size()},
              {"scored", static_cast<int64_t>(t.plan.documents.size()) - t.failed_documents()},
              {"failed", t.failed_documents()}}},
            {"metrics", metrics},
            {"requests", counts_json(t.requests)},
            {"compute", compute_json(t.usage, model)},
            {"wall_seconds", t.wall_seconds},
            {"samples_file", "samples/" + c.name + ".jsonl"}};
}

}  // namespace

Json results_json(const Evaluation& ev, const RunInfo& info) {
    Json j;
    j["schema"] = "flopwise-results";
    j["schema_version"] = kResultsSchemaVersion;
    j["flopwise_version"] = info.flopwise_version;
    j["created_utc"] = utc_now();
    j["command"] = info.command;
    Json model = to_json(ev.model);
    model["key"] = model_key(ev.model);
    j["model"] = model;
    j["settings"] = {{"seed", info.options.seed},
                     {"limit", info.limit ? Json(*info.limit) : Json()},
                     {"num_fewshot", info.num_fewshot ? Json(*info.num_fewshot) : Json()},
                     {"task_num_fewshot", info.task_num_fewshot},
                     {"batch_size", info.options.batch_size},
                     {"bootstrap_iterations", info.options.bootstrap_iterations},
                     {"threads", info.threads},
                     {"cache", info.options.cache_path.empty() ? Json() : Json(info.options.cache_path)},
                     {"suites_dir", info.suites_dir},
                     {"data_dir", info.data_dir}};
    j["machine"] = machine_info();
    if (!info.ranks.is_null()) j["machine"]["ranks"] = info.ranks;
    j["build"] = build_info();
    Json tasks = Json::object();
    for (const auto& t : ev.tasks) tasks[t.plan.config->name] = task_json(t, ev.model);
    j["tasks"] = tasks;
    Json groups = Json::object();
    for (const auto& g : ev.groups) {
        Json metrics = Json::object();
        for (const auto& [key, estimate] : g.metrics) {
            Json micro = estimate_json(estimate.micro), macro = estimate_json(estimate.macro);
            micro["meaning"] = "pooled over all documents: every document weighs the same (lm-evaluation-harness's group figure)";
            macro["meaning"] = "unweighted mean of the member tasks: every task weighs the same";
            metrics[key] = {{"micro", micro}, {"macro", macro}};
        }
        groups[g.suite->name] = {{"version", g.suite->version},
                                 {"description", g.suite->description},
                                 {"file", g.suite->file},
                                 {"tasks", g.tasks},
                                 {"documents", g.documents},
                                 {"metrics", metrics}};
    }
    j["groups"] = groups;
    j["totals"] = {{"requests", counts_json(ev.requests)}, {"compute", compute_json(ev.usage, ev.model)}, {"wall_seconds", ev.wall_seconds}};
    if (!ev.backend_statistics.is_null()) j["totals"]["backend"] = Json(ev.backend_statistics);
    return j;
}

Json sample_json(const TaskResult& t, size_t d) {
    const DocumentPlan& plan = t.plan.documents[d];
    Json requests = Json::array();
    for (size_t k = 0; k < plan.requests.size(); ++k) {
        Json r = to_json(plan.requests[k]);
        r["key"] = t.request_keys[d][k];
        r["response"] = to_json(t.responses[d][k]);
        requests.push_back(r);
    }
    Json j;
    j["doc_id"] = plan.doc_id;
    j["doc"] = t.plan.docs[d];
    j["requests"] = requests;
    if (t.errors[d]) {
        j["error"] = *t.errors[d];
        return j;
    }
    const DocumentScore& score = t.scores[d];
    Json metrics = Json::object();
    for (size_t m = 0; m < t.metrics.size(); ++m) metrics[t.metrics[m].key] = score.samples[m].value;
    j["details"] = score.details;
    j["metrics"] = metrics;
    return j;
}

void write_run_outputs(const std::string& directory, const Evaluation& ev, const RunInfo& info) {
    const std::filesystem::path dir(directory);
    std::filesystem::create_directories(dir / "samples");
    for (const auto& t : ev.tasks) {
        std::string lines;
        for (size_t d = 0; d < t.plan.documents.size(); ++d) lines += dump(sample_json(t, d), -1) + "\n";
        write_atomically(dir / "samples" / (t.plan.config->name + ".jsonl"), lines);
    }
    write_atomically(dir / "results.json", dump(results_json(ev, info), 2) + "\n");
}

std::string summary_table(const Evaluation& ev) {
    std::string out;
    char line[512];
    const auto row = [&](const std::string& name, const std::string& shots, const std::string& metric, const Estimate& e, int64_t n) {
        const std::string se = e.stderr_value ? std::to_string(*e.stderr_value).substr(0, 6) : "n/a";
        std::snprintf(line, sizeof line, "| %-34s | %5s | %-26s | %10.4f | %8s | %7lld |\n", name.c_str(), shots.c_str(), metric.c_str(), e.value,
                      se.c_str(), static_cast<long long>(n));
        out += line;
    };
    std::snprintf(line, sizeof line, "| %-34s | %5s | %-26s | %10s | %8s | %7s |\n", "task", "shots", "metric", "value", "stderr", "docs");
    out += line;
    for (size_t width : {36, 7, 28, 12, 10, 9}) out += std::string("|") + std::string(width, '-');
    out += "|\n";
    for (const auto& t : ev.tasks) {
        const int64_t scored = static_cast<int64_t>(t.plan.documents.size()) - t.failed_documents();
        for (size_t m = 0; m < t.metrics.size(); ++m)
            row(t.plan.config->name, std::to_string(t.plan.fewshot.num_fewshot), t.metrics[m].key, t.estimates[m], scored);
    }
    for (const auto& g : ev.groups)
        for (const auto& [key, estimate] : g.metrics) {
            row(g.suite->name + " (group)", "", key + " micro (per document)", estimate.micro, g.documents);
            row(g.suite->name + " (group)", "", key + " macro (per task)", estimate.macro, g.documents);
        }
    return out;
}

std::string backend_summary(const Evaluation& ev) {
    const auto& b = ev.backend_statistics;
    if (!b.is_object()) return "";
    std::string out = b.value("backend", std::string("backend")) + ": " + std::to_string(b.value("requests", int64_t{0})) + " calls, " +
                      std::to_string(b.value("attempts", int64_t{0})) + " attempts, " + std::to_string(b.value("retries", int64_t{0})) + " retries";
    std::string reasons;
    if (b.contains("retries_by_reason"))
        for (const auto& [reason, n] : b["retries_by_reason"].items()) reasons += (reasons.empty() ? "" : ", ") + reason + " " + n.dump();
    if (!reasons.empty()) out += " (" + reasons + ")";
    out += ", " + std::to_string(b.value("failed", int64_t{0})) + " failed\n";
    const ComputeUsage& u = ev.usage;
    out += "tokens: " + std::to_string(u.prompt_tokens) + " prompt, " + std::to_string(u.generated_tokens) + " generated, " +
           std::to_string(u.reasoning_tokens) + " reasoning";
    const Json cost = cost_json(u, ev.model);
    char dollars[64];
    if (cost.is_object()) {
        std::snprintf(dollars, sizeof dollars, "; cost $%.4f", cost["total"].get<double>());
        out += dollars;
    } else {
        out += "; cost unknown (no price for " + ev.model.name + ": add one with --prices FILE)";
    }
    const std::string source = flops_source(ev.model);
    if (source == "estimated") {
        std::snprintf(dollars, sizeof dollars, "%.3g", static_cast<double>(u.flops.total()));
        out += std::string("; FLOPs ") + dollars + " (estimated from the model card)";
    } else if (source == "unavailable") {
        out += "; FLOPs unavailable (no model card for " + ev.model.name + ": name one with --card)";
    }
    return out;
}

}  // namespace flopwise::eval

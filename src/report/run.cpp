#include "flopwise/report/run.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "flopwise/error.hpp"

namespace flopwise::report {

namespace {

using Json = nlohmann::ordered_json;

// Field access that names the file and the JSON path of whatever is missing or malformed.
class Reader {
public:
    Reader(const Json& json, std::string source, std::string path) : json_(json), source_(std::move(source)), path_(std::move(path)) {}

    Reader at(const std::string& key) const {
        if (!json_.is_object()) fail("is not an object");
        const auto it = json_.find(key);
        if (it == json_.end()) throw Error(source_ + ": missing field '" + child(key) + "'");
        return Reader(*it, source_, child(key));
    }
    bool has(const std::string& key) const { return json_.is_object() && json_.contains(key) && !json_.at(key).is_null(); }
    std::string text() const {
        if (!json_.is_string()) fail("must be a string");
        return json_.get<std::string>();
    }
    std::string text_or(const std::string& key, const std::string& fallback) const { return has(key) ? at(key).text() : fallback; }
    double number() const {
        if (!json_.is_number()) fail("must be a number");
        return json_.get<double>();
    }
    std::optional<double> optional_number(const std::string& key) const {
        if (!has(key)) return std::nullopt;
        return at(key).number();
    }
    int64_t integer() const {
        if (!json_.is_number_integer()) fail("must be an integer");
        return json_.get<int64_t>();
    }
    bool boolean() const {
        if (!json_.is_boolean()) fail("must be true or false");
        return json_.get<bool>();
    }
    const Json& object() const {
        if (!json_.is_object()) fail("must be an object");
        return json_;
    }
    const Json& object_or_array() const { return json_; }
    size_t size() const { return json_.size(); }
    Reader element(size_t i) const { return Reader(json_.at(i), source_, path_ + "[" + std::to_string(i) + "]"); }
    Reader member(const std::string& key, const Json& value) const { return Reader(value, source_, child(key)); }
    [[noreturn]] void fail(const std::string& what) const { throw Error(source_ + ": field '" + path_ + "' " + what); }

private:
    std::string child(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

    const Json& json_;
    std::string source_;
    std::string path_;
};

TaskFigures parse_task(const Reader& t, const std::string& name, const std::string& directory) {
    TaskFigures task;
    task.name = name;
    task.directory = directory;
    t.object();
    task.version = t.text_or("version", "");
    task.config_sha256 = t.text_or("config_sha256", "");
    task.num_fewshot = static_cast<int32_t>(t.at("fewshot").at("num_fewshot").integer());
    task.documents_scored = t.at("documents").at("scored").integer();
    const Reader metrics = t.at("metrics");
    for (const auto& [key, value] : metrics.object().items()) {
        const Reader m = metrics.member(key, value);
        MetricFigure figure;
        figure.key = key;
        if (!m.has("value")) continue;  // not finite (a perplexity over no documents): nothing to compare
        figure.value = m.at("value").number();
        figure.stderr_value = m.optional_number("stderr");
        figure.aggregation = m.at("aggregation").text();
        figure.higher_is_better = m.at("higher_is_better").boolean();
        task.metrics.push_back(figure);
    }
    if (t.has("compute")) {
        const Reader compute = t.at("compute");
        if (compute.text_or("flops_source", "") == "counted") task.counted_flops_per_token = compute.optional_number("flops_per_token");
    }
    task.samples_file = t.text_or("samples_file", "samples/" + name + ".jsonl");
    return task;
}

// A group's metric points the way its members' metric does.
void task_metric_direction(const Run& run, const std::vector<std::string>& members, const std::string& key, bool& higher_is_better) {
    for (const auto& member : members)
        if (const TaskFigures* t = run.task(member))
            if (const MetricFigure* m = t->metric(key)) {
                higher_is_better = m->higher_is_better;
                return;
            }
}

TaskFigures parse_group(const Reader& g, const std::string& name, const Run& run) {
    TaskFigures group;
    group.name = name;
    group.directory = run.directory;
    group.version = g.text_or("version", "");
    const Reader members = g.at("tasks");
    if (!members.object_or_array().is_array()) members.fail("must be a list of task names");
    for (size_t i = 0; i < members.size(); ++i) {
        const std::string member = members.element(i).text();
        const TaskFigures* task = run.task(member);
        if (!task) members.element(i).fail("names a task this run has no results for");
        group.members.push_back(member);
        group.num_fewshot = task->num_fewshot;
        group.documents_scored += task->documents_scored;
    }
    const Reader metrics = g.at("metrics");
    for (const auto& [key, value] : metrics.object().items()) {
        const Reader micro = metrics.member(key, value).at("micro");
        if (!micro.has("value")) continue;
        MetricFigure figure;
        figure.key = key;
        figure.value = micro.at("value").number();
        figure.stderr_value = micro.optional_number("stderr");
        figure.aggregation = "mean";
        task_metric_direction(run, group.members, key, figure.higher_is_better);
        group.metrics.push_back(figure);
    }
    return group;
}

}  // namespace

Run merge_runs(const std::vector<Run>& runs) {
    if (runs.empty()) throw Error("no runs to merge");
    Run merged = runs.front();
    for (size_t i = 1; i < runs.size(); ++i) {
        const Run& r = runs[i];
        if (r.model_key != merged.model_key)
            throw Error(r.results_path + ": a different model (key " + r.model_key + ") from " + merged.results_path + " (" + merged.model_key + ")");
        for (const auto& t : r.tasks) {
            const auto it = std::find_if(merged.tasks.begin(), merged.tasks.end(), [&](const TaskFigures& m) { return m.name == t.name; });
            if (it != merged.tasks.end()) *it = t;
            else merged.tasks.push_back(t);
        }
        merged.directories.push_back(r.directory);
    }
    if (runs.size() > 1) {
        // The counted figure over all the runs' requests together (a task in two runs counts twice).
        merged.flops_total = 0.0;
        merged.tokens_total = 0.0;
        for (const auto& r : runs) {
            merged.flops_total += r.flops_total;
            merged.tokens_total += r.tokens_total;
        }
        merged.flops_per_token.reset();
        if (merged.tokens_total > 0 && merged.flops_total > 0) merged.flops_per_token = merged.flops_total / merged.tokens_total;
        merged.metadata["merged_runs"] = merged.directories;
    }
    return merged;
}

const MetricFigure* TaskFigures::metric(const std::string& key) const {
    for (const auto& m : metrics)
        if (m.key == key) return &m;
    return nullptr;
}

const TaskFigures* Run::task(const std::string& name) const {
    for (const auto& t : tasks)
        if (t.name == name) return &t;
    return nullptr;
}

Run parse_run(const Json& results, const std::string& directory, const std::string& source) {
    const Reader root(results, source, "");
    root.object();
    if (root.at("schema").text() != "flopwise-results") root.at("schema").fail("must be \"flopwise-results\"");
    if (root.at("schema_version").integer() != 1) root.at("schema_version").fail("is not 1, the version this flopwise reads");
    Run run;
    run.directory = directory;
    run.results_path = source;
    const Reader model = root.at("model");
    run.model_name = model.text_or("name", "");
    run.spec = model.at("spec").text();
    if (run.model_name.empty()) run.model_name = run.spec;
    run.backend = model.at("backend").text();
    run.architecture = model.text_or("architecture", "");
    run.quantization = model.text_or("quantization", "");
    run.file_sha256 = model.text_or("file_sha256", "");
    run.model_key = model.text_or("key", "");
    run.flops_source = model.at("flops").text();
    if (run.flops_source != "counted" && run.flops_source != "estimated") model.at("flops").fail("must be \"counted\" or \"estimated\"");
    run.parameters = model.has("parameters") ? model.at("parameters").integer() : 0;
    if (model.has("details")) run.model_details = model.at("details").object();
    if (root.has("totals") && root.at("totals").has("compute")) {
        const Reader compute = root.at("totals").at("compute");
        run.flops_per_token = compute.optional_number("flops_per_token");
        if (compute.has("flops") && compute.at("flops").has("total")) run.flops_total = compute.at("flops").at("total").number();
        run.tokens_total = compute.optional_number("prompt_tokens").value_or(0.0) + compute.optional_number("generated_tokens").value_or(0.0);
    }
    const Reader tasks = root.at("tasks");
    for (const auto& [name, value] : tasks.object().items()) run.tasks.push_back(parse_task(tasks.member(name, value), name, directory));
    if (root.has("groups")) {
        const Reader groups = root.at("groups");
        for (const auto& [name, value] : groups.object().items()) run.tasks.push_back(parse_group(groups.member(name, value), name, run));
    }
    // Member tasks, and groups whose tasks all belong to a larger group (MMLU's categories), are
    // shown under the larger group.
    for (const auto& group : run.tasks)
        for (auto& t : run.tasks) {
            const auto contains = [&](const std::string& name) { return std::find(group.members.begin(), group.members.end(), name) != group.members.end(); };
            if (contains(t.name)) t.in_group = true;
            if (&t != &group && !t.members.empty() && t.members.size() < group.members.size() &&
                std::all_of(t.members.begin(), t.members.end(), contains))
                t.in_group = true;
        }
    run.directories = {directory};
    for (const char* key : {"flopwise_version", "created_utc", "command", "settings", "machine", "build"})
        if (results.contains(key)) run.metadata[key] = results.at(key);
    return run;
}

Run load_run(const std::string& directory) {
    const std::filesystem::path dir(directory);
    if (!std::filesystem::is_directory(dir)) throw Error(directory + ": not a run directory (written by `flopwise run --output DIR`)");
    const std::string path = (dir / "results.json").string();
    std::ifstream in(path);
    if (!in) throw Error(path + ": cannot read (is " + directory + " a run directory?)");
    Json results;
    try {
        results = Json::parse(in);
    } catch (const Json::parse_error& e) {
        throw Error(path + ": not valid JSON: " + e.what());
    }
    return parse_run(results, directory, path);
}

std::map<int64_t, double> load_sample_values(const Run& run, const std::string& task_name, const std::string& metric) {
    const TaskFigures* task = run.task(task_name);
    if (!task) throw Error(run.results_path + ": no task '" + task_name + "'");
    if (!task->members.empty()) {
        std::map<int64_t, double> pooled;
        for (size_t m = 0; m < task->members.size(); ++m)
            for (const auto& [doc, value] : load_sample_values(run, task->members[m], metric))
                pooled.emplace((static_cast<int64_t>(m) << 32) + doc, value);
        return pooled;
    }
    const std::string path = (std::filesystem::path(task->directory) / task->samples_file).string();
    std::ifstream in(path);
    if (!in) throw Error(path + ": cannot read the samples of task '" + task_name + "'");
    std::map<int64_t, double> values;
    std::string line;
    int64_t line_number = 0;
    while (std::getline(in, line)) {
        ++line_number;
        if (line.empty()) continue;
        std::string source = path + " line ";
        source += std::to_string(line_number);
        Json sample;
        try {
            sample = Json::parse(line);
        } catch (const Json::parse_error& e) {
            throw Error(source + ": not valid JSON: " + e.what());
        }
        const Reader reader(sample, source, "");
        const int64_t doc_id = reader.at("doc_id").integer();
        if (!reader.has("metrics")) continue;  // the document failed
        const Reader metrics = reader.at("metrics");
        if (!metrics.has(metric)) continue;
        if (!values.emplace(doc_id, metrics.at(metric).number()).second) reader.at("doc_id").fail("repeats document " + std::to_string(doc_id));
    }
    return values;
}

}  // namespace flopwise::report

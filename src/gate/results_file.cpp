#include "flopwise/gate/results_file.hpp"

#include <cmath>
#include <fstream>

#include "flopwise/error.hpp"

namespace flopwise::gate {
namespace {

double nanoseconds_per(const std::string& unit, const std::string& where) {
    if (unit == "ns") return 1.0;
    if (unit == "us") return 1e3;
    if (unit == "ms") return 1e6;
    if (unit == "s") return 1e9;
    throw Error(where + ": unknown time_unit '" + unit + "' (expected ns, us, ms or s)");
}

double finite_number(const nlohmann::json& entry, const char* field, const std::string& where) {
    const auto found = entry.find(field);
    if (found == entry.end() || !found->is_number())
        throw Error(where + ": field '" + field + "' is missing or not a number");
    const double value = found->get<double>();
    if (!std::isfinite(value) || value < 0.0) throw Error(where + ": field '" + field + "' is negative or not finite");
    return value;
}

}  // namespace

const BenchmarkSamples* ResultsFile::find(const std::string& name) const {
    for (const auto& b : benchmarks)
        if (b.name == name) return &b;
    return nullptr;
}

std::string ResultsFile::context_value(const std::string& key) const {
    const auto found = context.find(key);
    return found == context.end() ? std::string() : found->second;
}

ResultsFile parse_results(const nlohmann::json& document, const std::string& label, TimeField time) {
    ResultsFile file;
    file.path = label;
    if (!document.is_object()) throw Error(label + ": not a benchmark result file (the top level is not an object)");
    if (const auto context = document.find("context"); context != document.end() && context->is_object())
        for (const auto& [key, value] : context->items())
            if (value.is_string()) file.context[key] = value.get<std::string>();
    file.metric = file.context_value("flopwise_metric");
    if (file.metric.empty()) file.metric = "time";
    if (file.metric != "time" && file.metric != "instructions")
        throw Error(label + ": context field flopwise_metric is '" + file.metric + "' (expected time or instructions)");

    const auto benchmarks = document.find("benchmarks");
    if (benchmarks == document.end() || !benchmarks->is_array())
        throw Error(label + ": no 'benchmarks' array (not a Google Benchmark JSON file)");
    size_t index = 0;
    for (const auto& entry : *benchmarks) {
        const std::string where = label + ": benchmarks[" + std::to_string(index++) + "]";
        if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string())
            throw Error(where + ": no 'name' string");
        if (entry.value("run_type", std::string("iteration")) != "iteration") continue;
        if (entry.value("error_occurred", false)) continue;
        const std::string name = entry["name"].get<std::string>();
        const std::string at = where + " (" + name + ")";
        double value;
        if (file.metric == "instructions") {
            value = finite_number(entry, "instructions", at);
        } else {
            if (!entry.contains("time_unit") || !entry["time_unit"].is_string())
                throw Error(at + ": field 'time_unit' is missing or not a string");
            value = finite_number(entry, time == TimeField::cpu ? "cpu_time" : "real_time", at) * nanoseconds_per(entry["time_unit"].get<std::string>(), at);
        }
        BenchmarkSamples* samples = nullptr;
        for (auto& b : file.benchmarks)
            if (b.name == name) samples = &b;
        if (samples == nullptr) {
            file.benchmarks.push_back({name, {}, {}});
            samples = &file.benchmarks.back();
            for (const auto& [key, v] : entry.items())
                if (v.is_number() && key != "real_time" && key != "cpu_time" && key != "iterations")
                    samples->counters[key] = v.get<double>();
        }
        samples->values.push_back(value);
    }
    if (file.benchmarks.empty()) throw Error(label + ": contains no benchmark runs");
    return file;
}

ResultsFile load_results(const std::string& path, TimeField time) {
    std::ifstream in(path);
    if (!in) throw Error(path + ": cannot open the benchmark result file");
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(path + ": not valid JSON (" + e.what() + ")");
    }
    return parse_results(document, path, time);
}

}  // namespace flopwise::gate

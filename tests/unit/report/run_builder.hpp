#pragma once
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flopwise::test {

// Writes a run directory in the layout `flopwise run` produces (results.json + samples/), with
// per-document scores chosen by the test, so claims and reports can be checked on known data.
struct BuiltTask {
    std::string name;
    std::vector<double> acc;  // one score per document (doc_id = index + first_doc)
    int num_fewshot = 0;
    int first_doc = 0;
};

struct BuiltModel {
    std::string name;
    int layers = 4;
    int width = 256;
    int vocab = 1000;
};

inline void write_run(const std::string& dir, const BuiltModel& model, const std::vector<BuiltTask>& tasks) {
    namespace fs = std::filesystem;
    fs::create_directories(fs::path(dir) / "samples");
    nlohmann::ordered_json task_json = nlohmann::ordered_json::object();
    for (const auto& t : tasks) {
        double mean = 0;
        for (double v : t.acc) mean += v;
        mean /= static_cast<double>(t.acc.size());
        double ss = 0;
        for (double v : t.acc) ss += (v - mean) * (v - mean);
        const double se = std::sqrt(ss / static_cast<double>(t.acc.size() - 1)) / std::sqrt(static_cast<double>(t.acc.size()));
        task_json[t.name] = {{"version", "1"},
                             {"config_sha256", "cfg-" + t.name},
                             {"fewshot", {{"num_fewshot", t.num_fewshot}}},
                             {"documents", {{"scored", t.acc.size()}}},
                             {"metrics",
                              {{"acc", {{"value", mean}, {"stderr", se}, {"stderr_method", "closed_form"}, {"aggregation", "mean"}, {"higher_is_better", true}}}}},
                             {"compute", {{"flops_per_token", 1.0e6 * model.width}, {"flops_source", "counted"}}},
                             {"samples_file", "samples/" + t.name + ".jsonl"}};
        std::ofstream samples(fs::path(dir) / "samples" / (t.name + ".jsonl"));
        for (size_t d = 0; d < t.acc.size(); ++d)
            samples << nlohmann::json{{"doc_id", t.first_doc + static_cast<int>(d)}, {"doc", {{"text", "document"}}}, {"metrics", {{"acc", t.acc[d]}}}}.dump()
                    << "\n";
    }
    const nlohmann::ordered_json results = {
        {"schema", "flopwise-results"},
        {"schema_version", 1},
        {"flopwise_version", "test"},
        {"created_utc", "2026-01-01T00:00:00Z"},
        {"command", {"flopwise", "run"}},
        {"model",
         {{"backend", "engine"},
          {"spec", "/nonexistent/" + model.name + ".gguf"},
          {"name", model.name},
          {"architecture", "llama"},
          {"flops", "counted"},
          {"parameters", 1000},
          {"details",
           {{"n_layer", model.layers}, {"n_embd", model.width}, {"n_head", model.width / 64}, {"n_head_kv", model.width / 64}, {"head_dim", 64},
            {"n_ff", model.width * 4}, {"n_vocab", model.vocab}, {"tied_embeddings", true}}}}},
        {"settings", {{"seed", 1234}}},
        {"machine", {{"cpu", "test"}}},
        {"build", {{"compiler", "test"}}},
        {"tasks", task_json},
        {"totals", {{"compute", {{"flops_per_token", 1.0e6 * model.width}, {"flops_source", "counted"}}}}}};
    std::ofstream(fs::path(dir) / "results.json") << results.dump(2);
}

// n documents of which the first `right` are scored 1.
inline std::vector<double> scores(int n, int right) {
    std::vector<double> out(static_cast<size_t>(n), 0.0);
    for (int i = 0; i < right; ++i) out[static_cast<size_t>(i)] = 1.0;
    return out;
}

}  // namespace flopwise::test

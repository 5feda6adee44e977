#include "bench_report.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "flopwise/error.hpp"
#include "flopwise/report/leaderboard.hpp"
#include "report_options.hpp"

namespace flopwise::cli {

namespace {

// results.json of a synthetic llama-shaped model, with scores for `tasks` tasks.
nlohmann::json synthetic_results(int model, int tasks, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> score(0.25, 0.9);
    const int layers = 8 + model % 40, width = 512 * (1 + model % 16);
    nlohmann::json task_figures = nlohmann::json::object();
    for (int t = 0; t < tasks; ++t) {
        const double acc = score(rng), acc_norm = score(rng);
        task_figures["task_" + std::to_string(t)] = {
            {"version", "1"},
            {"config_sha256", "0"},
            {"fewshot", {{"num_fewshot", t % 2 ? 0 : 5}}},
            {"documents", {{"scored", 1000}}},
            {"metrics",
             {{"acc", {{"value", acc}, {"stderr", 0.015}, {"stderr_method", "closed_form"}, {"aggregation", "mean"}, {"higher_is_better", true}}},
              {"acc_norm",
               {{"value", acc_norm}, {"stderr", 0.015}, {"stderr_method", "closed_form"}, {"aggregation", "mean"}, {"higher_is_better", true}}}}},
            {"compute", {{"flops_per_token", 1e9}, {"flops_source", "counted"}}},
            {"samples_file", "samples/task_" + std::to_string(t) + ".jsonl"}};
    }
    return {{"schema", "flopwise-results"},
            {"schema_version", 1},
            {"flopwise_version", "bench"},
            {"created_utc", "2026-01-01T00:00:00Z"},
            {"command", {"flopwise", "run"}},
            {"model",
             {{"backend", "engine"},
              {"spec", "/nonexistent/bench-model-" + std::to_string(model) + ".gguf"},
              {"name", "bench model " + std::to_string(model)},
              {"architecture", "llama"},
              {"flops", "counted"},
              {"parameters", int64_t{layers} * 12 * width * width},
              {"details",
               {{"n_layer", layers}, {"n_embd", width}, {"n_head", width / 64}, {"n_head_kv", width / 128}, {"head_dim", 64}, {"n_ff", 4 * width},
                {"n_vocab", 32000}, {"tied_embeddings", false}}}}},
            {"settings", {{"seed", 1234}}},
            {"machine", {{"cpu", "bench"}}},
            {"build", {{"compiler", "bench"}}},
            {"tasks", task_figures},
            {"totals", {{"compute", {{"flops_per_token", 1e9}, {"flops_source", "counted"}}}}}};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int bench_report(Args& args) {
    const int models = static_cast<int>(args.integer("models", 100, 1, 100000));
    const int tasks = static_cast<int>(args.integer("tasks", 20, 1, 10000));
    const int repetitions = static_cast<int>(args.integer("repetitions", 5, 1, 1000));
    const auto keep = args.value("output");
    args.finish();

    const auto dir = std::filesystem::temp_directory_path() / ("flopwise-bench-report-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::vector<std::string> run_dirs;
    std::mt19937_64 rng(1234);
    for (int m = 0; m < models; ++m) {
        const auto run = dir / ("run" + std::to_string(m));
        std::filesystem::create_directories(run);
        write_text_file((run / "results.json").string(), synthetic_results(m, tasks, rng).dump(2));
        run_dirs.push_back(run.string());
    }
    std::vector<double> load_s, build_s, render_s, total_s;
    size_t html_bytes = 0;
    for (int rep = 0; rep < repetitions; ++rep) {
        const auto start = std::chrono::steady_clock::now();
        const auto entries = report::gather_entries(run_dirs, {}, 2048);
        load_s.push_back(seconds_since(start));
        auto t = std::chrono::steady_clock::now();
        report::LeaderboardOptions options;
        options.baseline = entries.front().label;
        const auto board = report::build_leaderboard(entries, options);
        build_s.push_back(seconds_since(t));
        t = std::chrono::steady_clock::now();
        const std::string html = report::render_html(board);
        const std::string markdown = report::render_markdown(board);
        const std::string json = report::render_json(board).dump(2);
        render_s.push_back(seconds_since(t));
        total_s.push_back(seconds_since(start));
        html_bytes = html.size();
        if (keep && rep == 0) write_text_file(*keep, html);
    }
    std::filesystem::remove_all(dir);
    const auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    std::printf("report over %d models x %d tasks (median of %d): load %.3f s, leaderboard %.3f s, render HTML+Markdown+JSON %.3f s, total %.3f s "
                "(goal < 1 s: %s); HTML %zu bytes\n",
                models, tasks, repetitions, median(load_s), median(build_s), median(render_s), median(total_s),
                median(total_s) < 1.0 ? "met" : "missed", html_bytes);
    return 0;
}

}  // namespace flopwise::cli

#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <regex>
#include <string>

#include "calibration.hpp"
#include "flopwise/error.hpp"
#include "flopwise/kernels/bench.hpp"
#include "flopwise/kernels/cuda/device.hpp"
#include "harness.hpp"

namespace flopwise::kernels::bench {
namespace {

// The ceilings measured so far in this run (best rate seen), for the kernels' roofline fractions:
// the CPU's, and the GPU's for the cases that run there.
struct Ceiling {
    double gflops = 0.0;
    double gbytes = 0.0;
};
struct Ceilings {
    Ceiling cpu, gpu;
};

// The inputs of the case being measured, kept across its repetitions and Google Benchmark's
// iteration-count trials, dropped when the next case starts.
struct Prepared {
    const Case* owner = nullptr;
    std::function<void()> call;
};

struct Measurement {
    const Case* c;
    Isa isa;
    double slowdown;  // fraction of iterations with an extra call (test knob)
    Prepared* prepared;
    Ceilings* ceilings;
};

void measure(benchmark::State& state, const Measurement& m) {
    const Case& c = *m.c;
    if (m.prepared->owner != &c) {
        m.prepared->call = nullptr;  // frees the previous case's buffers first
        m.prepared->call = c.prepare(m.isa);
        m.prepared->owner = &c;
        m.prepared->call();  // warm-up: caches, lazy initialisation, page faults
    }
    const std::function<void()>& call = m.prepared->call;
    const auto timed_call = [&](int64_t iteration) {
        call();
        if (m.slowdown > 0.0 && extra_call(iteration, m.slowdown)) call();
    };
    double seconds = 0.0;
    int64_t iteration = 0;
    if (c.on_device) {
        for (auto _ : state) {
            const double elapsed = kernels::cuda::time_on_device([&] { timed_call(iteration); }, true);
            state.SetIterationTime(elapsed);
            seconds += elapsed;
            ++iteration;
        }
    } else {
        const auto start = std::chrono::steady_clock::now();
        for (auto _ : state) timed_call(iteration++);
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    const double calls = static_cast<double>(state.iterations());
    Ceiling& ceiling = c.on_device ? m.ceilings->gpu : m.ceilings->cpu;
    if (seconds > 0.0 && (c.name == kFmaPeakName || c.name == kCudaFmaPeakName))
        ceiling.gflops = std::max(ceiling.gflops, c.flops * calls / seconds * 1e-9);
    if (seconds > 0.0 && (c.name == kBandwidthName || c.name == kCudaBandwidthName))
        ceiling.gbytes = std::max(ceiling.gbytes, c.bytes * calls / seconds * 1e-9);

    if (seconds <= 0.0) return;
    // Rates from the same clock readings as the loop's: plain values, so that the console shows
    // them as they are (Google Benchmark's rate counters would append another "/s").
    const double gflops = c.flops * calls / seconds * 1e-9, gbytes = c.bytes * calls / seconds * 1e-9;
    if (c.flops > 0.0) state.counters["GFLOP/s"] = gflops;
    if (c.bytes > 0.0) state.counters["GB/s"] = gbytes;
    if (c.flops > 0.0 && c.bytes > 0.0) state.counters["intensity"] = c.flops / c.bytes;
    // Roofline: the attainable rate at this arithmetic intensity is min(peak, intensity * bandwidth).
    if (c.flops > 0.0 && ceiling.gflops > 0.0 && ceiling.gbytes > 0.0) {
        const double attainable = c.bytes > 0.0 ? std::min(ceiling.gflops, c.flops / c.bytes * ceiling.gbytes) : ceiling.gflops;
        state.counters["roofline"] = gflops / attainable;
    }
}

std::regex compile_filter(const std::string& filter) {
    try {
        return std::regex(filter, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        throw Error("--filter '" + filter + "': not a regular expression (" + e.what() + ")");
    }
}

}  // namespace

std::vector<Case> select_cases(const Options& options) {
    const std::regex filter = compile_filter(options.filter);
    std::vector<Case> selected;
    for (Case& c : all_cases(options.gpu)) {
        if (c.large && !options.large) continue;
        if (!options.filter.empty() && !std::regex_search(c.name, filter)) continue;
        selected.push_back(std::move(c));
    }
    if (selected.empty())
        throw Error("--filter '" + options.filter + "' selects no benchmark" +
                    (options.large ? std::string() : std::string(" (large shapes need --large)")) +
                    "; list them with 'flopwise bench kernels --list'");
    return selected;
}

int run_timed(const Options& options) {
    if (options.repetitions < 1) throw Error("--repetitions must be at least 1");
    std::optional<tbb::global_control> thread_limit;
    if (options.threads > 0)
        thread_limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(options.threads));
    const Slowdown slowdown = slowdown_from_environment();

    static std::vector<Case> cases;  // Google Benchmark keeps pointers to the registrations
    std::vector<Case> selected = select_cases(options);
    const bool gpu = std::any_of(selected.begin(), selected.end(), [](const Case& c) { return c.on_device; });
    cases = calibration_cases(gpu);
    for (Case& c : selected) cases.push_back(std::move(c));
    static Prepared prepared;
    static Ceilings ceilings;
    for (const Case& c : cases) {
        const Measurement m{&c, options.isa, slowdown_for(slowdown, c.name), &prepared, &ceilings};
        auto* registered = benchmark::RegisterBenchmark(c.name.c_str(), [m](benchmark::State& state) { measure(state, m); });
        registered->Unit(benchmark::kMicrosecond);
        if (c.on_device) registered->UseManualTime();
        else registered->UseRealTime();
    }

    // Repetitions and minimum time as global flags, not per registration: Google Benchmark would
    // otherwise write them into every name, and names must match across runs for the gate.
    std::vector<std::string> flags = {"flopwise", "--benchmark_display_aggregates_only=true",
                                      "--benchmark_repetitions=" + std::to_string(options.repetitions),
                                      "--benchmark_min_time=" + std::to_string(options.min_time)};
    if (!options.json_path.empty()) {
        flags.push_back("--benchmark_out=" + options.json_path);
        flags.push_back("--benchmark_out_format=json");
    }
    std::vector<char*> argv;
    for (auto& f : flags) argv.push_back(f.data());
    int argc = static_cast<int>(argv.size());
    benchmark::Initialize(&argc, argv.data());
    for (const auto& [key, value] : run_context("time", options)) benchmark::AddCustomContext(key, value);
    if (slowdown.fraction > 0.0)
        benchmark::AddCustomContext("flopwise_injected_slowdown", slowdown.pattern + "=" + std::to_string(slowdown.fraction));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    prepared = {};
    return static_cast<int>(cases.size());
}

}  // namespace flopwise::kernels::bench

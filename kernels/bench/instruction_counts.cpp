#include <tbb/global_control.h>
#include <tbb/task_arena.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "flopwise/error.hpp"
#include "flopwise/kernels/bench.hpp"
#include "flopwise/process.hpp"
#include "harness.hpp"

// Instruction counts: each case's calls are bracketed by callgrind client requests (zero the
// counters, run, dump them under the case's name), in a child process started under valgrind with
// instrumentation off until the first bracket, so that the set-up runs at near native speed. One
// thread in an arena of one slot: no count includes a worker's spinning, and the kernels' work
// division (which follows the arena's concurrency) is the same on a 2-core runner and a 64-core
// server. Valgrind presents the same emulated CPU on every host, so the counts depend on the
// build and the path, not on the machine.
namespace flopwise::kernels::bench {
namespace {

namespace fs = std::filesystem;

// "Client Request: NAME" dump triggers and their instruction totals, from callgrind's output files.
std::map<std::string, double> read_dumps(const fs::path& dir, const std::string& prefix) {
    std::map<std::string, double> totals;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().filename().string().rfind(prefix, 0) != 0) continue;
        std::ifstream file(entry.path());
        std::string line, trigger;
        std::optional<double> total;
        while (std::getline(file, line)) {
            constexpr std::string_view kTrigger = "desc: Trigger: Client Request: ";
            if (line.rfind(kTrigger, 0) == 0) trigger = line.substr(kTrigger.size());
            if (line.rfind("summary: ", 0) == 0 || line.rfind("totals: ", 0) == 0)
                total = std::stod(line.substr(line.find(' ') + 1));
        }
        if (!trigger.empty() && total) totals[trigger] = *total;
    }
    return totals;
}

std::string valgrind_version() {
    const fs::path out = fs::temp_directory_path() / ("flopwise-valgrind-version-" + std::to_string(getpid()));
    int rc = 127;
    try {
        rc = run_process({"valgrind", "--version"}, {}, out.string());
    } catch (const Error&) {
        // not installed: reported below with what to do
    }
    std::ifstream file(out);
    std::string version;
    std::getline(file, version);
    fs::remove(out);
    if (rc != 0) throw Error("valgrind is not available: the instruction-count mode runs under valgrind (apt install valgrind)");
    return version;
}

// valgrind runs CPU code only: the GPU cases are never counted.
std::vector<Case> cpu_cases(Options options) {
    options.gpu = false;
    return select_cases(options);
}

void count_cases(const Options& options, int calls_per_case) {
    const Slowdown slowdown = slowdown_from_environment();
    for (const Case& c : cpu_cases(options)) {
        const std::function<void()> call = c.prepare(options.isa);
        call();  // warm-up outside the count: lazy initialisation, first-touch allocations
        const double extra = slowdown_for(slowdown, c.name);
        CALLGRIND_START_INSTRUMENTATION;
        CALLGRIND_ZERO_STATS;
        for (int64_t i = 0; i < calls_per_case; ++i) {
            call();
            if (extra > 0.0 && extra_call(i, extra)) call();
        }
        CALLGRIND_DUMP_STATS_AT(c.name.c_str());
        CALLGRIND_STOP_INSTRUMENTATION;
    }
}

}  // namespace

void count_instructions_child(const Options& options, int calls_per_case) {
    tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
    tbb::task_arena one_slot(1);
    one_slot.execute([&] { count_cases(options, calls_per_case); });
}

void count_instructions(const Options& options, int calls_per_case, const std::vector<Isa>& isas) {
    if (calls_per_case < 1) throw Error("--calls must be at least 1");
    const std::vector<Case> cases = cpu_cases(options);  // reports a bad filter before valgrind starts
    const std::string valgrind = valgrind_version();
    const fs::path dir = fs::temp_directory_path() / ("flopwise-callgrind-" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);

    nlohmann::json out;
    nlohmann::json context = nlohmann::json::object();
    for (const auto& [key, value] : run_context("instructions", options)) context[key] = value;
    std::string isa_list;
    for (Isa isa : isas) {
        if (isa == Isa::avx512) throw Error("instruction counts run under valgrind, which cannot execute AVX-512");
        if (!isa_list.empty()) isa_list += ",";
        isa_list += name(isa);
    }
    context["flopwise_isa"] = isa_list;
    context["flopwise_threads"] = "1";
    context["flopwise_calls_per_case"] = std::to_string(calls_per_case);
    context["flopwise_valgrind"] = valgrind;
    if (const char* knob = std::getenv("FLOPWISE_BENCH_SLOWDOWN"); knob != nullptr && *knob != '\0')
        context["flopwise_injected_slowdown"] = knob;
    out["context"] = context;
    out["benchmarks"] = nlohmann::json::array();

    std::printf("%-70s %16s\n", "Benchmark (instructions per call, under callgrind)", "Instructions");
    for (const Isa isa : isas) {
        const std::string isa_name(name(isa));
        // valgrind emulates AVX2 (not AVX-512) on any x86-64 host that has it; without AVX2 the
        // child fails with a clear error from the kernels' dispatch.
        std::vector<std::string> argv = {"valgrind",
                                         "--tool=callgrind",
                                         "-q",
                                         "--instr-atstart=no",
                                         "--callgrind-out-file=" + (dir / ("cg." + isa_name)).string(),
                                         current_executable(),
                                         "bench",
                                         "kernels",
                                         "--instructions-child",
                                         "--calls",
                                         std::to_string(calls_per_case),
                                         "--isa",
                                         isa_name};
        if (!options.filter.empty()) argv.insert(argv.end(), {"--filter", options.filter});
        if (options.large) argv.push_back("--large");
        const int rc = run_process(argv, {{"FLOPWISE_ISA", isa_name}}, (dir / ("child." + isa_name)).string());
        if (rc != 0) throw Error("the instruction count of the " + isa_name + " path under valgrind exited with " +
                                 std::to_string(rc));
        const std::map<std::string, double> totals = read_dumps(dir, "cg." + isa_name);
        for (const Case& c : cases) {
            const auto found = totals.find(c.name);
            if (found == totals.end())
                throw Error("callgrind wrote no count for " + c.name + " on the " + isa_name + " path (in " +
                            dir.string() + ")");
            const double per_call = found->second / calls_per_case;
            const std::string entry_name = c.name + "/isa:" + isa_name;
            out["benchmarks"].push_back({{"name", entry_name},
                                         {"run_name", entry_name},
                                         {"run_type", "iteration"},
                                         {"repetitions", 1},
                                         {"repetition_index", 0},
                                         {"threads", 1},
                                         {"iterations", calls_per_case},
                                         {"instructions", per_call}});
            std::printf("%-70s %16.0f\n", entry_name.c_str(), per_call);
        }
    }
    fs::remove_all(dir);
    if (!options.json_path.empty()) {
        std::ofstream file(options.json_path);
        if (!file) throw Error(options.json_path + ": cannot open for writing");
        file << out.dump(2) << "\n";
        if (!file) throw Error(options.json_path + ": write failed");
    }
}

}  // namespace flopwise::kernels::bench

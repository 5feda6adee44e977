#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "flopwise/kernels/isa.hpp"

namespace flopwise::kernels::bench {

// One benchmark: one kernel at one shape of a real model.
struct Case {
    std::string name;    // family/variant/model.tensor/phase, e.g. "matmul/Q4_K/llama3.2-1b.ffn_up/decode"
    bool large = false;  // only with Options::large: shapes whose runs take long
    double flops = 0.0;  // per call (nominal for element-wise kernels: one per add or multiply of the formula)
    double bytes = 0.0;  // per call: compulsory memory traffic, every input read and output written once
    // Allocates and fills the inputs (not measured) and returns the call to measure, on `isa`.
    std::function<std::function<void()>(Isa isa)> prepare;
    // A GPU kernel (kernels/cuda): each call is timed with device events after the L2 cache has
    // been flushed, and its roofline is the GPU's, from the GPU calibration kernels.
    bool on_device = false;
};

// Every case, in the order kernels/bench/registry.cpp lists the kernel families; the GPU ones only
// when `gpu` is set and a GPU is usable.
std::vector<Case> all_cases(bool gpu);

struct Options {
    std::string filter;       // ECMAScript regular expression searched in case names; empty selects all
    bool large = false;       // include the large shapes
    int repetitions = 5;      // independent measurements of each case (what the gate compares)
    double min_time = 0.05;   // seconds each repetition runs at least
    Isa isa = Isa::scalar;    // path the kernels take (the CLI's default is active_isa())
    int threads = 0;          // 0: every core
    std::string json_path;    // Google Benchmark JSON output; empty for none
    bool gpu = true;          // also the GPU kernels' cases, when a GPU is usable
};

std::vector<Case> select_cases(const Options& options);

// Measures the calibration kernels (roofline ceilings) and then the selected cases with Google
// Benchmark: a console table, and its JSON format plus our counters and context when json_path is
// set. Returns the number of cases measured.
int run_timed(const Options& options);

// Instruction counts of the selected cases on the given paths (scalar and AVX2 by default), each counted under
// `valgrind --tool=callgrind` in a child process with one thread: deterministic and independent of
// the machine's load. Writes Google Benchmark-style JSON with an "instructions" field per case.
void count_instructions(const Options& options, int calls_per_case, const std::vector<Isa>& isas);
// The child side: runs inside callgrind, brackets each case's calls with client requests.
void count_instructions_child(const Options& options, int calls_per_case);

// Test knob of the gate's own validation (never set in production runs): FLOPWISE_BENCH_SLOWDOWN=
// "REGEX=FRACTION" makes the harness call every case whose name matches REGEX an extra time on
// that fraction of its iterations, a slowdown injected without touching any kernel.
struct Slowdown {
    std::string pattern;
    double fraction = 0.0;
};
Slowdown slowdown_from_environment();

}  // namespace flopwise::kernels::bench

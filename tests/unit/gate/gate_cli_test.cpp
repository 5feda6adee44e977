// The gate and the kernel benchmarks through the flopwise binary: exit codes, the CI gate against
// the committed instruction-count baseline, and the detection of an injected slowdown.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_env.hpp"

namespace {

using flopwise::test::expect_bad_input;
using nlohmann::json;

using CommandResult = flopwise::test::CommandOutcome;

CommandResult run(const std::string& command) { return flopwise::test::run_command_status(command); }

std::string flopwise_binary() { return flopwise::test::binary_path("flopwise"); }

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::string write_timing(const std::string& dir, const std::string& name, const std::vector<double>& times) {
    json doc = {{"benchmarks", json::array()}};
    for (double t : times)
        doc["benchmarks"].push_back({{"name", "k"}, {"run_type", "iteration"}, {"real_time", t}, {"time_unit", "ns"}});
    const std::string path = dir + "/" + name;
    std::ofstream(path) << doc.dump();
    return path;
}

TEST(GateCli, ExitCodes) {
    const std::string dir = flopwise::test::temp_dir("gate-exit");
    const std::string base = write_timing(dir, "base.json", {100, 101, 99, 100.5, 99.5, 100.2});
    const std::string same = write_timing(dir, "same.json", {100.1, 99.8, 100.4, 99.6, 100.3, 100});
    const std::string slow = write_timing(dir, "slow.json", {120, 121, 119, 120.5, 119.5, 120.2});
    const std::string wild = write_timing(dir, "wild.json", {60, 150, 90, 130, 70, 110});
    const std::string gate = flopwise_binary() + " gate --baseline " + base + " --current ";
    EXPECT_EQ(run(gate + same).exit_code, 0);
    const CommandResult regressed = run(gate + slow + " --markdown " + dir + "/gate.md");
    EXPECT_EQ(regressed.exit_code, 1) << regressed.output;
    std::ifstream md(dir + "/gate.md");
    std::stringstream table;
    table << md.rdbuf();
    EXPECT_NE(table.str().find("**regressed**"), std::string::npos);
    EXPECT_EQ(run(gate + wild).exit_code, 3);
    const std::string against_baseline = "gate --baseline " + base;
    expect_bad_input(against_baseline + " --current " + dir + "/absent.json", "absent.json");
    expect_bad_input(against_baseline + " --current " + same + " --threshold lots", "--threshold");
    expect_bad_input(against_baseline, "missing required flag --current");
}

// A/B mode end to end: two rounds of the same binary (too few rounds for a 95% interval, so the
// verdict must be noisy, exit 3, never a pass), with every round's files kept.
TEST(GateCli, AbModeRunsBothBinariesEachRound) {
    const std::string dir = flopwise::test::temp_dir("gate-ab");
    const std::string binary = flopwise_binary();
    const CommandResult r = run(binary + " gate --ab " + binary + " " + binary + " --rounds 2 --seed 1 --filter " +
                                quoted("^rms_norm/f32/llama3.2-1b") + " --min-time 0.001 --work-dir " + dir);
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_NE(r.output.find("mode A/B"), std::string::npos) << r.output;
    for (const char* file : {"/round1-old.json", "/round1-new.json", "/round2-old.json", "/round2-new.json"})
        EXPECT_TRUE(std::ifstream(dir + file).good()) << file;
    expect_bad_input("gate --ab " + binary + " " + dir + "/no-such-binary --rounds 2", "no-such-binary does not exist");
    expect_bad_input("gate --ab " + binary, "flag --ab needs 2 values");
}

TEST(BenchKernels, TimedRunWritesGoogleBenchmarkJsonWithRooflineFields) {
    const std::string dir = flopwise::test::temp_dir("bench-kernels");
    const CommandResult r = run(flopwise_binary() + " bench kernels --filter " + quoted("^rms_norm/f32/llama3.2-1b") +
                      " --repetitions 2 --min-time 0.001 --json " + dir + "/k.json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json doc = json::parse(std::ifstream(dir + "/k.json"));
    EXPECT_EQ(doc["context"]["flopwise_metric"], "time");
    EXPECT_TRUE(doc["context"].contains("flopwise_compiler"));
    std::map<std::string, int> repetitions;
    for (const auto& e : doc["benchmarks"]) {
        if (e["run_type"] != "iteration") continue;
        const std::string name = e["name"];
        ++repetitions[name];
        if (name.rfind("calibration/fma_peak", 0) == 0) {
            EXPECT_GT(e["GFLOP/s"].get<double>(), 0.0);
        }
        if (name.rfind("calibration/memory_bandwidth", 0) == 0) {
            EXPECT_GT(e["GB/s"].get<double>(), 0.0);
        }
        if (name.rfind("rms_norm", 0) == 0) {
            for (const char* field : {"GFLOP/s", "GB/s", "intensity", "roofline"})
                EXPECT_GT(e[field].get<double>(), 0.0) << field;
        }
    }
    ASSERT_EQ(repetitions.size(), 3u);  // two calibration kernels and the selected kernel
    for (const auto& [name, n] : repetitions) EXPECT_EQ(n, 2) << name;
}

TEST(BenchKernels, BadFlagsAreErrors) {
    expect_bad_input("bench kernels --filter '(' --list", "--filter");
    expect_bad_input("bench kernels --filter no-such-kernel --list", "selects no benchmark");
    expect_bad_input("bench kernels --isa sse9 --list", "--isa sse9: not a path this CPU runs");
    expect_bad_input("bench kernels --filter rms_norm/f32/llama3.2 --repetitions 1 --min-time 0.001", "FLOPWISE_BENCH_SLOWDOWN",
                     {"FLOPWISE_BENCH_SLOWDOWN=rms_norm"});
}

// The project's CI gate: instruction counts of the CI kernel set (the baseline's own filter) on the
// scalar and AVX2 paths under callgrind, against the committed baseline of this compiler.
TEST(GateCi, KernelInstructionCountsMatchTheCommittedBaseline) {
    std::ifstream in(FLOPWISE_GATE_BASELINE);
    ASSERT_TRUE(in) << FLOPWISE_GATE_BASELINE << " is missing: generate it with tools/gate_baseline.sh and commit it";
    const json baseline = json::parse(in);
    const std::string filter = baseline["context"]["flopwise_filter"];
    const std::string calls = baseline["context"]["flopwise_calls_per_case"];
    const std::string dir = flopwise::test::temp_dir("gate-ci");
    const CommandResult count = run(flopwise_binary() + " bench kernels --instructions --calls " + calls + " --filter " +
                          quoted(filter) + " --json " + dir + "/current.json");
    ASSERT_EQ(count.exit_code, 0) << count.output;
    const CommandResult gate = run(flopwise_binary() + " gate --baseline " + FLOPWISE_GATE_BASELINE + " --current " + dir +
                         "/current.json --threshold 3% --markdown " + dir + "/gate.md");
    EXPECT_EQ(gate.exit_code, 0) << gate.output;
}

// An extra kernel call on 10% of the calls of one kernel (the harness's test knob) is a 10%
// slowdown of that kernel; the gate must flag it and nothing else.
TEST(GateCi, InjectedTenPercentSlowdownIsCaught) {
    const std::string dir = flopwise::test::temp_dir("gate-slowdown");
    const std::string count = flopwise_binary() + " bench kernels --instructions --isa avx2 --calls 10 --filter " +
                              quoted("matmul/Q4_K/gemma3-270m.ffn_down/decode|rms_norm") + " --json ";
    const CommandResult clean = run(count + dir + "/clean.json");
    ASSERT_EQ(clean.exit_code, 0) << clean.output;
    const CommandResult slowed = run("FLOPWISE_BENCH_SLOWDOWN='matmul/Q4_K=0.1' " + count + dir + "/slowed.json");
    ASSERT_EQ(slowed.exit_code, 0) << slowed.output;
    const CommandResult gate = run(flopwise_binary() + " gate --baseline " + dir + "/clean.json --current " + dir +
                         "/slowed.json --threshold 3%");
    EXPECT_EQ(gate.exit_code, 1) << gate.output;
    EXPECT_NE(gate.output.find("1 regressed, 0 noisy, 0 improved, 1 unchanged"), std::string::npos) << gate.output;
    EXPECT_NE(gate.output.find("+10.0%"), std::string::npos) << gate.output;
}

}  // namespace

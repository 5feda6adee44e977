#include "flopwise/gate/gate.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "flopwise/error.hpp"

namespace flopwise::gate {
namespace {

using nlohmann::json;

// A Google Benchmark-style document: per benchmark, its repetitions' real times (us).
json timing_file(const std::vector<std::pair<std::string, std::vector<double>>>& benchmarks) {
    json doc = {{"context", {{"flopwise_metric", "time"}}}, {"benchmarks", json::array()}};
    for (const auto& [name, times] : benchmarks) {
        for (size_t i = 0; i < times.size(); ++i)
            doc["benchmarks"].push_back({{"name", name}, {"run_type", "iteration"}, {"repetition_index", i},
                                         {"real_time", times[i]}, {"cpu_time", times[i]}, {"time_unit", "us"},
                                         {"iterations", 10}});
        doc["benchmarks"].push_back({{"name", name + "_median"}, {"run_type", "aggregate"}, {"real_time", 1.0},
                                     {"time_unit", "us"}});
    }
    return doc;
}

json instruction_file(const std::vector<std::pair<std::string, double>>& counts, const std::string& compiler = "GNU 12.2.0") {
    json doc = {{"context", {{"flopwise_metric", "instructions"}, {"flopwise_compiler", compiler}, {"flopwise_build_flags", "-O3"}}},
                {"benchmarks", json::array()}};
    for (const auto& [name, count] : counts)
        doc["benchmarks"].push_back({{"name", name}, {"run_type", "iteration"}, {"instructions", count}});
    return doc;
}

std::vector<double> noisy_times(double center, double spread, uint32_t seed, size_t n = 10) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> dist(1.0 - spread, 1.0 + spread);
    std::vector<double> out;
    for (size_t i = 0; i < n; ++i) out.push_back(center * dist(rng));
    return out;
}

GateReport compare(const json& baseline, const json& current, GateOptions options = {}) {
    return compare_files(parse_results(baseline, "baseline.json"), parse_results(current, "current.json"), options);
}

TEST(Decide, VerdictTable) {
    const double t = 0.05;
    EXPECT_EQ(decide(1.10, 1.07, 1.13, true, t), Verdict::regressed);
    EXPECT_EQ(decide(1.10, 0.90, 1.30, false, t), Verdict::noisy);       // large but not significant
    EXPECT_EQ(decide(1.03, 1.01, 1.04, true, t), Verdict::unchanged);    // significant, below the threshold
    EXPECT_EQ(decide(1.03, 1.01, 1.07, true, t), Verdict::noisy);        // might exceed the threshold
    EXPECT_EQ(decide(0.90, 0.87, 0.93, true, t), Verdict::improved);
    EXPECT_EQ(decide(1.00, 0.98, 1.02, false, t), Verdict::unchanged);
    EXPECT_EQ(decide(1.00, -INFINITY, INFINITY, false, t), Verdict::noisy);  // too few samples
}

TEST(CompareFiles, TimingVerdicts) {
    const json baseline = timing_file({{"fast", noisy_times(100, 0.01, 1)},
                                       {"slowed", noisy_times(100, 0.01, 2)},
                                       {"sped_up", noisy_times(100, 0.01, 3)},
                                       {"jittery", noisy_times(100, 0.4, 4)},
                                       {"calibration/fma_peak", noisy_times(100, 0.01, 9)}});
    const json current = timing_file({{"fast", noisy_times(100, 0.01, 5)},
                                      {"slowed", noisy_times(110, 0.01, 6)},
                                      {"sped_up", noisy_times(80, 0.01, 7)},
                                      {"jittery", noisy_times(100, 0.4, 8)},
                                      {"calibration/fma_peak", noisy_times(150, 0.01, 10)},
                                      {"added", noisy_times(1, 0.01, 11)}});
    const GateReport report = compare(baseline, current);
    ASSERT_EQ(report.rows.size(), 4u);  // calibration kernels measure the machine and are not judged
    EXPECT_EQ(report.rows[0].verdict, Verdict::unchanged);
    EXPECT_EQ(report.rows[1].verdict, Verdict::regressed);
    EXPECT_NEAR(report.rows[1].ratio, 1.10, 0.02);
    EXPECT_LT(report.rows[1].p_value, 0.001);
    EXPECT_EQ(report.rows[2].verdict, Verdict::improved);
    EXPECT_EQ(report.rows[3].verdict, Verdict::noisy);
    EXPECT_EQ(report.only_in_current, std::vector<std::string>{"added"});
    EXPECT_EQ(exit_code(report), 1);
    const std::string table = markdown(report);
    EXPECT_NE(table.find("Kernel gate: FAIL"), std::string::npos);
    EXPECT_LT(table.find("| slowed"), table.find("| jittery"));  // regressions first, then noisy
    EXPECT_NE(table.find("**regressed**"), std::string::npos);
}

TEST(CompareFiles, ExitCodesForNoisyAndClean) {
    const json clean = timing_file({{"a", noisy_times(100, 0.01, 1)}});
    EXPECT_EQ(exit_code(compare(clean, timing_file({{"a", noisy_times(100, 0.01, 2)}}))), 0);
    EXPECT_EQ(exit_code(compare(timing_file({{"a", noisy_times(100, 0.5, 1)}}),
                                timing_file({{"a", noisy_times(100, 0.5, 2)}}))), 3);
    // One repetition each: nothing can be decided, and the gate says so instead of passing.
    EXPECT_EQ(compare(timing_file({{"a", {100}}}), timing_file({{"a", {100}}})).rows[0].verdict, Verdict::noisy);
}

TEST(CompareFiles, NormalizedModeCancelsAMachineSlowdown) {
    // The current machine is 30% slower at everything, calibration included.
    const auto file = [](double factor, uint32_t seed) {
        json doc = timing_file({{"calibration/fma_peak", noisy_times(1000 * factor, 0.01, seed)},
                                {"calibration/memory_bandwidth", noisy_times(5000 * factor, 0.01, seed + 1)},
                                {"compute", noisy_times(100 * factor, 0.01, seed + 2)},
                                {"memory", noisy_times(200 * factor, 0.01, seed + 3)}});
        for (auto& e : doc["benchmarks"]) {
            const std::string name = e["name"];
            if (name == "calibration/fma_peak") e["GFLOP/s"] = 100.0;
            if (name == "calibration/memory_bandwidth") e["GB/s"] = 10.0;
            if (name == "compute") e["intensity"] = 50.0;  // above the ridge (10 FLOP/byte)
            if (name == "memory") e["intensity"] = 1.0;
        }
        return doc;
    };
    EXPECT_EQ(compare(file(1.0, 1), file(1.3, 20)).count(Verdict::regressed), 2u);
    GateOptions normalized;
    normalized.normalize = true;
    const GateReport report = compare(file(1.0, 1), file(1.3, 20), normalized);
    EXPECT_EQ(report.mode, "normalized");
    EXPECT_EQ(report.count(Verdict::unchanged), 2u);
    EXPECT_THROW(compare(timing_file({{"a", {1, 2}}}), timing_file({{"a", {1, 2}}}), normalized), Error);
}

TEST(CompareFiles, InstructionCounts) {
    const json baseline = instruction_file({{"k/isa:scalar", 1000000}, {"k/isa:avx2", 100000}, {"j/isa:avx2", 5000}});
    const GateReport same = compare(baseline, baseline);
    EXPECT_EQ(same.mode, "instructions");
    EXPECT_EQ(same.count(Verdict::unchanged), 3u);
    const GateReport slowed =
        compare(baseline, instruction_file({{"k/isa:scalar", 1100000}, {"k/isa:avx2", 102000}, {"j/isa:avx2", 4000}}));
    EXPECT_EQ(slowed.rows[0].verdict, Verdict::regressed);
    EXPECT_EQ(slowed.rows[1].verdict, Verdict::unchanged);  // +2% is within the 5% threshold
    EXPECT_EQ(slowed.rows[2].verdict, Verdict::improved);
    // Counts from another compiler are not comparable.
    EXPECT_THROW(compare(baseline, instruction_file({{"k/isa:scalar", 1}}, "Clang 16.0.0")), Error);
}

TEST(CompareFiles, BadInputsAreErrors) {
    const json t = timing_file({{"a", {1, 2, 3}}, {"b", {1, 2, 3}}});
    EXPECT_THROW(compare(t, timing_file({{"a", {1, 2, 3}}})), Error);  // b is missing
    GateOptions only_a;
    only_a.filter = "^a$";
    EXPECT_EQ(compare(t, timing_file({{"a", {1, 2, 3}}}), only_a).rows.size(), 1u);
    EXPECT_THROW(compare(t, instruction_file({{"a", 1}})), Error);  // different metrics
    EXPECT_THROW(compare(t, timing_file({{"c", {1, 2, 3}}}), only_a), Error);
    EXPECT_THROW(parse_results(json::array(), "x.json"), Error);
    EXPECT_THROW(parse_results(json{{"benchmarks", json::array()}}, "x.json"), Error);
    EXPECT_THROW(parse_results(json{{"benchmarks", {{{"name", "a"}, {"real_time", 1.0}, {"time_unit", "fortnights"}}}}}, "x.json"), Error);
    EXPECT_THROW(parse_results(json{{"benchmarks", {{{"name", "a"}, {"time_unit", "ns"}}}}}, "x.json"), Error);
    EXPECT_THROW(load_results("/nonexistent/results.json"), Error);
}

TEST(ResultsFileTest, ReadsRealOrCpuTimeInNanoseconds) {
    const json doc = {{"benchmarks",
                       {{{"name", "a"}, {"real_time", 2.0}, {"cpu_time", 1.5}, {"time_unit", "ms"}, {"GFLOP/s", 3.0}},
                        {{"name", "a_mean"}, {"run_type", "aggregate"}, {"real_time", 9.0}, {"time_unit", "ms"}},
                        {{"name", "b"}, {"error_occurred", true}, {"real_time", 0.0}, {"time_unit", "ns"}}}}};
    const ResultsFile real = parse_results(doc, "r.json");
    EXPECT_EQ(real.metric, "time");  // a plain Google Benchmark file
    ASSERT_EQ(real.benchmarks.size(), 1u);
    EXPECT_EQ(real.benchmarks[0].values, std::vector<double>{2e6});
    EXPECT_EQ(real.benchmarks[0].counters.at("GFLOP/s"), 3.0);
    EXPECT_EQ(parse_results(doc, "r.json", TimeField::cpu).benchmarks[0].values, std::vector<double>{1.5e6});
}

TEST(CompareRounds, MedianRatioInterval) {
    std::vector<ResultsFile> old_rounds, new_rounds;
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> machine(0.7, 1.5);  // the machine's speed drifts from round to round
    for (int round = 0; round < 10; ++round) {
        const double speed = machine(rng);
        old_rounds.push_back(parse_results(timing_file({{"same", {100 * speed}}, {"slower", {100 * speed}}}), "old"));
        new_rounds.push_back(
            parse_results(timing_file({{"same", {100 * speed * (1 + 0.005 * (round % 3 - 1))}}, {"slower", {110 * speed}}}), "new"));
    }
    const GateReport report = compare_rounds(old_rounds, new_rounds, {});
    EXPECT_EQ(report.mode, "A/B");
    EXPECT_EQ(report.rows[0].verdict, Verdict::unchanged);
    EXPECT_EQ(report.rows[1].verdict, Verdict::regressed);
    EXPECT_NEAR(report.rows[1].ratio, 1.10, 1e-9);
    // Five rounds cannot give a 95% interval of the median: undecided, never a silent pass.
    old_rounds.resize(5);
    new_rounds.resize(5);
    EXPECT_EQ(compare_rounds(old_rounds, new_rounds, {}).rows[0].verdict, Verdict::noisy);
}

TEST(ParseFraction, PercentOrFraction) {
    EXPECT_DOUBLE_EQ(parse_fraction("5%", "--threshold"), 0.05);
    EXPECT_DOUBLE_EQ(parse_fraction("0.02", "--threshold"), 0.02);
    EXPECT_THROW(parse_fraction("five", "--threshold"), Error);
    EXPECT_THROW(parse_fraction("150%", "--threshold"), Error);
    EXPECT_THROW(parse_fraction("", "--threshold"), Error);
}

}  // namespace
}  // namespace flopwise::gate

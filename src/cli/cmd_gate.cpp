#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "command.hpp"
#include "flopwise/error.hpp"
#include "flopwise/gate/ab_run.hpp"
#include "flopwise/gate/gate.hpp"

namespace flopwise::cli {
namespace {

// Every failure to read or compare the inputs exits 2 (through main's handler), distinct from
// the gate's own verdicts: 1 for a regression, 3 for noisy (undecided) benchmarks.
int run(Args& args) {
    gate::GateOptions options;
    if (const auto threshold = args.value("threshold")) options.threshold = gate::parse_fraction(*threshold, "--threshold");
    if (const auto alpha = args.value("alpha")) options.alpha = gate::parse_fraction(*alpha, "--alpha");
    options.filter = args.value("filter").value_or("");
    options.normalize = args.flag("normalize");
    const auto markdown_path = args.value("markdown");
    const auto ab = args.values("ab", 2);
    const std::string time_flag = args.value("time").value_or("real");
    if (time_flag != "real" && time_flag != "cpu") throw Error("--time " + time_flag + ": expected real or cpu");
    const gate::TimeField time = time_flag == "cpu" ? gate::TimeField::cpu : gate::TimeField::real;

    gate::GateReport report;
    if (ab) {
        gate::AbOptions ab_options;
        ab_options.old_binary = (*ab)[0];
        ab_options.new_binary = (*ab)[1];
        ab_options.rounds = static_cast<int>(args.integer("rounds", 10, 1, 1000));
        ab_options.gate = options;
        if (!options.filter.empty()) ab_options.bench_flags = {"--filter", options.filter};
        if (const auto isa = args.value("isa")) ab_options.bench_flags.insert(ab_options.bench_flags.end(), {"--isa", *isa});
        if (const auto min_time = args.value("min-time"))
            ab_options.bench_flags.insert(ab_options.bench_flags.end(), {"--min-time", *min_time});
        if (args.flag("large")) ab_options.bench_flags.push_back("--large");
        if (const auto threads = args.value("threads"))
            ab_options.bench_flags.insert(ab_options.bench_flags.end(), {"--threads", *threads});
        ab_options.time = time;
        ab_options.seed = static_cast<uint64_t>(args.integer("seed", std::random_device{}() & 0x7fffffff, 0, INT64_MAX));
        ab_options.work_dir = args.value("work-dir").value_or(
            (std::filesystem::temp_directory_path() / ("flopwise-ab-" + std::to_string(getpid()))).string());
        if (options.normalize) throw Error("flopwise gate: --normalize applies to --baseline/--current, not to --ab");
        args.finish();
        std::fprintf(stderr, "A/B: %d rounds, order seed %llu, files in %s\n", ab_options.rounds,
                     static_cast<unsigned long long>(ab_options.seed), ab_options.work_dir.c_str());
        report = gate::run_ab(ab_options);
    } else {
        const std::string baseline = args.required("baseline");
        const std::string current = args.required("current");
        args.finish();
        report = gate::compare_files(gate::load_results(baseline, time), gate::load_results(current, time), options);
    }
    const std::string table = gate::markdown(report);
    std::fputs(table.c_str(), stdout);
    if (markdown_path) {
        std::ofstream file(*markdown_path);
        if (!file) throw Error(*markdown_path + ": cannot open for writing (--markdown)");
        file << table;
    }
    return gate::exit_code(report);
}

const CommandRegistration registration(
    {"gate",
     "--baseline B.json --current C.json [--threshold 5%] [--alpha 0.05] [--normalize] [--time real|cpu] [--filter RE]\n"
     "               [--markdown F] | --ab OLD_BINARY NEW_BINARY [--rounds 10] [--filter RE] [--isa P] [--threads T] [--seed N]",
     "decide whether kernel benchmarks regressed (exit 1), stayed within the threshold (0) or are too noisy to tell (3)",
     run});

}  // namespace
}  // namespace flopwise::cli

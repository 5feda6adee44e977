#include "flopwise/gate/ab_run.hpp"

#include <cstdio>
#include <filesystem>
#include <random>

#include "flopwise/error.hpp"
#include "flopwise/process.hpp"

namespace flopwise::gate {
namespace {

ResultsFile measure(const std::string& binary, const std::vector<std::string>& bench_flags, const std::string& json,
                    const std::string& log, TimeField time) {
    std::vector<std::string> argv = {binary, "bench", "kernels", "--repetitions", "1", "--json", json};
    argv.insert(argv.end(), bench_flags.begin(), bench_flags.end());
    const int rc = run_process(argv, {}, log);
    if (rc != 0)
        throw Error(binary + " bench kernels exited with status " + std::to_string(rc) + " (its output: " + log + ")");
    return load_results(json, time);
}

}  // namespace

GateReport run_ab(const AbOptions& options) {
    if (options.rounds < 1) throw Error("--rounds must be at least 1");
    for (const auto& binary : {options.old_binary, options.new_binary})
        if (!std::filesystem::exists(binary)) throw Error("--ab: " + binary + " does not exist");
    std::filesystem::create_directories(options.work_dir);
    std::mt19937_64 rng(options.seed);
    std::vector<ResultsFile> old_rounds, new_rounds;
    for (int round = 1; round <= options.rounds; ++round) {
        const bool old_first = (rng() & 1) == 0;
        std::fprintf(stderr, "A/B round %d/%d: %s first\n", round, options.rounds, old_first ? "old" : "new");
        const std::string stem = options.work_dir + "/round" + std::to_string(round);
        for (int turn = 0; turn < 2; ++turn) {
            const bool old_turn = (turn == 0) == old_first;
            const std::string side = old_turn ? "old" : "new";
            ResultsFile result = measure(old_turn ? options.old_binary : options.new_binary, options.bench_flags,
                                         stem + "-" + side + ".json", stem + "-" + side + ".log", options.time);
            (old_turn ? old_rounds : new_rounds).push_back(std::move(result));
        }
    }
    return compare_rounds(old_rounds, new_rounds, options.gate);
}

}  // namespace flopwise::gate

#include <cstdio>

#include "command.hpp"
#include "flopwise/error.hpp"
#include "flopwise/report/comparison.hpp"
#include "report_options.hpp"

namespace flopwise::cli {
namespace {

int run(Args& args) {
    const auto options = bootstrap_options(args);
    const int64_t context = flops_context(args);
    const auto json_path = args.value("json");
    const auto dirs = args.positionals();
    args.finish();
    if (dirs.size() != 2) throw Error("flopwise compare: name exactly two run directories (A and B), got " + std::to_string(dirs.size()));
    // Gathered apart: two runs of one model stay two sides rather than merge into one row.
    const auto a = report::gather_entries({dirs[0]}, {}, context);
    const auto b = report::gather_entries({dirs[1]}, {}, context);
    const auto comparison = report::compare_runs(a.front(), b.front(), options);
    std::fputs(report::format_comparison(comparison).c_str(), stdout);
    if (json_path) write_text_file(*json_path, report::comparison_json(comparison).dump(2) + "\n");
    return 0;
}

const CommandRegistration registration(
    {"compare", "RUN_A RUN_B [--iterations 10000] [--seed 1234] [--context 2048] [--json F]",
     "per-task score differences of two runs with paired significance (McNemar, bootstrap) and the FLOPs ratio", run});

}  // namespace
}  // namespace flopwise::cli

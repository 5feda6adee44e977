#include <cstdio>

#include "command.hpp"
#include "flopwise/error.hpp"
#include "flopwise/report/claim.hpp"
#include "report_options.hpp"

namespace flopwise::cli {
namespace {

int run(Args& args) {
    const auto options = bootstrap_options(args);
    const int64_t context = flops_context(args);
    const auto json_path = args.value("json");
    const auto cards = args.list("cards");
    auto words = args.positionals();
    args.finish();
    if (words.empty()) throw Error("flopwise claim: give the claim, e.g. \"gemma-3-270m >= llama-3.2-1b on arc_easy at <= 0.1x flops\"");
    const auto claim = report::parse_claim(words.front());
    words.erase(words.begin());
    auto entries = report::gather_entries(words, cards, context);
    const auto result = report::check_claim(claim, entries, context, options);
    std::fputs(report::format_claim_result(result).c_str(), stdout);
    if (json_path) write_text_file(*json_path, report::claim_result_json(result).dump(2) + "\n");
    return report::exit_code(result.verdict);
}

const CommandRegistration registration(
    {"claim", "\"MODEL >= MODEL on TASKS [within M] [at <= Fx flops|train_flops]\" [RUN_DIR...] [--cards NAMES] [--iterations 10000] [--seed 1234] "
              "[--context 2048] [--json F]",
     "check a claim against runs and published scores: exit 0 holds, 1 does not hold, 2 insufficient evidence", run});

}  // namespace
}  // namespace flopwise::cli

#include <cstdio>

#include "command.hpp"
#include "flopwise/error.hpp"
#include "flopwise/report/leaderboard.hpp"
#include "report_options.hpp"

namespace flopwise::cli {
namespace {

int run(Args& args) {
    const auto options = bootstrap_options(args);
    report::LeaderboardOptions board_options;
    board_options.context = flops_context(args);
    board_options.baseline = args.value("baseline");
    if (const auto title = args.value("title")) board_options.title = *title;
    board_options.metric_overrides = args.list("metric");
    auto cards = args.list("cards");
    const auto claims = args.repeated("claim");
    const auto html = args.value("html");
    const auto markdown = args.value("markdown");
    const auto json = args.value("json");
    const auto dirs = args.positionals();
    args.finish();
    if (dirs.empty() && cards.empty()) throw Error("flopwise report: name at least one run directory (or --cards)");
    std::vector<report::Claim> parsed;
    for (const auto& text : claims) parsed.push_back(report::parse_claim(text));

    auto entries = report::gather_entries(dirs, cards, board_options.context);
    if (board_options.baseline) {
        try {
            report::find_entry(entries, *board_options.baseline);
        } catch (const Error&) {
            cards.push_back(*board_options.baseline);  // a card not named in --cards: add its reported row
            entries = report::gather_entries(dirs, cards, board_options.context);
        }
    }
    std::vector<report::ClaimResult> results;
    for (const auto& claim : parsed) results.push_back(report::check_claim(claim, entries, board_options.context, options));
    auto board = report::build_leaderboard(entries, board_options);
    board.claims = std::move(results);

    if (html) write_text_file(*html, report::render_html(board));
    if (markdown) write_text_file(*markdown, report::render_markdown(board));
    if (json) write_text_file(*json, report::render_json(board).dump(2) + "\n");
    if (!html && !markdown && !json) std::fputs(report::render_markdown(board).c_str(), stdout);
    for (const auto* path : {&html, &markdown, &json})
        if (*path) std::fprintf(stderr, "wrote %s\n", (*path)->c_str());
    return 0;
}

const CommandRegistration registration(
    {"report", "RUN_DIR... [--baseline NAME] [--cards NAMES|baselines] [--claim TEXT]... [--html F] [--markdown F] [--json F] [--title T] "
               "[--metric TASK=METRIC,...] [--context 2048] [--iterations 10000] [--seed 1234]",
     "leaderboard of runs beside published baselines: self-contained HTML, Markdown summary, JSON", run});

}  // namespace
}  // namespace flopwise::cli

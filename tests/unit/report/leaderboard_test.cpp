#include <gtest/gtest.h>

#include "flopwise/report/format.hpp"
#include "flopwise/report/leaderboard.hpp"
#include "run_builder.hpp"
#include "test_env.hpp"

using namespace flopwise;
using namespace flopwise::report;

namespace {

report::Run run_of(const std::string& name, int layers, int width, const std::vector<test::BuiltTask>& tasks) {
    const std::string dir = test::temp_dir("report-board");
    test::write_run(dir, {name, layers, width, 1000}, tasks);
    return load_run(dir);
}

ModelFacts reported_model(const std::string& name, double piqa) {
    ModelFacts f;
    f.card_name = name;
    f.display_name = name;
    f.baseline = true;
    f.flops_per_token = 1e10;
    f.flops_basis = "card " + name;
    f.reported.push_back({"piqa", "acc", piqa, 0, "https://example.org", ""});
    f.reported.push_back({"arc_easy", "acc_norm", 0.7, 0, "https://example.org", ""});
    return f;
}

}  // namespace

TEST(Escaping, HtmlAndMarkdown) {
    EXPECT_EQ(html_escape("<script>alert('x') & \"y\"</script>"), "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
    EXPECT_EQ(markdown_escape("a|b <i>*c*</i>\n"), "a\\|b &lt;i&gt;\\*c\\*&lt;/i&gt; ");
}

TEST(Leaderboard, RowsCellsFrontierAndBaseline) {
    std::vector<report::Run> runs;
    runs.push_back(run_of("small", 2, 128, {{"piqa", test::scores(100, 60)}, {"arc_easy", test::scores(100, 50)}}));
    runs.push_back(run_of("large", 8, 1024, {{"piqa", test::scores(100, 80)}, {"arc_easy", test::scores(100, 70)}}));
    runs.push_back(run_of("wasteful", 8, 1024, {{"piqa", test::scores(100, 55)}, {"arc_easy", test::scores(100, 45)}}));
    const auto entries = entries_from(std::move(runs), {reported_model("ref", 0.9)}, 2048);
    LeaderboardOptions options;
    options.baseline = "ref";
    const Leaderboard board = build_leaderboard(entries, options);
    ASSERT_EQ(board.tasks.size(), 2u);
    EXPECT_EQ(board.tasks[0].task, "piqa");
    EXPECT_EQ(board.tasks[0].metric, "acc");       // the baseline's published metric
    EXPECT_EQ(board.tasks[1].metric, "acc_norm");  // likewise, though the runs only have acc
    ASSERT_EQ(board.rows.size(), 4u);
    const auto row = [&](const std::string& label) -> const LeaderboardRow& {
        for (const auto& r : board.rows)
            if (r.label == label) return r;
        throw std::runtime_error("no row " + label);
    };
    // Measured rows have no acc_norm for arc_easy: the cell stays empty rather than show acc.
    EXPECT_FALSE(row("small").cells[1].value);
    EXPECT_EQ(row("small").average_tasks, 1);
    const LeaderboardRow& ref = row("ref (reported)");
    EXPECT_TRUE(ref.reported);
    EXPECT_TRUE(ref.baseline);
    EXPECT_TRUE(board.baseline && board.rows[*board.baseline].label == ref.label);
    EXPECT_DOUBLE_EQ(*ref.average, 0.8);
    EXPECT_DOUBLE_EQ(*ref.relative_compute, 1.0);
    EXPECT_FALSE(ref.cells[0].ci_low);  // a published figure has no interval of ours
    const LeaderboardRow& small = row("small");
    ASSERT_TRUE(small.cells[0].ci_low);
    EXPECT_NEAR(*small.cells[0].ci_high - *small.cells[0].ci_low, 2 * 1.959963984540054 * std::sqrt(0.6 * 0.4 / 99), 1e-9);
    EXPECT_NEAR(*small.relative_compute, *small.flops_per_token / 1e10, 1e-12);
    EXPECT_NEAR(*small.accuracy_per_tflop, 0.6 / (*small.flops_per_token * 1e-12), 1e-6);
    // Two documents, one right: the normal interval would reach below 0 and past 100%; a mean score's stops at both ends.
    std::vector<report::Run> tiny;
    tiny.push_back(run_of("tiny", 2, 128, {{"piqa", test::scores(2, 1)}}));
    const Leaderboard tiny_board = build_leaderboard(entries_from(std::move(tiny), {}, 2048), LeaderboardOptions{});
    const LeaderboardCell& few = tiny_board.rows.at(0).cells.at(0);
    EXPECT_DOUBLE_EQ(*few.value, 0.5);
    EXPECT_DOUBLE_EQ(*few.ci_low, 0.0);
    EXPECT_DOUBLE_EQ(*few.ci_high, 1.0);
    // Frontier: over rows averaged on every task only (here just the reference).
    EXPECT_TRUE(ref.pareto);
    EXPECT_FALSE(small.pareto);
    EXPECT_FALSE(board.notes.empty());
}

TEST(Leaderboard, ParetoFrontierOnCompleteRows) {
    std::vector<report::Run> runs;
    runs.push_back(run_of("small", 2, 128, {{"piqa", test::scores(100, 60)}}));
    runs.push_back(run_of("large", 8, 1024, {{"piqa", test::scores(100, 80)}}));
    runs.push_back(run_of("wasteful", 8, 1024, {{"piqa", test::scores(100, 55)}}));
    const Leaderboard board = build_leaderboard(entries_from(std::move(runs), {}, 2048), {});
    ASSERT_EQ(board.rows.size(), 3u);
    EXPECT_EQ(board.rows[0].label, "large");  // sorted by average
    EXPECT_TRUE(board.rows[0].pareto);
    EXPECT_TRUE(board.rows[1].pareto);   // small: cheapest
    EXPECT_FALSE(board.rows[2].pareto);  // wasteful: dominated by large
    EXPECT_FALSE(board.baseline);
}

TEST(Leaderboard, EveryDataStringIsEscaped) {
    const std::string evil = "<script>alert(1)</script>";
    std::vector<report::Run> runs;
    runs.push_back(run_of(evil, 2, 128, {{"piqa", test::scores(10, 6)}}));
    ModelFacts f = reported_model("\"><img src=x onerror=alert(2)>", 0.5);
    f.reported[0].source = "javascript:alert(3)<b>";
    Leaderboard board = build_leaderboard(entries_from(std::move(runs), {f}, 2048), {});
    board.title = "</title><script>alert(4)</script>";
    const std::string html = render_html(board);
    EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    EXPECT_EQ(html.find("<img src=x"), std::string::npos);
    EXPECT_EQ(html.find("<b>"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    // Exactly one script element: the sorting code.
    size_t scripts = 0;
    for (size_t at = html.find("<script"); at != std::string::npos; at = html.find("<script", at + 1)) ++scripts;
    EXPECT_EQ(scripts, 1u);
    const std::string markdown = render_markdown(board);
    EXPECT_EQ(markdown.find("<script>"), std::string::npos);
    EXPECT_EQ(markdown.find("<img"), std::string::npos);
    const auto json = render_json(board);
    EXPECT_EQ(json["rows"][0]["model"], evil);  // JSON keeps the text as it is; its readers escape for their medium
}

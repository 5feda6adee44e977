#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "flopwise/error.hpp"
#include "flopwise/report/claim.hpp"
#include "run_builder.hpp"
#include "test_env.hpp"

using namespace flopwise;
using namespace flopwise::report;

namespace {

// Alpha (small) beats beta (large) on piqa by 100 discordant documents to none; on arc_easy the
// two are a document apart on 20, which settles nothing.
class Claims : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = test::temp_dir("report-claims");
        std::vector<double> beta_piqa(400, 0.0);
        for (int i = 100; i < 300; ++i) beta_piqa[static_cast<size_t>(i)] = 1.0;
        test::write_run(root_ + "/alpha", {"alpha", 4, 256, 1000}, {{"piqa", test::scores(400, 300)}, {"arc_easy", test::scores(20, 10)}});
        test::write_run(root_ + "/beta", {"beta", 8, 1024, 1000}, {{"piqa", beta_piqa}, {"arc_easy", test::scores(20, 11)}});
        const std::string cards = root_ + "/cards";
        std::filesystem::create_directories(cards);
        std::ofstream(cards + "/test-baseline.yaml") << R"(display_name: Test Baseline
family: llama
baseline: true
aliases: [testbase]
architecture_source: test
architecture:
  layers: 8
  hidden_size: 1024
  heads: 16
  kv_heads: 16
  head_dim: 64
  vocab_size: 1000
  ffn: {type: gated, size: 4096}
  tied_embeddings: true
training_tokens: 1.0e9
training_tokens_source: test
published:
  - {task: piqa, metric: acc, value: 60.0, num_fewshot: 5, source: "https://example.org/paper", note: "pretrained"}
)";
        setenv("FLOPWISE_CARDS_DIR", cards.c_str(), 1);
        entries_ = gather_entries({root_ + "/alpha", root_ + "/beta"}, {}, 2048);
    }
    void TearDown() override { unsetenv("FLOPWISE_CARDS_DIR"); }

    ClaimResult check(const std::string& text) {
        BootstrapOptions options;
        options.iterations = 2000;
        return check_claim(parse_claim(text), entries_, 2048, options);
    }

    std::string root_;
    std::vector<ModelEntry> entries_;
};

}  // namespace

TEST_F(Claims, HoldsWhenTheIntervalClearsZeroAndTheComputeBound) {
    const auto r = check("alpha >= beta on piqa at <= 0.5x flops");
    EXPECT_EQ(r.verdict, Verdict::holds) << format_claim_result(r);
    ASSERT_EQ(r.tasks.size(), 1u);
    const auto& t = r.tasks[0];
    EXPECT_EQ(t.metric, "acc");
    EXPECT_EQ(t.test, "mcnemar_exact");
    EXPECT_NEAR(*t.difference, 0.25, 1e-12);
    EXPECT_DOUBLE_EQ(*t.p_value, mcnemar_exact_p(100, 0));
    EXPECT_FALSE(t.subject.reported);
    EXPECT_FALSE(t.reference.reported);
    ASSERT_TRUE(r.compute && r.compute->ratio);
    EXPECT_LT(*r.compute->ratio, 0.5);
    EXPECT_TRUE(r.compute->counted_ratio.has_value());
    EXPECT_EQ(exit_code(r.verdict), 0);
}

TEST_F(Claims, DoesNotHoldWhenComputeOrScoresSayNo) {
    EXPECT_EQ(check("alpha >= beta on piqa at <= 0.0001x flops").verdict, Verdict::does_not_hold);
    const auto r = check("beta >= alpha on piqa");
    EXPECT_EQ(r.verdict, Verdict::does_not_hold) << format_claim_result(r);
    EXPECT_LT(*r.tasks[0].ci_high, 0.0);
    EXPECT_EQ(exit_code(r.verdict), 1);
}

TEST_F(Claims, InsufficientWhenTheIntervalStraddlesOrFiguresAreMissing) {
    auto r = check("alpha >= beta on arc_easy");
    EXPECT_EQ(r.verdict, Verdict::insufficient) << format_claim_result(r);
    EXPECT_EQ(exit_code(r.verdict), 2);
    // A generous margin turns the same evidence into non-inferiority.
    EXPECT_EQ(check("alpha >= beta on arc_easy within 0.9").verdict, Verdict::holds);
    r = check("alpha >= beta on hellaswag");
    EXPECT_EQ(r.verdict, Verdict::insufficient);
    ASSERT_FALSE(r.tasks[0].notes.empty());
    EXPECT_NE(r.tasks[0].notes[0].find("no run of task 'hellaswag'"), std::string::npos);
    // Runs carry no training tokens: training compute cannot be compared.
    r = check("alpha >= beta on piqa at <= 0.5x train_flops");
    EXPECT_EQ(r.verdict, Verdict::insufficient) << format_claim_result(r);
}

TEST_F(Claims, MeasuredAgainstReportedIsLabelledAndTested) {
    const auto r = check("alpha >= testbase on piqa at <= 1x flops");
    EXPECT_EQ(r.verdict, Verdict::holds) << format_claim_result(r);
    const auto& t = r.tasks[0];
    EXPECT_FALSE(t.subject.reported);
    EXPECT_TRUE(t.reference.reported);
    EXPECT_EQ(t.reference.source, "https://example.org/paper");
    EXPECT_EQ(t.test, "bootstrap_vs_fixed");
    EXPECT_NEAR(*t.difference, 0.15, 1e-12);
    const std::string text = format_claim_result(r);
    EXPECT_NE(text.find("[measured"), std::string::npos);
    EXPECT_NE(text.find("[reported, 5-shot, https://example.org/paper"), std::string::npos) << text;
    EXPECT_NE(text.find("different shots"), std::string::npos) << text;
    EXPECT_NE(text.find("measured against reported"), std::string::npos) << text;
    // The reference's card supplies its compute; the run's recorded shape supplies alpha's.
    EXPECT_NE(r.compute->reference_basis.find("card test-baseline"), std::string::npos);
    EXPECT_NE(r.compute->subject_basis.find("recorded model shape"), std::string::npos);
    // Reversed, the sign and the interval flip.
    const auto back = check("testbase >= alpha on piqa");
    EXPECT_EQ(back.verdict, Verdict::does_not_hold);
    EXPECT_NEAR(*back.tasks[0].difference, -0.15, 1e-12);
    EXPECT_NEAR(*back.tasks[0].ci_high, -*r.tasks[0].ci_low, 1e-12);
}

TEST_F(Claims, UnknownModelsAreErrors) {
    try {
        check("alpha >= gamma on piqa");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no model called 'gamma'"), std::string::npos) << e.what();
    }
    EXPECT_THROW(check("alpha >= alpha on piqa"), Error);
}

TEST_F(Claims, ExitCodesThroughTheCommand) {
    const auto claim = [&](const std::string& text) {
        return test::run_flopwise("claim '" + text + "' " + root_ + "/alpha " + root_ + "/beta --iterations 500", {"FLOPWISE_CARDS_DIR=" + root_ + "/cards"});
    };
    for (const auto& [text, exit_code] : std::vector<std::pair<std::string, int>>{
             {"alpha >= beta on piqa at <= 0.5x flops", 0}, {"beta >= alpha on piqa", 1}, {"alpha >= beta on arc_easy", 2}, {"alpha >= testbase on piqa", 0}}) {
        const auto outcome = claim(text);
        EXPECT_EQ(outcome.exit_code, exit_code) << text << "\n" << outcome.output;
    }
}

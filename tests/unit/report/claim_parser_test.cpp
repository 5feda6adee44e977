#include <gtest/gtest.h>

#include "flopwise/error.hpp"
#include "flopwise/report/claim.hpp"

using namespace flopwise::report;

TEST(ClaimGrammar, ParsesTheFullForm) {
    const Claim c = parse_claim("gemma-3-270m >= llama-3.2-1b on arc_easy, piqa:acc_norm within 2pt at <= 0.1x flops");
    EXPECT_EQ(c.subject, "gemma-3-270m");
    EXPECT_EQ(c.reference, "llama-3.2-1b");
    EXPECT_FALSE(c.strictly_greater);
    ASSERT_EQ(c.tasks.size(), 2u);
    EXPECT_EQ(c.tasks[0].task, "arc_easy");
    EXPECT_EQ(c.tasks[0].metric, "");
    EXPECT_EQ(c.tasks[1].task, "piqa");
    EXPECT_EQ(c.tasks[1].metric, "acc_norm");
    EXPECT_DOUBLE_EQ(c.margin, 0.02);
    ASSERT_TRUE(c.bound);
    EXPECT_TRUE(c.bound->inclusive);
    EXPECT_DOUBLE_EQ(c.bound->factor, 0.1);
    EXPECT_FALSE(c.bound->training);
}

TEST(ClaimGrammar, NamesWithSpacesStrictComparisonAndTrainingCompute) {
    const Claim c = parse_claim("Muse Spark > Llama 4 Maverick on all within 0.01 at <0.1xtrain_flops");
    EXPECT_EQ(c.subject, "Muse Spark");
    EXPECT_EQ(c.reference, "Llama 4 Maverick");
    EXPECT_TRUE(c.strictly_greater);
    EXPECT_TRUE(c.all_tasks);
    EXPECT_DOUBLE_EQ(c.margin, 0.01);
    ASSERT_TRUE(c.bound);
    EXPECT_FALSE(c.bound->inclusive);
    EXPECT_TRUE(c.bound->training);
}

TEST(ClaimGrammar, MinimalClaimHasNoMarginOrBound) {
    const Claim c = parse_claim("a >= b on hellaswag");
    EXPECT_EQ(c.margin, 0.0);
    EXPECT_FALSE(c.bound);
    ASSERT_EQ(c.tasks.size(), 1u);
}

void expect_error(const std::string& text, const std::string& fragment) {
    try {
        parse_claim(text);
        ADD_FAILURE() << "no error for: " << text;
    } catch (const flopwise::Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(fragment), std::string::npos) << message;
        EXPECT_NE(message.find(text), std::string::npos) << "the message names the claim: " << message;
    }
}

TEST(ClaimGrammar, ErrorsSayWhatIsWrong) {
    expect_error("a = b on piqa", "expected '>=' or '>'");
    expect_error(">= b on piqa", "no model before");
    expect_error("a >= b piqa", "expected 'on TASKS'");
    expect_error("a >= on piqa", "no model after");
    expect_error("a >= b on", "no tasks after 'on'");
    expect_error("a >= b on piqa,,arc_easy", "empty task");
    expect_error("a >= b on piqa:", "bad task");
    expect_error("a >= b on piqa within", "expected a margin");
    expect_error("a >= b on piqa within lots", "expected a number");
    expect_error("a >= b on piqa within 2 percent", "margin");
    expect_error("a >= b on piqa at 0.1x flops", "must start with <= or <");
    expect_error("a >= b on piqa at <= 0.1x watts", "'x flops' or 'x train_flops'");
    expect_error("a >= b on piqa at <= -1x flops", "positive");
    expect_error("a >= b on piqa at", "expected a compute bound");
}

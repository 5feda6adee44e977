// Metric definitions on hand-computed examples, and their standard errors.
#include <gtest/gtest.h>

#include <cmath>

#include "flopwise/eval/scoring.hpp"
#include "flopwise/eval/statistics.hpp"

namespace flopwise::eval {
namespace {

TaskConfig multiple_choice(std::vector<std::string> metrics) {
    TaskConfig c;
    c.name = "toy";
    c.output_type = OutputType::multiple_choice;
    for (auto& name : metrics) {
        MetricSpec m;
        m.name = name;
        c.metrics.push_back(m);
    }
    return c;
}

std::vector<Response> loglikelihood_responses(const std::vector<double>& lls) {
    std::vector<Response> out;
    for (double ll : lls) {
        Response r;
        r.kind = RequestKind::loglikelihood;
        r.loglikelihood.logprob = ll;
        out.push_back(r);
    }
    return out;
}

std::vector<double> score(const TaskConfig& c, const DocumentPlan& d, const std::vector<Response>& responses) {
    std::vector<const Response*> pointers;
    for (const auto& r : responses) pointers.push_back(&r);
    std::vector<double> out;
    for (const auto& s : score_document(c, d, pointers).samples) out.push_back(s.value);
    return out;
}

DocumentPlan choices(std::vector<std::string> texts, int gold) {
    DocumentPlan d;
    d.choices = texts;
    d.gold = gold;
    d.requests.resize(texts.size());
    return d;
}

TEST(Scoring, AccAccNormAndAccBytes) {
    const TaskConfig c = multiple_choice({"acc", "acc_norm", "acc_bytes"});
    // Raw: choice 0 wins. Per character: -1/2 vs -1.6/4 = -0.4, choice 1 wins.
    EXPECT_EQ(score(c, choices({"ab", "abcd"}, 1), loglikelihood_responses({-1.0, -1.6})), (std::vector<double>{0, 1, 1}));
    // "é" is one character but two bytes: per character choice 1 wins (-1.0 vs -0.6), per byte choice 0 (-0.5 vs -0.6).
    EXPECT_EQ(score(c, choices({"\xC3\xA9", "ab"}, 0), loglikelihood_responses({-1.0, -1.2})), (std::vector<double>{1, 0, 1}));
    // Ties go to the first choice, as numpy's argmax does.
    EXPECT_EQ(score(c, choices({"a", "b"}, 0), loglikelihood_responses({-2.0, -2.0})), (std::vector<double>{1, 1, 1}));
    EXPECT_EQ(code_points("h\xC3\xA9llo \xE2\x82\xAC"), 7u);
}

TEST(Scoring, Mc2IsTheNormalizedMassOfTrueAnswers) {
    EXPECT_NEAR(mc2_true_mass({std::log(0.2), std::log(0.3), std::log(0.1), std::log(0.4)}, {1, 0, 1, 0}), 0.3, 1e-12);
    // Very unlikely answers do not underflow into 0/0.
    EXPECT_NEAR(mc2_true_mass({-1000.0, -1001.0}, {1, 0}), 1.0 / (1.0 + std::exp(-1.0)), 1e-12);
    TaskConfig c = multiple_choice({"mc2"});
    DocumentPlan d = choices({"t1", "f1", "t2"}, 0);
    d.true_labels = {1, 0, 1};
    EXPECT_NEAR(score(c, d, loglikelihood_responses({std::log(0.5), std::log(0.25), std::log(0.25)}))[0], 0.75, 1e-12);
}

TEST(Scoring, Gsm8kStrictAndFlexibleExtraction) {
    const AnswerFilter strict{"strict-match", "#### (\\-?[0-9\\.\\,]+)", 0, "[invalid]"};
    const AnswerFilter flexible{"flexible-extract", "(-?[$0-9.,]{2,})|(-?[0-9]+)", -1, "[invalid]"};
    EXPECT_EQ(extract_answer(strict, "She makes 9 * 2 = $18.\n#### 18\n\n"), "18");
    EXPECT_EQ(extract_answer(strict, "so #### -3,000 and later #### 5"), "-3,000");
    EXPECT_EQ(extract_answer(strict, "It costs $1,234."), "[invalid]");
    EXPECT_EQ(extract_answer(flexible, "It costs $1,234."), "$1,234.");
    EXPECT_EQ(extract_answer(flexible, "3 apples and 4 pears make 7"), "7");
    EXPECT_EQ(extract_answer(flexible, "no digits here"), "[invalid]");

    MetricSpec em;
    em.name = "exact_match";
    em.ignore_case = true;
    em.regexes_to_ignore = {",", "\\$", "(?s).*#### ", "\\.$"};
    const std::string reference = "Step one.\nStep two.\n#### 1234";
    EXPECT_TRUE(exact_match(em, "$1,234.", reference));
    EXPECT_TRUE(exact_match(em, "1234", reference));
    EXPECT_FALSE(exact_match(em, "[invalid]", reference));
    EXPECT_FALSE(exact_match(em, "12345", reference));

    TaskConfig c;
    c.name = "gsm";
    c.output_type = OutputType::generate_until;
    c.metrics = {em};
    c.filters = {strict, flexible};
    DocumentPlan d;
    d.reference = reference;
    d.requests.resize(1);
    Response r;
    r.kind = RequestKind::generation;
    r.generation.text = " The total is $1,234.";
    EXPECT_EQ(score(c, d, {r}), (std::vector<double>{0, 1}));
    EXPECT_EQ(reported_metrics(c)[0].key, "exact_match,strict-match");
    EXPECT_EQ(reported_metrics(c)[1].key, "exact_match,flexible-extract");
}

TEST(Scoring, PerplexityAggregations) {
    const std::vector<MetricSample> lambada = {{-1.0, 1}, {-3.0, 1}};
    EXPECT_NEAR(aggregate(Aggregation::perplexity, lambada), std::exp(2.0), 1e-12);
    const std::vector<MetricSample> words = {{-10.0, 5}, {-20.0, 5}};
    EXPECT_NEAR(aggregate(Aggregation::weighted_perplexity, words), std::exp(3.0), 1e-12);
    const std::vector<MetricSample> bytes = {{-10.0, 20}, {-20.0, 40}};
    EXPECT_NEAR(aggregate(Aggregation::weighted_perplexity, bytes), std::exp(0.5), 1e-12);
    EXPECT_NEAR(aggregate(Aggregation::bits_per_byte, bytes), 0.5 / std::log(2.0), 1e-12);
    EXPECT_NEAR(aggregate(Aggregation::mean, words), -15.0, 1e-12);
}

TEST(Statistics, ClosedFormStandardErrorOfAMean) {
    // mean 0.75, sample standard deviation 0.5, n = 4: 0.5 / 2.
    const std::vector<MetricSample> v = {{1, 1}, {0, 1}, {1, 1}, {1, 1}};
    const Estimate e = estimate(Aggregation::mean, v, 1000, 1);
    EXPECT_DOUBLE_EQ(e.value, 0.75);
    ASSERT_TRUE(e.stderr_value);
    EXPECT_NEAR(*e.stderr_value, 0.25, 1e-15);
    EXPECT_EQ(e.stderr_method, "closed_form");
    EXPECT_FALSE(mean_stderr(std::vector<MetricSample>{{1, 1}}).has_value());
}

TEST(Statistics, BootstrapIsSeededAndAgreesWithTheDeltaMethod) {
    std::vector<MetricSample> v;
    for (int i = 0; i < 2000; ++i) v.push_back({-1.0 - 0.001 * (i % 997) - (i % 7 == 0 ? 2.0 : 0.0), 1.0});
    const auto a = bootstrap_stderr(Aggregation::perplexity, v, 2000, 7);
    const auto b = bootstrap_stderr(Aggregation::perplexity, v, 2000, 7);
    const auto c = bootstrap_stderr(Aggregation::perplexity, v, 2000, 8);
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(*a, *b);
    EXPECT_NE(*a, *c);
    // exp(-mean) has standard error about exp(-mean) * stderr(mean).
    const double delta = aggregate(Aggregation::perplexity, v) * *mean_stderr(v);
    EXPECT_NEAR(*a, delta, 0.1 * delta);
    const Estimate e = estimate(Aggregation::perplexity, v, 2000, 7);
    EXPECT_EQ(e.stderr_method, "bootstrap");
    EXPECT_EQ(*e.stderr_value, *a);
}

TEST(Statistics, GroupMicroAndMacroAverages) {
    const GroupEstimate g = group_estimate({{1, 1, 0, 0}, {1, 1}}, 4000, 3);
    EXPECT_DOUBLE_EQ(g.micro.value, 4.0 / 6.0);
    EXPECT_DOUBLE_EQ(g.macro.value, 0.75);
    ASSERT_TRUE(g.micro.stderr_value && g.macro.stderr_value);
    // Only the first task varies: macro's error is half that task's bootstrap error of a mean of
    // 4 values with population deviation 0.5, i.e. about 0.5 * 0.25 = 0.125.
    EXPECT_NEAR(*g.macro.stderr_value, 0.125, 0.01);
    // Micro: 4 varying values out of 6, each with deviation 0.5: sqrt(4 * 0.25) / 6.
    EXPECT_NEAR(*g.micro.stderr_value, 1.0 / 6.0, 0.01);
}

}  // namespace
}  // namespace flopwise::eval

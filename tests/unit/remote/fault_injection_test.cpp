// Hundreds of requests through the openai: backend against a server that fails at seeded random
// (429 with Retry-After, 500, 503, garbage JSON, truncated bodies, stalls past the timeout,
// dropped connections): every answer arrives, correct and in place, and the retries are counted.
#include <gtest/gtest.h>

#include <map>

#include "api_server.hpp"
#include "flopwise/backends.hpp"

namespace flopwise {
namespace {

ModelOptions fast_retries(const std::string& base_url) {
    ModelOptions o;
    o.remote.base_url = base_url;
    o.remote.max_concurrency = 32;
    o.remote.request_timeout_seconds = 1.0;
    o.remote.max_retries = 8;
    o.remote.retry_base_delay_seconds = 0.05;
    return o;
}

TEST(FaultInjection, EveryAnswerArrivesCorrectOnceDespiteFaults) {
    test::ApiServer server({"--seed", "7", "--fault-rate", "0.35", "--max-faults", "3", "--stall-seconds", "2.5"});
    auto model = open_language_model("openai:test-model", fast_retries(server.url() + "/v1"));

    std::vector<LoglikelihoodRequest> scored;
    for (int i = 0; i < 150; ++i)
        scored.push_back({"Question " + std::to_string(i) + ": what comes next? Answer:", std::string(" choice ") + static_cast<char>('A' + i % 4) + " café"});
    std::vector<GenerateRequest> generated;
    for (int i = 0; i < 100; ++i) {
        GenerateRequest g;
        g.context = "Problem " + std::to_string(i) + " = ?";
        g.stop = {"\n\n", "Question:"};
        g.max_tokens = 16;
        generated.push_back(g);
    }
    std::vector<RollingRequest> texts;
    for (int i = 0; i < 50; ++i) texts.push_back({"A paragraph of text number " + std::to_string(i) + " to be scored whole."});

    const auto scores = model->loglikelihood(scored);
    const auto generations = model->generate(generated);
    const auto rolled = model->loglikelihood_rolling(texts);

    ASSERT_EQ(scores.size(), scored.size());
    for (size_t i = 0; i < scored.size(); ++i) {
        ASSERT_FALSE(scores[i].error) << *scores[i].error;
        const auto expected = test::expected_loglikelihood(scored[i].context, scored[i].continuation);
        EXPECT_DOUBLE_EQ(scores[i].logprob, expected.logprob) << i;
        EXPECT_EQ(scores[i].greedy, expected.greedy) << i;
        EXPECT_EQ(scores[i].continuation_tokens, expected.tokens) << i;
    }
    ASSERT_EQ(generations.size(), generated.size());
    for (size_t i = 0; i < generated.size(); ++i) {
        ASSERT_FALSE(generations[i].error) << *generations[i].error;
        EXPECT_EQ(generations[i].text, test::expected_answer(generated[i].context)) << "cut at the stop sequence, request " << i;
    }
    ASSERT_EQ(rolled.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
        ASSERT_FALSE(rolled[i].error) << *rolled[i].error;
        const auto expected = test::expected_rolling(texts[i].text);
        EXPECT_DOUBLE_EQ(rolled[i].logprob, expected.logprob) << i;
        EXPECT_EQ(rolled[i].tokens, expected.tokens) << i;
    }

    // The server answered each request exactly once and failed the others it saw.
    std::map<std::string, int> answered;
    std::map<std::string, int> faults;
    for (const auto& entry : server.log()) {
        if (entry["fault"].is_null()) ++answered[entry["key"]];
        else ++faults[entry["fault"]];
    }
    EXPECT_EQ(answered.size(), 300u);
    for (const auto& [key, n] : answered) EXPECT_EQ(n, 1) << key;
    for (const char* fault : {"429", "500", "503", "garbage", "truncated", "stall", "drop"}) EXPECT_GT(faults[fault], 0) << fault;

    // Every fault the client saw is a retry under its reason. libcurl itself re-sends a request
    // once, unseen, when a reused connection turns out to have been closed before any answer, so a
    // dropped connection may not reach the count.
    const nlohmann::json stats = model->statistics();
    const auto& reasons = stats["retries_by_reason"];
    EXPECT_EQ(stats["requests"], 300);
    EXPECT_EQ(stats["failed"], 0);
    EXPECT_EQ(reasons["http_429"], faults["429"]);
    EXPECT_EQ(reasons["http_500"], faults["500"]);
    EXPECT_EQ(reasons["http_503"], faults["503"]);
    EXPECT_EQ(reasons["timeout"], faults["stall"]);
    EXPECT_EQ(reasons["malformed_body"], faults["garbage"]);
    EXPECT_GT(reasons["connection"].get<int>(), 0);
    EXPECT_LE(reasons["connection"].get<int>(), faults["truncated"] + faults["drop"]);
    int64_t by_reason = 0;
    for (const auto& [reason, n] : reasons.items()) by_reason += n.get<int64_t>();
    EXPECT_EQ(stats["retries"], by_reason);
    EXPECT_EQ(stats["attempts"], 300 + by_reason);
}

// Tokens that do not spell the prompt (bytes:\xNN for non-ASCII characters, as OpenAI writes
// them) are split from the context by text_offset, which counts characters.
TEST(FaultInjection, EchoedTokensThatDoNotSpellThePromptAreSplitByTextOffset) {
    test::ApiServer server({"--byte-tokens"});
    auto model = open_language_model("openai:test-model", fast_retries(server.url() + "/v1"));
    const std::vector<LoglikelihoodRequest> requests = {{"Où est la gare? Réponse:", " à gauche"}, {"naïve ", "café"}, {"plain", " ascii"}};
    const auto scores = model->loglikelihood(requests);
    for (size_t i = 0; i < requests.size(); ++i) {
        ASSERT_FALSE(scores[i].error) << *scores[i].error;
        const auto expected = test::expected_loglikelihood(requests[i].context, requests[i].continuation);
        EXPECT_DOUBLE_EQ(scores[i].logprob, expected.logprob) << i;
        EXPECT_EQ(scores[i].greedy, expected.greedy) << i;
        EXPECT_EQ(scores[i].continuation_tokens, expected.tokens) << i;
    }
}

TEST(FaultInjection, ARequestThatKeepsFailingIsReturnedWithAnErrorNamingIt) {
    test::ApiServer server({"--always-fail-modulo", "1"});
    ModelOptions options = fast_retries(server.url() + "/v1");
    options.remote.max_retries = 2;
    auto model = open_language_model("openai:test-model", options);
    GenerateRequest g;
    g.context = "Will this ever work?";
    const auto results = model->generate(std::span(&g, 1));
    ASSERT_TRUE(results[0].error);
    const std::string& error = *results[0].error;
    EXPECT_NE(error.find("openai:test-model"), std::string::npos) << error;
    EXPECT_NE(error.find("request 1 of 1"), std::string::npos) << error;
    EXPECT_NE(error.find("HTTP 500 (request id req_"), std::string::npos) << error;
    EXPECT_NE(error.find("gave up after 3 attempts"), std::string::npos) << error;
    EXPECT_EQ(server.log().size(), 3u);
    EXPECT_EQ(model->statistics()["failed"], 1);
}

TEST(FaultInjection, ClientErrorsAreNotRetried) {
    test::ApiServer server({"--reject-key"});
    auto model = open_language_model("openai:test-model", fast_retries(server.url() + "/v1"));
    GenerateRequest g;
    g.context = "hello";
    const auto results = model->generate(std::span(&g, 1));
    ASSERT_TRUE(results[0].error);
    EXPECT_NE(results[0].error->find("HTTP 401"), std::string::npos) << *results[0].error;
    EXPECT_EQ(server.log().size(), 1u);
}

}  // namespace
}  // namespace flopwise

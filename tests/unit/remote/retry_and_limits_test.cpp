// The retry policy, the rate limiter's token buckets and the price table, on their own.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "flopwise/error.hpp"
#include "flopwise/remote/pricing.hpp"
#include "flopwise/remote/rate_limiter.hpp"
#include "flopwise/remote/retry_policy.hpp"
#include "test_env.hpp"

namespace flopwise::remote {
namespace {

TEST(RetryPolicy, RetriesTransientStatusesOnly) {
    for (long status : {408L, 409L, 429L, 500L, 502L, 503L, 504L, 599L}) EXPECT_TRUE(RetryPolicy::retryable_status(status)) << status;
    for (long status : {200L, 400L, 401L, 403L, 404L, 413L, 422L}) EXPECT_FALSE(RetryPolicy::retryable_status(status)) << status;
}

TEST(RetryPolicy, BacksOffExponentiallyWithJitterAndHonoursRetryAfter) {
    RetryPolicy policy;
    policy.base_delay_seconds = 1;
    policy.max_delay_seconds = 10;
    std::mt19937_64 rng(3);
    std::vector<double> delays;
    for (int retry = 1; retry <= 6; ++retry) {
        const double ceiling = std::min(10.0, std::ldexp(1.0, retry - 1));
        for (int k = 0; k < 50; ++k) {
            const double d = policy.delay_seconds(retry, std::nullopt, rng);
            EXPECT_GE(d, ceiling / 2);
            EXPECT_LE(d, ceiling);
            delays.push_back(d);
        }
    }
    std::sort(delays.begin(), delays.end());
    EXPECT_GT(std::unique(delays.begin(), delays.end()) - delays.begin(), 200) << "jitter spreads the delays";
    EXPECT_GE(policy.delay_seconds(1, 7.0, rng), 7.0);
    EXPECT_LE(policy.delay_seconds(1, 1e9, rng), policy.max_retry_after_seconds);
}

TEST(RetryPolicy, ParsesRetryAfterInSecondsDatesAndMilliseconds) {
    const auto now = std::chrono::system_clock::from_time_t(1700000000);  // Tue, 14 Nov 2023 22:13:20 GMT
    EXPECT_EQ(parse_retry_after("3", now), 3.0);
    EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now), 30.0);
    EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now), 0.0);
    EXPECT_EQ(parse_retry_after("", now), std::nullopt);
    EXPECT_EQ(parse_retry_after("soon", now), std::nullopt);
    EXPECT_EQ(parse_retry_after("-4", now), std::nullopt);
    EXPECT_EQ(parse_retry_after_ms("250"), 0.25);
    EXPECT_EQ(parse_retry_after_ms("x"), std::nullopt);
}

TEST(RateLimiter, HoldsRequestsAndTokensPerMinute) {
    const SteadyTime t0 = std::chrono::steady_clock::time_point(std::chrono::hours(1));
    const auto at = [&](double seconds) { return t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds)); };
    RateLimiter limiter(60, 0);  // one request a second, bursts of ten
    int started = 0;
    for (int k = 0; k < 20; ++k)
        if (limiter.wait(0, t0) == 0) {
            limiter.take(0, t0);
            ++started;
        }
    EXPECT_EQ(started, 10);
    EXPECT_NEAR(limiter.wait(0, t0), 1.0, 1e-9);
    EXPECT_EQ(limiter.wait(0, at(1.0)), 0.0);

    RateLimiter tokens(0, 6000);  // 100 tokens a second, up to 1000 at once
    EXPECT_EQ(tokens.wait(800, t0), 0.0);
    tokens.take(800, t0);
    EXPECT_NEAR(tokens.wait(800, t0), 6.0, 1e-9);
    tokens.settle(800, 200);  // the server counted fewer tokens than estimated
    EXPECT_EQ(tokens.wait(800, t0), 0.0);
    EXPECT_NEAR(tokens.wait(5000, t0), 2.0, 1e-9) << "a call bigger than the bucket waits for a full bucket";
    tokens.take(5000, t0);  // and leaves a debt that delays the calls after it
    EXPECT_NEAR(tokens.wait(1, t0), 42.01, 1e-6);
    RateLimiter unlimited(0, 0);
    EXPECT_EQ(unlimited.wait(1e9, t0), 0.0);
}

TEST(PriceTable, UserEntriesComeFirstAndBadEntriesAreNamed) {
    const std::string dir = test::temp_dir("prices");
    std::ofstream(dir + "/mine.yaml") << "prices:\n  - model: gpt-4o-mini*\n    input: 1\n    output: 2\n    reasoning: 3\n    source: my contract\n";
    const auto files = price_files(dir + "/mine.yaml");
    ASSERT_EQ(files.size(), 2u) << "the user's table, then pricing/prices.yaml";
    const PriceTable table = PriceTable::load(files);
    const auto mine = table.find("openai-chat", "gpt-4o-mini-2024-07-18");
    ASSERT_TRUE(mine);
    EXPECT_EQ(mine->input_per_million, 1);
    EXPECT_EQ(mine->reasoning_per_million, 3);
    const auto built_in = table.find("anthropic", "claude-3-5-haiku-20241022");
    ASSERT_TRUE(built_in);
    EXPECT_EQ(built_in->reasoning_per_million, built_in->output_per_million);
    EXPECT_FALSE(table.find("openai", "no-such-model"));

    std::ofstream(dir + "/bad.yaml") << "prices:\n  - model: m\n    input: cheap\n    output: 1\n";
    try {
        PriceTable::load({dir + "/bad.yaml"});
        FAIL() << "a price that is not a number must be refused";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("bad.yaml: prices[0]: field 'input'"), std::string::npos) << e.what();
    }
    std::ofstream(dir + "/typo.yaml") << "prices:\n  - model: m\n    input: 1\n    ouput: 1\n";
    EXPECT_THROW(PriceTable::load({dir + "/typo.yaml"}), Error);
}

}  // namespace
}  // namespace flopwise::remote

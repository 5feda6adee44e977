// A request's log-probs must not depend on what else shares its batch, on the step size, on
// shared-prefix reuse or on the thread count: the property that lets sharded runs reproduce a
// one-process run bit for bit.
#include <gtest/gtest.h>

#include <cstring>

#include "flopwise/continuation_split.hpp"
#include "flopwise/engine.hpp"
#include "test_env.hpp"

namespace flopwise {
namespace {

std::vector<ScoreRequest> make_requests(const Tokenizer& tokenizer) {
    const char* contexts[] = {"The quick brown fox jumps over the lazy dog. Then the fox",
                              "In 1969, the first humans landed on",
                              "Water boils at a temperature of"};
    const char* continuations[] = {" ran away into the forest.", " the Moon.", " 100 degrees Celsius at sea level.",
                                   " a cup of tea", " Mars"};
    std::vector<ScoreRequest> requests;
    for (const char* c : contexts)
        for (const char* x : continuations) requests.push_back(split_continuation(tokenizer, c, x));
    return requests;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_identical(const ScoreResult& a, const ScoreResult& b, const std::string& what) {
    ASSERT_EQ(a.token_logprobs.size(), b.token_logprobs.size()) << what;
    for (size_t i = 0; i < a.token_logprobs.size(); ++i)
        EXPECT_TRUE(same_bits(a.token_logprobs[i], b.token_logprobs[i]))
            << what << ": token " << i << ": " << a.token_logprobs[i] << " vs " << b.token_logprobs[i];
    EXPECT_EQ(a.greedy, b.greedy) << what;
}

std::vector<ScoreResult> score_with(const std::string& model, int32_t threads, int32_t batch_tokens, bool one_by_one) {
    Engine::Options options;
    options.threads = threads;
    options.batch_tokens = batch_tokens;
    auto engine = Engine::load(model, options);
    const auto requests = make_requests(engine->tokenizer());
    if (!one_by_one) return engine->score(requests);
    std::vector<ScoreResult> results;
    for (const auto& r : requests) results.push_back(engine->score({r}).front());
    return results;
}

class BatchInvariance : public ::testing::TestWithParam<std::string> {};

TEST_P(BatchInvariance, ScoresAreIdenticalAloneInBatchesAndAcrossThreadCounts) {
    const std::string model = test::model_path(GetParam());
    const auto alone = score_with(model, 1, 512, true);
    const auto batched = score_with(model, 2, 64, false);
    const auto small_steps = score_with(model, 2, 7, false);
    ASSERT_EQ(alone.size(), batched.size());
    for (size_t i = 0; i < alone.size(); ++i) {
        expect_identical(alone[i], batched[i], "request " + std::to_string(i) + " alone/1 thread vs batch 64/2 threads");
        expect_identical(alone[i], small_steps[i], "request " + std::to_string(i) + " alone vs steps of 7 tokens");
    }
}

TEST_P(BatchInvariance, SharedPrefixReuseMatchesOneWholePass) {
    auto engine = Engine::load(test::model_path(GetParam()));
    const auto requests = make_requests(engine->tokenizer());
    const auto scored = engine->score(requests);
    for (size_t i = 0; i < requests.size(); ++i) {
        std::vector<TokenId> whole = requests[i].context;
        whole.insert(whole.end(), requests[i].continuation.begin(), requests[i].continuation.end());
        const SequenceScore pass = engine->score_sequence(whole);
        const size_t offset = requests[i].context.size() - 1;
        for (size_t t = 0; t < requests[i].continuation.size(); ++t)
            EXPECT_TRUE(same_bits(pass.token_logprobs[offset + t], scored[i].token_logprobs[t]))
                << "request " << i << " token " << t << ": " << pass.token_logprobs[offset + t] << " vs "
                << scored[i].token_logprobs[t];
    }
}

TEST_P(BatchInvariance, TopLogprobsListTheMostLikelyTokensInOrder) {
    auto engine = Engine::load(test::model_path(GetParam()));
    auto requests = make_requests(engine->tokenizer());
    for (auto& r : requests) r.top_logprobs = 4;
    const auto plain = engine->score(make_requests(engine->tokenizer()));
    const auto scored = engine->score(requests);
    for (size_t i = 0; i < requests.size(); ++i) {
        expect_identical(plain[i], scored[i], "request " + std::to_string(i) + " with and without top_logprobs");
        ASSERT_EQ(scored[i].top_logprobs.size(), requests[i].continuation.size());
        for (size_t t = 0; t < requests[i].continuation.size(); ++t) {
            const TopLogprobs& top = scored[i].top_logprobs[t];
            ASSERT_EQ(top.size(), 4u);
            for (size_t k = 1; k < top.size(); ++k) EXPECT_GE(top[k - 1].logprob, top[k].logprob);
            EXPECT_GE(top.front().logprob, scored[i].token_logprobs[t]);
            for (const auto& alternative : top)
                if (alternative.token == requests[i].continuation[t]) {
                    EXPECT_TRUE(same_bits(alternative.logprob, scored[i].token_logprobs[t])) << "request " << i << " token " << t;
                }
        }
    }
}

TEST_P(BatchInvariance, GenerationIsIdenticalAloneAndDecodedTogether) {
    Engine::Options options;
    options.max_context = 256;
    auto engine = Engine::load(test::model_path(GetParam()), options);
    std::vector<GenerationRequest> requests;
    for (const char* prompt : {"The quick brown fox", "In 1969, the first humans", "Water boils at", "Once upon a time"}) {
        GenerationRequest r;
        r.prompt = engine->tokenizer().encode(prompt);
        r.max_tokens = 4 + static_cast<int32_t>(requests.size());
        r.logprobs = true;
        r.top_logprobs = 2;
        if (requests.size() % 2 == 1) {
            r.sampling.temperature = 0.9;
            r.sampling.seed = 40 + requests.size();
        }
        requests.push_back(std::move(r));
    }
    std::vector<size_t> progress_calls(requests.size(), 0);
    std::vector<size_t> finish_calls(requests.size(), 0);
    // Two start; the others join while they run (after the first and the third decode step).
    size_t calls = 0;
    const GenerationSource more = [&](size_t) {
        ++calls;
        if (calls == 1) return std::vector<GenerationRequest>{requests[2]};
        if (calls == 3) return std::vector<GenerationRequest>{requests[3]};
        return std::vector<GenerationRequest>{};
    };
    const auto observe = [&](size_t index, const GenerationResult& p) {
        ++(p.finish_reason.empty() ? progress_calls : finish_calls)[index];
        return true;
    };
    const auto together = engine->generate(std::span<const GenerationRequest>(requests.data(), 2), observe, nullptr, more);
    ASSERT_EQ(together.size(), requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
        const GenerationResult alone = engine->generate(requests[i]);
        const std::string what = "request " + std::to_string(i);
        EXPECT_EQ(alone.tokens, together[i].tokens) << what;
        EXPECT_EQ(alone.text, together[i].text) << what;
        EXPECT_EQ(alone.finish_reason, together[i].finish_reason) << what;
        ASSERT_EQ(alone.token_logprobs.size(), alone.tokens.size()) << what;
        ASSERT_EQ(together[i].token_logprobs.size(), alone.tokens.size()) << what;
        for (size_t t = 0; t < alone.tokens.size(); ++t) {
            EXPECT_TRUE(same_bits(alone.token_logprobs[t], together[i].token_logprobs[t])) << what << " token " << t;
            EXPECT_EQ(alone.top_logprobs[t].front().token, together[i].top_logprobs[t].front().token) << what;
            if (requests[i].sampling.temperature == 0.0) {
                EXPECT_EQ(alone.top_logprobs[t].front().token, alone.tokens[t]) << what;
            }
        }
        EXPECT_EQ(finish_calls[i], 1u) << what;
        // Every token is reported once: with its request's end when it is the last one.
        const size_t last_token_reported_at_end = together[i].finish_reason == "eos" ? 0 : 1;
        EXPECT_EQ(progress_calls[i] + last_token_reported_at_end, together[i].tokens.size()) << what;
    }
}

INSTANTIATE_TEST_SUITE_P(RealModels, BatchInvariance, ::testing::Values("gemma3-270m", "smollm2-135m"),
                         [](const auto& info) { return info.param == "gemma3-270m" ? std::string("gemma3") : std::string("smollm2"); });

}  // namespace
}  // namespace flopwise

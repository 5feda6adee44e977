// The engine against the float64 NumPy forward pass over the same decoded weights.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>

#include "flopwise/engine.hpp"
#include "flopwise/perplexity.hpp"
#include "ground_truth.hpp"
#include "test_env.hpp"

namespace flopwise {
namespace {

struct Deviation {
    double mean = 0.0;
    double max = 0.0;
    size_t worst = 0;
};

Deviation compare_logprobs(const SequenceScore& engine, const nlohmann::json& truth) {
    const auto& expected = truth.at("next_token_logprob");
    EXPECT_EQ(engine.token_logprobs.size(), expected.size());
    Deviation d;
    for (size_t i = 0; i < engine.token_logprobs.size() && i < expected.size(); ++i) {
        const double delta = std::abs(engine.token_logprobs[i] - expected[i].get<double>());
        d.mean += delta;
        if (delta > d.max) {
            d.max = delta;
            d.worst = i;
        }
    }
    d.mean /= static_cast<double>(std::max<size_t>(1, engine.token_logprobs.size()));
    return d;
}

// Quantized real models: float32 activations over exactly decoded weights stay close to float64.
class RealModelTruth : public ::testing::TestWithParam<std::string> {};

TEST_P(RealModelTruth, PerTokenLogprobsMatchFloat64Reference) {
    const std::string model = test::model_path(GetParam());
    auto engine = Engine::load(model);
    auto tokens = engine->tokenizer().encode(test::wikitext_paragraphs(40, 1500));
    ASSERT_GE(tokens.size(), 250u);
    tokens.resize(300 < tokens.size() ? 300 : tokens.size());
    const SequenceScore scored = engine->score_sequence(tokens);
    const Deviation d = compare_logprobs(scored, test::ground_truth_sequence(model, tokens));
    RecordProperty("mean_abs_nats", std::to_string(d.mean));
    RecordProperty("max_abs_nats", std::to_string(d.max));
    std::printf("%s over %zu tokens: mean |d logprob| %.5f nats, max %.5f at position %zu\n", GetParam().c_str(),
                tokens.size(), d.mean, d.max, d.worst);
    EXPECT_LE(d.mean, 0.02);
    EXPECT_LE(d.max, 0.15);
}

TEST_P(RealModelTruth, GreedyGenerationFollowsTheReferenceWhereItIsDecisive) {
    const std::string model = test::model_path(GetParam());
    auto engine = Engine::load(model);
    const char* prompts[] = {"The history of the Roman Empire", "def fibonacci(n):", "Photosynthesis is the process by which"};
    for (const char* prompt : prompts) {
        GenerationRequest request;
        request.prompt = engine->tokenizer().encode(prompt);
        request.max_tokens = 64;
        request.ignore_eos = true;
        const GenerationResult generated = engine->generate(request);
        ASSERT_EQ(generated.tokens.size(), 64u) << prompt;
        // Teacher-forced: one reference pass over the prompt and the engine's own output.
        std::vector<TokenId> all = request.prompt;
        all.insert(all.end(), generated.tokens.begin(), generated.tokens.end());
        const nlohmann::json truth = test::ground_truth_sequence(model, all);
        int decisive = 0;
        for (size_t step = 0; step < generated.tokens.size(); ++step) {
            const size_t position = request.prompt.size() - 1 + step;
            if (truth.at("top2_margin")[position].get<double>() < 0.2) continue;
            ++decisive;
            EXPECT_EQ(generated.tokens[step], truth.at("argmax")[position].get<TokenId>())
                << prompt << ": step " << step << " (reference margin " << truth.at("top2_margin")[position] << ")";
        }
        EXPECT_GT(decisive, 32) << prompt;
    }
}

TEST_P(RealModelTruth, WikiTextPerplexityMatchesReference) {
    const std::string model = test::model_path(GetParam());
    auto engine = Engine::load(model);
    std::ifstream in(test::shared_dir() + "/datasets/wikitext2/test.txt");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.resize(20000);  // more than two windows of 512 tokens
    const auto tokens = engine->tokenizer().encode(text);
    const PerplexityResult ours = windowed_perplexity(*engine, tokens, 512, 2);
    const nlohmann::json truth = test::ground_truth_perplexity(model, tokens, 512, 2);
    const double expected = truth.at("perplexity").get<double>();
    std::printf("%s perplexity (2 chunks of 512): engine %.5f, float64 reference %.5f\n", GetParam().c_str(), ours.perplexity, expected);
    EXPECT_EQ(ours.scored_tokens, truth.at("scored_tokens").get<int64_t>());
    EXPECT_LE(std::abs(ours.perplexity / expected - 1.0), 0.003);
}

INSTANTIATE_TEST_SUITE_P(Models, RealModelTruth, ::testing::Values("gemma3-270m", "smollm2-135m"),
                         [](const auto& info) { return info.param == "gemma3-270m" ? std::string("gemma3") : std::string("smollm2"); });

// Float32 random-weight models of the other architectures: nothing is quantized, so the engine
// must match float64 to float32 rounding.
class RandomModelTruth : public ::testing::TestWithParam<std::string> {};

TEST_P(RandomModelTruth, PerTokenLogprobsWithin1e4) {
    const std::string model = test::random_model(GetParam(), "F32");
    auto engine = Engine::load(model);
    const auto tokens = engine->tokenizer().encode(test::wikitext_paragraphs(10, 600));
    ASSERT_GE(tokens.size(), 64u);
    const SequenceScore scored = engine->score_sequence(tokens);
    const Deviation d = compare_logprobs(scored, test::ground_truth_sequence(model, tokens));
    std::printf("random %s F32 over %zu tokens: mean %.2e, max %.2e nats\n", GetParam().c_str(), tokens.size(), d.mean, d.max);
    EXPECT_LE(d.max, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Architectures, RandomModelTruth, ::testing::Values("llama", "qwen2"));

}  // namespace
}  // namespace flopwise

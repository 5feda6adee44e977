// Generation splits its counted FLOPs into prefill (the prompt) and decode steps (each generated
// token fed back), so results can report compute per prompt token and per generated token.
#include <gtest/gtest.h>

#include "flopwise/engine.hpp"
#include "test_env.hpp"

namespace flopwise {
namespace {

TEST(ComputeUsage, GenerationFlopsAreTheDecodeStepsOnly) {
    auto engine = Engine::load("gguf:" + test::model_path("smollm2-135m"));
    const ModelConfig& c = engine->config();
    GenerationRequest request;
    request.prompt = engine->tokenizer().encode("The quick brown fox jumps over the lazy dog because");
    request.max_tokens = 6;
    request.ignore_eos = true;
    ComputeUsage usage;
    const GenerationResult result = engine->generate(request, &usage);
    ASSERT_EQ(result.tokens.size(), 6u);

    const auto prompt = static_cast<uint64_t>(request.prompt.size());
    const uint64_t steps = result.tokens.size() - 1;  // the last token is never fed back
    EXPECT_EQ(usage.prompt_tokens, static_cast<int64_t>(prompt));
    EXPECT_EQ(usage.generated_tokens, 6);

    // Linear work is the same for every token, so it divides exactly between the phases.
    const FlopCounts prefill = usage.prefill_flops();
    ASSERT_EQ(prefill.linear % prompt, 0u);
    EXPECT_EQ(usage.generation_flops.linear, steps * (prefill.linear / prompt));
    // Logits: one position at the end of the prompt, then one per decode step.
    const uint64_t head = 2ull * static_cast<uint64_t>(c.n_embd) * static_cast<uint64_t>(c.n_vocab);
    EXPECT_EQ(prefill.lm_head, head);
    EXPECT_EQ(usage.generation_flops.lm_head, steps * head);
    // Each decode step attends over everything before it: more per token than the prompt's average.
    EXPECT_GT(usage.generation_flops.attention / steps, prefill.attention / prompt);
    EXPECT_EQ(usage.flops.total(), prefill.total() + usage.generation_flops.total());
}

}  // namespace
}  // namespace flopwise

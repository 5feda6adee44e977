#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "flopwise/compute/flops_estimate.hpp"
#include "flopwise/compute/model_card.hpp"
#include "flopwise/engine.hpp"
#include "flopwise/error.hpp"
#include "test_env.hpp"

namespace flopwise::compute {
namespace {

using test::source_path;

ModelCard registry_card(const std::string& name) { return load_model_card(source_path("cards/" + name + ".yaml")); }

// A small card with every kind of layer and a MoE layer, for the closed forms.
ModelCard mixed_card() {
    ModelCard card;
    card.name = "mixed";
    CardArchitecture& a = card.architecture;
    a.layers = 4;
    a.hidden_size = 32;
    a.heads = 4;
    a.kv_heads = 2;
    a.head_dim = 8;
    a.vocab_size = 100;
    a.ffn_size = 48;
    a.layer_attention = {{AttentionKind::sliding, 5}, {AttentionKind::chunked, 7}, {AttentionKind::global, 0}, {AttentionKind::sliding, 1}};
    a.moe = MixtureOfExperts{8, 2, 1, 16, 2};
    return card;
}

// Reference for the attention term: walk every query position and layer.
double attention_by_walking(const ModelCard& card, int64_t first, int64_t tokens) {
    const CardArchitecture& a = card.architecture;
    double flops = 0;
    for (const auto& layer : a.layer_attention)
        for (int64_t p = first; p < first + tokens; ++p) {
            int64_t keys = p + 1;
            if (layer.kind == AttentionKind::sliding) keys = std::min<int64_t>(keys, layer.span);
            if (layer.kind == AttentionKind::chunked) keys = p % layer.span + 1;
            flops += 4.0 * static_cast<double>(keys * a.heads * a.head_dim);
        }
    return flops;
}

TEST(FlopsEstimate, ClosedFormsMatchAWalkOverPositions) {
    const ModelCard card = mixed_card();
    for (int64_t first : {0, 1, 4, 6, 13, 50})
        for (int64_t tokens : {0, 1, 2, 5, 7, 8, 31})
            EXPECT_DOUBLE_EQ(forward_flops(card, first, tokens, 0).attention_scores, attention_by_walking(card, first, tokens))
                << first << " + " << tokens;
}

TEST(FlopsEstimate, LinearTermsFollowTheShapes) {
    const ModelCard card = mixed_card();
    const FlopsBreakdown f = forward_flops(card, 3, 10, 4);
    const double d = 32, q = 32, kv = 16;
    EXPECT_DOUBLE_EQ(f.attention_projections, 4 * 10 * 2 * (d * (q + 2 * kv) + q * d));
    // Layers 1 and 3 are MoE layers (layer_step 2): router + 2 routed + 1 shared expert; 0 and 2 dense.
    const double dense = 2 * 3 * d * 48, moe = 2 * (d * 8 + 3 * 3 * d * 16);
    EXPECT_DOUBLE_EQ(f.mlp, 10 * (2 * dense + 2 * moe));
    EXPECT_DOUBLE_EQ(f.lm_head, 4 * 2 * d * 100);
    EXPECT_EQ(f.embedding, 0.0);
    EXPECT_THROW(forward_flops(card, 0, 2, 3), Error);
}

TEST(FlopsEstimate, PrefillIsTheAverageAndDecodeOneMoreToken) {
    const ModelCard card = registry_card("llama-3.1-8b");
    const FlopsEstimate e = estimate_flops(card, 1000);
    const FlopsBreakdown whole = forward_flops(card, 0, 1000, 1000);
    EXPECT_DOUBLE_EQ(e.prefill.total(), whole.total() / 1000);
    EXPECT_DOUBLE_EQ(e.decode.total(), forward_flops(card, 1000, 1, 1).total());
    EXPECT_GT(e.decode.attention_scores, e.prefill.attention_scores);
    EXPECT_EQ(e.params_total, card.params_total());
    // 2N per token for the linear layers, N the parameters outside the embedding table and the norms.
    const CardArchitecture& a = card.architecture;
    const int64_t norms = (2 * a.layers + 1) * a.hidden_size;
    EXPECT_DOUBLE_EQ(e.decode.attention_projections + e.decode.mlp + e.decode.lm_head,
                     2.0 * static_cast<double>(card.params_total() - a.vocab_size * a.hidden_size - norms));
    EXPECT_THROW(estimate_flops(card, 0), Error);
}

// Kaplan et al.'s C_forward = 2N + 2 n_layer n_ctx d_attn counts the same work as the prefill average
// without the LM head for dense models with global attention: within 1% here (the gap is the norm
// parameters in N and (L+1)/L from the query seeing itself). Windowed layers fall below it.
TEST(FlopsEstimate, KaplanCrossCheck) {
    for (const char* name : {"llama-2-7b", "llama-2-70b", "llama-3.1-8b", "llama-3.1-405b", "llama-3.2-1b", "qwen2.5-0.5b", "smollm2-135m"})
        for (int64_t context : {128, 2048, 8192}) {
            const ModelCard card = registry_card(name);
            const FlopsEstimate e = estimate_flops(card, context);
            EXPECT_NEAR((e.prefill.total() - e.prefill.lm_head) / kaplan_forward_flops(card, context), 1.0, 0.01) << name << " L=" << context;
        }
    const ModelCard gemma = registry_card("gemma-3-1b");
    const FlopsEstimate at_8k = estimate_flops(gemma, 8192);
    EXPECT_LT(at_8k.prefill.total() - at_8k.prefill.lm_head, 0.9 * kaplan_forward_flops(gemma, 8192));
}

TEST(FlopsEstimate, MixtureOfExpertsCountsOnlyTheRoutedExperts) {
    const ModelCard scout = registry_card("llama-4-scout"), maverick = registry_card("llama-4-maverick");
    // Same active shape: one routed and one shared expert of 8192 in every layer (Scout) versus a
    // dense 16384 MLP every other layer (Maverick) - the same per-token cost.
    const FlopsEstimate s = estimate_flops(scout, 4096), m = estimate_flops(maverick, 4096);
    EXPECT_NEAR(s.decode.mlp / m.decode.mlp, 1.0, 0.001);
    // 2N per token over the active parameters (the router included) outside the embedding table and the norms.
    const CardArchitecture& a = scout.architecture;
    const int64_t norms = (2 * a.layers + 1) * a.hidden_size;
    EXPECT_DOUBLE_EQ(s.decode.total() - s.decode.attention_scores,
                     2.0 * static_cast<double>(scout.params_active() - a.vocab_size * a.hidden_size - norms));
    // Chunked layers: past 8192 tokens three layers in four see at most one chunk.
    const FlopsEstimate far = estimate_flops(scout, 100000);
    const double global_only = 4.0 * 100001 * 40 * 128 * 48;
    EXPECT_LT(far.decode.attention_scores, 0.3 * global_only);
}

TEST(FlopsEstimate, TrainingComputeIsSixND) {
    const ModelCard card = registry_card("llama-4-maverick");
    ASSERT_TRUE(training_flops(card).has_value());
    EXPECT_DOUBLE_EQ(*training_flops(card), 6.0 * static_cast<double>(card.params_active()) * 22e12);
    EXPECT_FALSE(training_flops(mixed_card()).has_value());
}

std::vector<TokenId> some_tokens(size_t n) {
    std::vector<TokenId> tokens;
    for (size_t i = 0; i < n; ++i) tokens.push_back(static_cast<TokenId>(10 + (i * 7919) % 1000));
    return tokens;
}

void expect_within_one_percent(const FlopCounts& counted, const FlopsBreakdown& estimated, const std::string& what) {
    const auto close = [&](double estimate, uint64_t count, const char* part) {
        ASSERT_GT(count, 0u) << what << " " << part;
        EXPECT_NEAR(estimate / static_cast<double>(count), 1.0, 0.01) << what << " " << part << ": estimated " << estimate << ", counted " << count;
    };
    close(estimated.attention_projections + estimated.mlp, counted.linear, "linear");
    close(estimated.attention_scores, counted.attention, "attention");
    close(estimated.lm_head, counted.lm_head, "lm_head");
}

// The analytic count against the FLOPs the engine's kernels count, on the same requests: a
// scored sequence (logits from position `first` on, in steps of batch_tokens) and a generation
// (prefill with one logit row, then one token per step) and multiple-choice scoring.
void expect_engine_agreement(const std::string& model, const ModelCard& card, size_t sequence_tokens, int32_t generated) {
    Engine::Options options;
    options.threads = 2;
    options.batch_tokens = 256;
    auto engine = Engine::load(model, options);
    const std::vector<TokenId> tokens = some_tokens(sequence_tokens);
    const size_t first = sequence_tokens - 16;  // few logit rows: the LM head of a 262k vocabulary is costly
    ComputeUsage scored;
    engine->score_sequence(tokens, &scored, first);
    const int64_t pushed = static_cast<int64_t>(sequence_tokens) - 1;
    expect_within_one_percent(scored.flops, forward_flops(card, 0, pushed, pushed - static_cast<int64_t>(first)), card.name + " score_sequence");

    GenerationRequest request;
    request.prompt = some_tokens(40);
    request.max_tokens = generated;
    request.ignore_eos = true;
    ComputeUsage generation;
    engine->generate(request, &generation);
    FlopsBreakdown expected = forward_flops(card, 0, 40, 1);
    for (int32_t i = 0; i + 1 < generated; ++i) expected += forward_flops(card, 40 + i, 1, 1);
    expect_within_one_percent(generation.flops, expected, card.name + " generate");

    // Multiple-choice scoring: two continuations share a context, which is computed once with one
    // logit row; each continuation's remaining tokens run after it with logits at every one.
    const std::vector<TokenId> context = some_tokens(90), other = some_tokens(30);
    const std::vector<ScoreRequest> requests = {{context, {5, 6, 7}}, {context, {8, 9, 10, 11, 12}}, {other, {13}}, {other, {14, 15}}};
    ComputeUsage scoring;
    engine->score(requests, &scoring);
    FlopsBreakdown expected_scoring = forward_flops(card, 0, 90, 1);
    expected_scoring += forward_flops(card, 90, 2, 2);
    expected_scoring += forward_flops(card, 90, 4, 4);
    expected_scoring += forward_flops(card, 0, 30, 1);
    expected_scoring += forward_flops(card, 30, 1, 1);
    expect_within_one_percent(scoring.flops, expected_scoring, card.name + " score");
}

// Gemma 3 270M past its 512-token window, so the sliding layers are exercised.
TEST(FlopsEstimate, MatchesTheEngineOnGemma3) {
    expect_engine_agreement(test::model_path("gemma3-270m"), registry_card("gemma-3-270m"), 560, 4);
}

TEST(FlopsEstimate, MatchesTheEngineOnSmolLM2) {
    expect_engine_agreement(test::model_path("smollm2-135m"), registry_card("smollm2-135m"), 300, 4);
}

TEST(FlopsEstimate, MatchesTheEngineOnARandomQwen2Model) {
    // The same file the engine tests write (tests/unit/engine/ground_truth.cpp), made here when missing.
    const std::string path = test::binary_path("test-models/random-qwen2-F32.gguf");
    if (!std::filesystem::exists(path)) {
        std::filesystem::create_directories(test::binary_path("test-models"));
        const std::string partial = path + ".compute-partial";
        test::run_command(test::python() + " " + source_path("tools/make_random_model.py") + " --arch qwen2 --type F32 --shape tiny --seed 7 --vocab " +
                          test::shared_dir() + "/tokenizer-vectors/ggml-vocab-qwen2.gguf --out " + partial);
        std::filesystem::rename(partial, path);
    }
    auto engine = Engine::load(path);
    const ModelCard card = model_card_from_config(engine->config(), "random-qwen2");
    EXPECT_EQ(card.params_total(), engine->parameter_count());
    expect_engine_agreement(path, card, 700, 8);
}

}  // namespace
}  // namespace flopwise::compute

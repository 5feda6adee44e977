#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "flopwise/compute/model_card.hpp"
#include "flopwise/engine.hpp"
#include "flopwise/error.hpp"
#include "flopwise/eval/task_registry.hpp"
#include "test_env.hpp"

namespace flopwise::compute {
namespace {

using test::source_path;
using test::temp_dir;

// Points the registry at a directory for the life of one test.
class CardsDir {
public:
    explicit CardsDir(const std::string& dir) { setenv("FLOPWISE_CARDS_DIR", dir.c_str(), 1); }
    ~CardsDir() { unsetenv("FLOPWISE_CARDS_DIR"); }
};

const char* kValidCard = R"(display_name: Tiny
family: test
aliases: [org/Tiny]
architecture_source: made up for a test
architecture:
  layers: 4
  hidden_size: 64
  heads: 4
  kv_heads: 2
  vocab_size: 1000
  ffn: {type: gated, size: 128}
  tied_embeddings: true
published:
  - {task: hellaswag, metric: acc_norm, value: 41.5, num_fewshot: 10, source: a paper}
)";

std::string write_card(const std::string& dir, const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name + ".yaml";
    std::ofstream(path) << text;
    return path;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    if (at == std::string::npos) throw std::runtime_error("test card has no '" + from + "'");
    return text.replace(at, from.size(), to);
}

// Loading the card with `from` replaced by `to` fails with a message holding every `expected` piece.
void expect_card_error(const std::string& from, const std::string& to, const std::vector<std::string>& expected) {
    const std::string dir = temp_dir("cards");
    const std::string path = write_card(dir, "tiny", replaced(kValidCard, from, to));
    try {
        load_model_card(path);
        FAIL() << "no error for '" << to << "'";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(path), std::string::npos) << message;
        for (const auto& piece : expected) EXPECT_NE(message.find(piece), std::string::npos) << "'" << piece << "' not in: " << message;
    }
}

TEST(ModelCard, ValidCardLoads) {
    const std::string dir = temp_dir("cards");
    const ModelCard card = load_model_card(write_card(dir, "tiny", kValidCard));
    EXPECT_EQ(card.name, "tiny");
    EXPECT_EQ(card.display_name, "Tiny");
    EXPECT_FALSE(card.baseline);
    EXPECT_EQ(card.architecture.head_dim, 16);
    EXPECT_EQ(card.architecture.layer_attention.size(), 4u);
    ASSERT_EQ(card.published.size(), 1u);
    EXPECT_DOUBLE_EQ(card.published[0].value, 0.415);
    EXPECT_EQ(card.published[0].num_fewshot, 10);
    // 1000x64 tied table; per layer q,o 64x64, k,v 64x32, MLP 3 x 64x128, two norms; the final norm.
    const int64_t layer = 2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 128 + 2 * 64;
    EXPECT_EQ(card.params_total(), 1000 * 64 + 4 * layer + 64);
    EXPECT_EQ(card.params_active(), card.params_total());
}

TEST(ModelCard, ValidationErrorsNameFileAndField) {
    expect_card_error("family: test", "family: test\ncolour: blue", {"colour", "unknown field"});
    expect_card_error("display_name: Tiny\n", "", {"display_name", "is required"});
    expect_card_error("hidden_size: 64", "hidden_size: -64", {"hidden_size", "must be an integer"});
    expect_card_error("layers: 4", "layers: 0", {"layers"});
    expect_card_error("kv_heads: 2", "kv_heads: 3", {"kv_heads", "does not divide heads"});
    expect_card_error("heads: 4", "heads: 6", {"head_dim", "not a multiple of heads"});
    expect_card_error("ffn: {type: gated, size: 128}", "ffn: {type: swiglu, size: 128}", {"type", "gated"});
    expect_card_error("ffn: {type: gated, size: 128}", "ffn: {type: gated}", {"size", "is required"});
    expect_card_error("  tied_embeddings: true\n", "", {"tied_embeddings", "is required"});
    expect_card_error("tied_embeddings: true", "tied_embeddings: true\n  attention: {pattern: [local, global], sliding_window: 8}",
                      {"pattern", "unknown layer kind 'local'"});
    expect_card_error("tied_embeddings: true", "tied_embeddings: true\n  attention: {pattern: [sliding, global]}",
                      {"sliding_window", "is required"});
    expect_card_error("tied_embeddings: true", "tied_embeddings: true\n  attention: {pattern: [global], chunk_size: 8}",
                      {"chunk_size", "no layer"});
    expect_card_error("tied_embeddings: true",
                      "tied_embeddings: true\n  moe: {experts: 4, experts_per_token: 5, expert_ffn_size: 32}", {"experts_per_token"});
    expect_card_error("tied_embeddings: true", "tied_embeddings: true\n  moe: {experts: 4, expert_ffn_size: 32}",
                      {"experts_per_token", "is required"});
    expect_card_error("value: 41.5", "value: 141.5", {"value", "percentage"});
    expect_card_error("value: 41.5", "value: high", {"value", "must be a number"});
    expect_card_error("task: hellaswag", "task: HellaSwag 10-shot", {"task", "flopwise task name"});
    expect_card_error(", source: a paper", "", {"source", "is required"});
    expect_card_error("family: test", "family: test\ntraining_tokens: 1e12", {"training_tokens_source", "is required"});
    expect_card_error("family: test", "family: [", {"malformed YAML"});
}

TEST(ModelCard, UnknownCardListsTheKnownOnes) {
    const std::string dir = temp_dir("cards");
    write_card(dir, "tiny", kValidCard);
    CardsDir cards(dir);
    try {
        load_model_card("llama-9");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("llama-9"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("known cards: tiny"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(find_model_card("llama-9").has_value());
    ASSERT_TRUE(find_model_card("ORG/tiny").has_value());  // aliases match without regard to case
    EXPECT_EQ(find_model_card("org/Tiny")->name, "tiny");
}

TEST(ModelCard, AnAliasClaimedTwiceIsAnError) {
    const std::string dir = temp_dir("cards");
    write_card(dir, "tiny", kValidCard);
    write_card(dir, "other", replaced(kValidCard, "display_name: Tiny", "display_name: Other"));
    CardsDir cards(dir);
    try {
        load_all_model_cards();
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("'org/Tiny' is also claimed by"), std::string::npos) << e.what();
    }
}

TEST(ModelCard, RegistryCardsLoadAndCiteTheirSources) {
    CardsDir cards(source_path("cards"));
    const auto all = load_all_model_cards();
    std::set<std::string> names;
    for (const auto& card : all) {
        names.insert(card.name);
        EXPECT_FALSE(card.architecture_source.empty()) << card.name;
        EXPECT_EQ(card.architecture_source.rfind("https://", 0), 0u) << card.name;
        if (card.family != "llama") {
            EXPECT_FALSE(card.baseline) << card.name;
        }
        EXPECT_TRUE(card.training_tokens.has_value()) << card.name;
    }
    for (const char* expected : {"llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b",
                                 "llama-3.2-1b", "llama-3.2-3b", "llama-4-scout", "llama-4-maverick", "gemma-3-270m", "gemma-3-1b",
                                 "qwen2.5-0.5b", "smollm2-135m"})
        EXPECT_TRUE(names.count(expected)) << expected;
    for (const auto& card : all)
        if (card.name.rfind("llama-", 0) == 0) {
            EXPECT_TRUE(card.baseline) << card.name;
        }
    ASSERT_TRUE(find_model_card("meta-llama/Llama-3.1-8B-Instruct").has_value());
    EXPECT_EQ(find_model_card("meta-llama/Llama-3.1-8B-Instruct")->name, "llama-3.1-8b");
    ASSERT_TRUE(find_model_card("Gemma 3 270m").has_value());  // the general.name of the pip model's GGUF file
    EXPECT_EQ(find_model_card("Gemma 3 270m")->name, "gemma-3-270m");
}

// Every published figure names a task of suites/ and a metric that task (or each task of the
// group) reports, so reports can set it beside measured numbers.
TEST(ModelCard, PublishedScoresUseFlopwiseTaskAndMetricNames) {
    CardsDir cards(source_path("cards"));
    const auto registry = eval::TaskRegistry::load(source_path("suites"));
    for (const auto& card : load_all_model_cards())
        for (const auto& score : card.published) {
            std::vector<std::string> tasks = {score.task};
            if (const auto* suite = registry.find_suite(score.task)) tasks = registry.tasks_under(*suite);
            for (const auto& name : tasks) {
                const eval::TaskConfig* task = registry.find_task(name);
                ASSERT_NE(task, nullptr) << card.name << ": " << score.task;
                bool reported = false;
                for (const auto& metric : task->metrics) reported |= metric.name == score.metric;
                EXPECT_TRUE(reported) << card.name << ": " << name << " does not report " << score.metric;
            }
            EXPECT_GT(score.value, 0.0);
            EXPECT_LE(score.value, 1.0);
            EXPECT_FALSE(score.source.empty());
        }
}

// Published parameter counts (Meta's model cards and Hugging Face's safetensors totals).
TEST(ModelCard, LlamaParameterCountsMatchThePublishedSizes) {
    CardsDir cards(source_path("cards"));
    struct Size {
        const char* card;
        double total, active, tolerance;
    };
    // Llama 4's published totals include the vision encoder the cards leave out, hence 2%.
    for (const Size& s : {Size{"llama-2-7b", 6.74e9, 6.74e9, 0.01}, Size{"llama-2-13b", 13.0e9, 13.0e9, 0.01},
                          Size{"llama-2-70b", 69.0e9, 69.0e9, 0.01}, Size{"llama-3.1-8b", 8.03e9, 8.03e9, 0.01},
                          Size{"llama-3.1-70b", 70.6e9, 70.6e9, 0.01}, Size{"llama-3.1-405b", 405.9e9, 405.9e9, 0.01},
                          Size{"llama-3.2-1b", 1.24e9, 1.24e9, 0.01}, Size{"llama-3.2-3b", 3.21e9, 3.21e9, 0.01},
                          Size{"llama-4-scout", 109e9, 17e9, 0.02}, Size{"llama-4-maverick", 400e9, 17e9, 0.02}}) {
        const ModelCard card = load_model_card(s.card);
        EXPECT_NEAR(static_cast<double>(card.params_total()) / s.total, 1.0, s.tolerance) << s.card << " total " << card.params_total();
        EXPECT_NEAR(static_cast<double>(card.params_active()) / s.active, 1.0, s.tolerance) << s.card << " active " << card.params_active();
    }
}

// The registry's cards of the models the engine runs describe those very files: same parameter
// count as the GGUF tensors, same hyper-parameters as the card the engine's config gives.
TEST(ModelCard, RegistryCardsMatchTheRealModels) {
    CardsDir cards(source_path("cards"));
    for (const auto& [model, card_name] : {std::pair{"gemma3-270m", "gemma-3-270m"}, std::pair{"smollm2-135m", "smollm2-135m"}}) {
        auto engine = Engine::load(test::model_path(model));
        const ModelCard card = load_model_card(card_name);
        EXPECT_EQ(card.params_total(), engine->parameter_count()) << card_name;
        const ModelCard from_gguf = model_card_from_config(engine->config(), card_name);
        EXPECT_EQ(from_gguf.params_total(), engine->parameter_count()) << card_name;
        const CardArchitecture &a = card.architecture, &b = from_gguf.architecture;
        EXPECT_EQ(a.layers, b.layers);
        EXPECT_EQ(a.hidden_size, b.hidden_size);
        EXPECT_EQ(a.heads, b.heads);
        EXPECT_EQ(a.kv_heads, b.kv_heads);
        EXPECT_EQ(a.head_dim, b.head_dim);
        EXPECT_EQ(a.vocab_size, b.vocab_size);
        EXPECT_EQ(a.ffn_size, b.ffn_size);
        EXPECT_EQ(a.tied_embeddings, b.tied_embeddings);
        ASSERT_EQ(a.layer_attention.size(), b.layer_attention.size());
        for (size_t il = 0; il < a.layer_attention.size(); ++il) {
            EXPECT_EQ(a.layer_attention[il].kind, b.layer_attention[il].kind) << card_name << " layer " << il;
            EXPECT_EQ(a.layer_attention[il].span, b.layer_attention[il].span) << card_name << " layer " << il;
        }
    }
}

}  // namespace
}  // namespace flopwise::compute

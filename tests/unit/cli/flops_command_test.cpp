// `flopwise flops`: the FLOPs-per-token report from a model card or a GGUF model.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_env.hpp"

namespace flopwise {
namespace {

std::string flopwise(const std::string& arguments) {
    std::string command = test::binary_path("flopwise");
    command += " ";
    command += arguments;
    return test::run_command(command);
}

nlohmann::json flops_json(const std::string& arguments) {
    std::string command = "flops ";
    command += arguments;
    command += " --json";
    return nlohmann::json::parse(flopwise(command));
}

TEST(FlopsCommand, ReportsACardAsJson) {
    const nlohmann::json out = flops_json("--card llama-3.1-8b --context 2048");
    EXPECT_EQ(out["model"], "llama-3.1-8b");
    EXPECT_EQ(out["context"], 2048);
    EXPECT_NEAR(out["params_total"].get<double>() / 8.03e9, 1.0, 0.01);
    EXPECT_EQ(out["params_total"], out["params_active"]);
    const auto& prefill = out["breakdown"]["prefill"];
    EXPECT_DOUBLE_EQ(out["flops_per_token"]["prefill"].get<double>(), prefill["total"].get<double>());
    EXPECT_DOUBLE_EQ(prefill["total"].get<double>(), prefill["embedding"].get<double>() + prefill["attention_projections"].get<double>() +
                                                         prefill["attention_scores"].get<double>() + prefill["mlp"].get<double>() +
                                                         prefill["lm_head"].get<double>());
    EXPECT_GT(out["flops_per_token"]["decode"].get<double>(), out["flops_per_token"]["prefill"].get<double>());
    EXPECT_NEAR(out["kaplan"]["ratio"].get<double>(), 1.0, 0.01);
    EXPECT_DOUBLE_EQ(out["training"]["flops_6nd"].get<double>(), 6.0 * out["params_active"].get<double>() * 15e12);
    EXPECT_NE(out["convention"].get<std::string>().find("multiply-add is 2 FLOPs"), std::string::npos);
}

TEST(FlopsCommand, FindsCardsByAliasAndCountsActiveExperts) {
    const nlohmann::json out = flops_json("--card meta-llama/Llama-4-Maverick-17B-128E-Instruct");
    EXPECT_EQ(out["model"], "llama-4-maverick");
    EXPECT_NEAR(out["params_active"].get<double>() / 17e9, 1.0, 0.02);
    EXPECT_NEAR(out["params_total"].get<double>() / 400e9, 1.0, 0.01);
}

// A GGUF model gets the same numbers as its registry card.
TEST(FlopsCommand, ModelFileMatchesItsCard) {
    const nlohmann::json from_model = flops_json("--model " + test::model_path("smollm2-135m") + " --context 512");
    const nlohmann::json from_card = flops_json("--card smollm2-135m --context 512");
    EXPECT_EQ(from_model["params_total"], 134515008);
    EXPECT_EQ(from_model["params_total"], from_card["params_total"]);
    EXPECT_EQ(from_model["breakdown"], from_card["breakdown"]);
    EXPECT_TRUE(from_model["training"].is_null());
}

TEST(FlopsCommand, ListsTheRegistryAndPrintsText) {
    const nlohmann::json list = nlohmann::json::parse(flopwise("flops --list --json"));
    ASSERT_GE(list["cards"].size(), 14u);
    size_t baselines = 0;
    for (const auto& card : list["cards"]) baselines += card["baseline"].get<bool>();
    EXPECT_EQ(baselines, 10u);
    const std::string text = flopwise("flops --card gemma-3-270m --context 4096");
    for (const char* piece : {"Gemma 3 270M", "attention scores + values", "LM head", "Kaplan", "6 N D", "convention:"})
        EXPECT_NE(text.find(piece), std::string::npos) << piece << " not in:\n" << text;
}

TEST(FlopsCommand, RejectsBadFlags) {
    for (const auto& [arguments, message] :
         {std::pair{"flops", "exactly one of --card NAME and --model M"}, std::pair{"flops --card a --model b.gguf", "exactly one of"},
          std::pair{"flops --card llama-9", "known cards:"}, std::pair{"flops --card llama-3.1-8b --context 0", "--context must be an integer"},
          std::pair{"flops --list --card llama-3.1-8b", "--list takes no --card"}, std::pair{"flops --card llama-3.1-8b --colour red", "unknown flag --colour"},
          std::pair{"flops --model /nonexistent/m.gguf", "/nonexistent/m.gguf"}})
        test::expect_bad_input(arguments, message);
}

}  // namespace
}  // namespace flopwise

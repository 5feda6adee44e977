// `flopwise run` with remote backends end to end, against the loopback API server: the silent
// echo failure stops the run naming the task, keys never reach any output, a run whose requests
// finally failed recomputes exactly those on resume, and usage, reasoning tokens and cost land in
// results.json.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "api_server.hpp"
#include "flopwise/compute/flops_estimate.hpp"
#include "test_env.hpp"

namespace flopwise {
namespace {

nlohmann::json results_of(const std::string& dir) { return nlohmann::json::parse(test::read_file(dir + "/results.json")); }

std::string common_flags(const test::ApiServer& server) {
    return "--base-url " + server.url() + "/v1 --progress none --bootstrap-iters 0 --retry-delay 0.01 --request-timeout 5";
}

TEST(RemoteRun, AServerThatEchoesWithoutLogprobsStopsTheRunNamingTheTask) {
    test::ApiServer server({"--silent-echo"});
    const auto r = test::run_flopwise("run --model openai:test-model --tasks arc_easy --limit 3 --no-cache " + common_flags(server));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("task 'arc_easy'"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("without log-probabilities for the prompt"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("cannot score loglikelihood requests"), std::string::npos) << r.output;
}

TEST(RemoteRun, TheApiKeyNeverReachesOutputsCachesOrMessages) {
    const std::string sentinel = "sk-SENTINEL-5d41402abc4b2a76b9719d911017c592";
    const std::string dir = test::temp_dir("key-leak");
    std::string everything;
    {
        test::ApiServer server({});
        const auto r = test::run_flopwise("run --model openai-chat:test-model --tasks gsm8k --limit 3 --api-key-env MY_TEST_KEY --output " + dir +
                                              "/ok " + common_flags(server),
                                          {"MY_TEST_KEY=" + sentinel});
        EXPECT_EQ(r.exit_code, 0) << r.output;
        everything += r.output;
        const auto log = server.log();
        ASSERT_FALSE(log.empty());
        EXPECT_EQ(log[0]["headers"]["Authorization"], "Bearer " + sentinel) << "the key is sent";
    }
    {
        test::ApiServer server({"--reject-key"});  // a 401 whose message quotes the key
        const auto r = test::run_flopwise("run --model anthropic:test-model --tasks gsm8k --limit 2 --output " + dir + "/rejected " + common_flags(server),
                                          {"ANTHROPIC_API_KEY=" + sentinel});
        EXPECT_EQ(r.exit_code, 1) << r.output;
        everything += r.output;
        EXPECT_NE(test::read_file(dir + "/rejected/samples/gsm8k.jsonl").find("Incorrect API key provided: [redacted]"), std::string::npos);
    }
    int files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
        if (entry.is_regular_file()) {
            everything += test::read_file(entry.path().string());
            ++files;
        }
    EXPECT_GE(files, 6) << "results, samples and caches of both runs";
    EXPECT_EQ(everything.find(sentinel), std::string::npos) << "the key leaked";
    EXPECT_EQ(everything.find("SENTINEL"), std::string::npos) << "part of the key leaked";
}

TEST(RemoteRun, FailedRequestsAreRecordedAndOnlyTheyAreAskedAgainOnResume) {
    const std::string dir = test::temp_dir("remote-resume");
    const std::string run = "run --model openai:test-model --tasks arc_easy --limit 12 --max-retries 1 --output " + dir;
    std::set<std::string> failed_keys;
    int64_t failed = 0, unique = 0;
    {
        test::ApiServer flaky({"--always-fail-modulo", "3"});
        const auto r = test::run_flopwise(run + " " + common_flags(flaky));
        EXPECT_EQ(r.exit_code, 1) << r.output;
        EXPECT_NE(r.output.find("documents failed"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("retries (http_500"), std::string::npos) << r.output;
        const auto results = results_of(dir);
        failed = results["totals"]["requests"]["failed"];
        unique = results["totals"]["requests"]["unique"];
        EXPECT_GT(failed, 0);
        EXPECT_LT(failed, unique);
        EXPECT_GT(results["tasks"]["arc_easy"]["documents"]["failed"].get<int>(), 0);
        EXPECT_EQ(results["totals"]["backend"]["failed"], failed);
        EXPECT_EQ(results["totals"]["backend"]["retries_by_reason"]["http_500"], failed) << "one retry each";
        for (const auto& entry : flaky.log())
            if (!entry["fault"].is_null()) failed_keys.insert(entry["key"]);
        EXPECT_EQ(static_cast<int64_t>(failed_keys.size()), failed);
    }
    test::ApiServer healthy({});
    const auto r = test::run_flopwise(run + " " + common_flags(healthy));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const auto log = healthy.log();
    EXPECT_EQ(static_cast<int64_t>(log.size()), failed);
    for (const auto& entry : log) EXPECT_TRUE(failed_keys.count(entry["key"])) << "asked again although it had an answer";
    const auto results = results_of(dir);
    EXPECT_EQ(results["totals"]["requests"]["computed"], failed);
    EXPECT_EQ(results["totals"]["requests"]["from_cache"], unique - failed);
    EXPECT_EQ(results["totals"]["requests"]["failed"], 0);
    EXPECT_EQ(results["tasks"]["arc_easy"]["documents"]["scored"], 12);
}

TEST(RemoteRun, ReasoningTokensAndCostAreReportedApartFromTheOutput) {
    test::ApiServer server({});
    const std::string dir = test::temp_dir("reasoning");
    std::ofstream(dir + "/prices.yaml") << "prices:\n  - model: test-*\n    input: 1\n    output: 2\n    reasoning: 4\n    source: test\n";
    const auto r = test::run_flopwise("run --model openai-responses:test-model --card llama-3.1-8b --tasks gsm8k --limit 2 --prices " + dir +
                                      "/prices.yaml --output " + dir + "/out " + common_flags(server));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("openai-responses: 2 calls, 2 attempts, 0 retries, 0 failed"), std::string::npos) << r.output;
    const auto results = results_of(dir + "/out");
    const auto& compute = results["totals"]["compute"];
    // The server reports 17 input tokens and 40 output tokens of which 32 are reasoning, per call.
    EXPECT_EQ(compute["prompt_tokens"], 34);
    EXPECT_EQ(compute["generated_tokens"], 16);
    EXPECT_EQ(compute["reasoning_tokens"], 64);
    EXPECT_DOUBLE_EQ(compute["cost"]["total"].get<double>(), (34 * 1 + 16 * 2 + 64 * 4) / 1e6);
    EXPECT_DOUBLE_EQ(compute["cost"]["reasoning"].get<double>(), 64 * 4 / 1e6);
    // Reasoning is estimated as 32 tokens generated after the 17-token prompt, each call.
    const auto card = compute::load_model_card("llama-3.1-8b");
    const double reasoning = 2 * 32 * compute::forward_flops(card, 17 + 16, 1, 1).total();
    EXPECT_NEAR(compute["reasoning_flops"].get<double>(), reasoning, reasoning * 1e-9 + 16);
    EXPECT_GT(compute["flops"]["total"].get<double>(), reasoning);
    EXPECT_EQ(results["model"]["service"]["price"]["source"], "test");
    EXPECT_EQ(results["model"]["service"]["base_url"], server.url() + "/v1");
    EXPECT_EQ(results["settings"]["batch_size"], 64) << "remote runs send batches of four times the concurrency";
    const std::string samples = test::read_file(dir + "/out/samples/gsm8k.jsonl");
    EXPECT_NE(samples.find("\"reasoning_tokens\":32"), std::string::npos);
}

TEST(RemoteRun, FlopsAreEstimatedFromTheModelCardFoundByAlias) {
    test::ApiServer server({});
    const std::string dir = test::temp_dir("card-flops");
    const auto r = test::run_flopwise("run --model openai:meta-llama/Llama-3.1-8B-Instruct --tasks arc_easy --limit 3 --output " + dir + " " +
                                      common_flags(server));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("(estimated from the model card)"), std::string::npos) << r.output;
    const auto results = results_of(dir);
    EXPECT_EQ(results["model"]["service"]["flops_estimate"]["card"], "llama-3.1-8b");
    const auto& compute = results["totals"]["compute"];
    EXPECT_EQ(compute["flops_source"], "estimated");
    // Each echoed prompt is one forward pass with logits at every position, as the card prices it.
    const auto card = compute::load_model_card("llama-3.1-8b");
    double expected = 0;
    std::istringstream samples(test::read_file(dir + "/samples/arc_easy.jsonl"));
    std::string line;
    while (std::getline(samples, line)) {
        const auto sample = nlohmann::json::parse(line);
        for (const auto& request : sample["requests"]) {
            const int64_t tokens = request["response"]["usage"]["prompt_tokens"];
            expected += compute::forward_flops(card, 0, tokens, tokens).total();
        }
    }
    EXPECT_NEAR(compute["flops"]["total"].get<double>(), expected, expected * 1e-9 + 16);
    const double per_token = compute["flops_per_token"];
    EXPECT_GT(per_token, 2.0 * static_cast<double>(card.params_active()) * 0.9);

    test::expect_bad_input("run --model openai:x --card no-such-card --tasks arc_easy --limit 1 --no-cache " + common_flags(server), "no-such-card");
}

TEST(RemoteRun, RemoteFlagsAreRefusedForLocalModelsAndMissingKeysAreNamed) {
    test::expect_bad_input("run --model some.gguf --tasks arc_easy --rpm 10 --progress none", "--rpm applies to remote models");
    test::expect_bad_input("run --model anthropic:claude-x --tasks arc_easy --progress none", "ANTHROPIC_API_KEY, which is not set",
                           {"ANTHROPIC_API_KEY="});
    test::expect_bad_input("run --model openai-chat:m --base-url http://127.0.0.1:9/v1 --tasks arc_easy --limit 1 --progress none",
                           "cannot answer loglikelihood requests");
}

}  // namespace
}  // namespace flopwise

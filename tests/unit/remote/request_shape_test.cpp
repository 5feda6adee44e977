// The requests flopwise sends are the ones the official SDKs (the `anthropic` and `openai` Python
// packages) send for the same inputs: same method, path, API headers and JSON body. Both go to
// a recording server on loopback.
#include <gtest/gtest.h>

#include <cstdlib>

#include "api_server.hpp"
#include "flopwise/backends.hpp"
#include "test_env.hpp"

namespace flopwise {
namespace {

constexpr const char* kPrompt = "Question: What is 2 + 2?\nAnswer:";
constexpr const char* kSystem = "You are a careful assistant.";

// Sends the same request through flopwise's backend and through the SDK; returns both as recorded.
std::pair<nlohmann::json, nlohmann::json> record_both(const std::string& backend, const std::string& sdk_api, const std::string& key_variable,
                                                      const std::string& sdk_base_url_suffix) {
    test::ApiServer server({});
    setenv(key_variable.c_str(), "sk-test-request-shape", 1);
    ModelOptions options;
    options.remote.base_url = server.url() + sdk_base_url_suffix;
    options.remote.system_prompt = kSystem;
    auto model = open_language_model(backend + ":test-model", options);
    GenerateRequest g;
    g.context = kPrompt;
    g.stop = {"Question:"};
    g.max_tokens = 32;
    const auto result = model->generate(std::span(&g, 1));
    EXPECT_FALSE(result[0].error) << *result[0].error;
    std::string command = "env " + key_variable + "=sk-test-request-shape " + test::python() + " " + test::source_path("tests/remote/official_client.py") +
                          " --api " + sdk_api + " --base-url " + server.url() + sdk_base_url_suffix +
                          " --model test-model --max-tokens 32 --system '" + kSystem + "' --prompt \"$(printf '" + "Question: What is 2 + 2?\\nAnswer:" + "')\"";
    if (sdk_api != "openai-responses") command += " --stop Question:";
    const std::string sdk_output = test::run_command(command);
    const nlohmann::json sdk_answer = nlohmann::json::parse(sdk_output);
    EXPECT_EQ(sdk_answer["text"], result[0].text) << "both read the same answer";
    const auto log = server.log();
    EXPECT_EQ(log.size(), 2u);
    return {log.at(0), log.at(1)};
}

nlohmann::json lower_case_headers(const nlohmann::json& headers) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, value] : headers.items()) {
        std::string lower = name;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out[lower] = value;
    }
    return out;
}

void expect_same_request(const nlohmann::json& ours, const nlohmann::json& sdk, const std::vector<std::string>& api_headers) {
    EXPECT_EQ(ours["method"], sdk["method"]);
    EXPECT_EQ(ours["path"], sdk["path"]);
    EXPECT_EQ(ours["body"], sdk["body"]) << "ours: " << ours["body"].dump() << "\nSDK:  " << sdk["body"].dump();
    const auto our_headers = lower_case_headers(ours["headers"]), sdk_headers = lower_case_headers(sdk["headers"]);
    for (const auto& name : api_headers) {
        ASSERT_TRUE(sdk_headers.contains(name)) << name;
        ASSERT_TRUE(our_headers.contains(name)) << name;
        EXPECT_EQ(our_headers[name], sdk_headers[name]) << name;
    }
}

TEST(RequestShape, AnthropicMessagesMatchTheOfficialClient) {
    const auto [ours, sdk] = record_both("anthropic", "anthropic", "ANTHROPIC_API_KEY", "");
    expect_same_request(ours, sdk, {"authorization", "anthropic-version", "content-type", "accept"});
    EXPECT_EQ(ours["path"], "/v1/messages");
    EXPECT_EQ(ours["body"]["system"], kSystem);
}

TEST(RequestShape, OpenAIChatMatchesTheOfficialClient) {
    const auto [ours, sdk] = record_both("openai-chat", "openai-chat", "OPENAI_API_KEY", "/v1");
    expect_same_request(ours, sdk, {"authorization", "content-type", "accept"});
    EXPECT_EQ(ours["path"], "/v1/chat/completions");
}

TEST(RequestShape, OpenAIResponsesMatchTheOfficialClient) {
    const auto [ours, sdk] = record_both("openai-responses", "openai-responses", "OPENAI_API_KEY", "/v1");
    expect_same_request(ours, sdk, {"authorization", "content-type", "accept"});
    EXPECT_EQ(ours["path"], "/v1/responses");
}

}  // namespace
}  // namespace flopwise

// Request bodies are validated field by field: every problem is a 400 naming the field.
#include <gtest/gtest.h>

#include "flopwise/serve/protocol.hpp"

namespace flopwise::serve {
namespace {

void expect_rejected(const std::string& body, const std::string& param, const std::string& code, bool chat = false) {
    try {
        if (chat) parse_chat_request(body);
        else parse_completion_request(body);
        ADD_FAILURE() << "accepted: " << body;
    } catch (const ApiError& e) {
        EXPECT_EQ(e.status, 400) << body;
        EXPECT_EQ(e.param, param) << body << ": " << e.what();
        EXPECT_EQ(e.code, code) << body << ": " << e.what();
        const auto json = error_body(e);
        EXPECT_EQ(json["error"]["type"], "invalid_request_error");
        EXPECT_EQ(json["error"]["message"], e.what());
    }
}

TEST(Protocol, ParsesEveryPromptFormAndTheSamplingFields) {
    auto r = parse_completion_request(
        R"({"model": "m", "prompt": ["a", [1, 2]], "max_tokens": 0, "echo": true, "logprobs": 2, "stop": "\n",
            "temperature": 0, "top_p": 0.5, "seed": 7, "n": 1, "user": "u", "suffix": null})");
    ASSERT_EQ(r.prompts.size(), 2u);
    EXPECT_EQ(std::get<std::string>(r.prompts[0]), "a");
    EXPECT_EQ(std::get<std::vector<TokenId>>(r.prompts[1]), (std::vector<TokenId>{1, 2}));
    EXPECT_EQ(r.fields.max_tokens, 0);
    EXPECT_EQ(r.logprobs, 2);
    EXPECT_TRUE(r.echo);
    EXPECT_EQ(r.fields.stop, std::vector<std::string>{"\n"});
    EXPECT_EQ(r.fields.top_p, 0.5);
    EXPECT_EQ(r.fields.seed, 7u);
    EXPECT_EQ(std::get<std::vector<TokenId>>(parse_completion_request(R"({"model": "m", "prompt": [5, 6]})").prompts[0]),
              (std::vector<TokenId>{5, 6}));
    auto chat = parse_chat_request(
        R"({"model": "m", "messages": [{"role": "developer", "content": [{"type": "text", "text": "x"}]}, {"role": "user", "content": "y"}],
            "logprobs": true, "top_logprobs": 3, "max_completion_tokens": 4})");
    EXPECT_EQ(chat.messages[0].role, "system");
    EXPECT_EQ(chat.messages[0].content, "x");
    EXPECT_EQ(chat.top_logprobs, 3);
    EXPECT_EQ(chat.fields.max_tokens, 4);
}

TEST(Protocol, RejectsMalformedBodiesAndFieldsByName) {
    expect_rejected("{\"model\": \"m\", \"prompt\": ", "", "invalid_json");
    expect_rejected("[1, 2]", "", "invalid_json");
    expect_rejected(R"({"prompt": "x"})", "model", "missing_required_parameter");
    expect_rejected(R"({"model": "m"})", "prompt", "missing_required_parameter");
    expect_rejected(R"({"model": "m", "prompt": "x", "max_tokens": "5"})", "max_tokens", "invalid_type");
    expect_rejected(R"({"model": "m", "prompt": "x", "max_tokens": 1.5})", "max_tokens", "invalid_type");
    expect_rejected(R"({"model": "m", "prompt": "x", "max_tokens": -1})", "max_tokens", "invalid_value");
    expect_rejected(R"({"model": "m", "prompt": "x", "temperature": "hot"})", "temperature", "invalid_type");
    expect_rejected(R"({"model": "m", "prompt": "x", "top_p": 0})", "top_p", "invalid_value");
    expect_rejected(R"({"model": "m", "prompt": "x", "logprobs": 21})", "logprobs", "invalid_value");
    expect_rejected(R"({"model": "m", "prompt": "x", "echo": "yes"})", "echo", "invalid_type");
    expect_rejected(R"({"model": "m", "prompt": "x", "n": 2})", "n", "unsupported_value");
    expect_rejected(R"({"model": "m", "prompt": "x", "best_of": 3})", "best_of", "unsupported_value");
    expect_rejected(R"({"model": "m", "prompt": "x", "frobnicate": 1})", "frobnicate", "unknown_parameter");
    expect_rejected(R"({"model": "m", "prompt": [1, -2]})", "prompt[1]", "invalid_value");
    expect_rejected(R"({"model": "m", "prompt": ["a", 3]})", "prompt[1]", "invalid_type");
    expect_rejected(R"({"model": "m", "prompt": []})", "prompt", "invalid_value");
    expect_rejected(R"({"model": "m", "prompt": "x", "stop": ["a", 1]})", "stop[1]", "invalid_type");
    expect_rejected(R"({"model": "m", "prompt": "x", "stream": true, "echo": true})", "echo", "unsupported_value");
    expect_rejected(R"({"model": "m", "prompt": "x", "stream_options": {"include_usage": true}})", "stream_options", "invalid_value");
}

TEST(Protocol, RejectsMalformedChatMessages) {
    expect_rejected(R"({"model": "m", "messages": []})", "messages", "invalid_value", true);
    expect_rejected(R"({"model": "m", "messages": "hi"})", "messages", "invalid_type", true);
    expect_rejected(R"({"model": "m", "messages": [{"role": "user"}]})", "messages[0].content", "missing_required_parameter", true);
    expect_rejected(R"({"model": "m", "messages": [{"role": "wizard", "content": "x"}]})", "messages[0].role", "invalid_value", true);
    expect_rejected(R"({"model": "m", "messages": [{"role": "user", "content": 5}]})", "messages[0].content", "invalid_type", true);
    expect_rejected(R"({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]})",
                    "messages[0].content[0].type", "invalid_value", true);
    expect_rejected(R"({"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0})", "max_tokens",
                    "invalid_value", true);
    expect_rejected(R"({"model": "m", "messages": [{"role": "user", "content": "x"}], "top_logprobs": 2})", "top_logprobs",
                    "invalid_value", true);
}

}  // namespace
}  // namespace flopwise::serve

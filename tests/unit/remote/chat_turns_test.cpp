// Few-shot examples reach the chat APIs as turns (lm-evaluation-harness's fewshot_as_multiturn):
// `flopwise run` on GSM8K (5-shot) against the recording server sends each example's question and
// worked answer, as the task YAML renders them from the data, as a user and an assistant message,
// the document's question last; the system prompt and the task description make the system
// message. The flat form stays available and never shares cached answers with the turns.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "api_server.hpp"
#include "test_env.hpp"

namespace flopwise {
namespace {

using nlohmann::json;

std::vector<json> jsonl(const std::string& path) {
    std::ifstream in(path);
    std::vector<json> out;
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
}

// GSM8K's doc_to_text and doc_to_target, written out: "Question: {{question}}\nAnswer:" and "{{answer}}".
std::string question_text(const json& doc) { return "Question: " + doc["question"].get<std::string>() + "\nAnswer:"; }

class ChatTurns : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        answers_ = new std::map<std::string, std::string>;
        for (const auto& doc : jsonl(test::shared_dir() + "/datasets/gsm8k/train.jsonl")) (*answers_)[question_text(doc)] = doc["answer"];
        questions_ = new std::vector<std::string>;
        for (const auto& doc : jsonl(test::shared_dir() + "/datasets/gsm8k/test.jsonl")) {
            questions_->push_back(question_text(doc));
            if (questions_->size() == 2) break;
        }
    }
    static void TearDownTestSuite() {
        delete answers_;
        delete questions_;
        delete server_;
    }

    // One recording server for the suite (starting one costs more than the runs themselves).
    static test::ApiServer& server() {
        if (!server_) server_ = new test::ApiServer({});
        return *server_;
    }
    // The requests the server received since the last call.
    static std::vector<json> new_requests() {
        const auto log = server().log();
        std::vector<json> fresh(log.begin() + static_cast<std::ptrdiff_t>(std::min(seen_, log.size())), log.end());
        seen_ = log.size();
        return fresh;
    }

    // OpenAI's base URLs end in /v1, Anthropic's does not (as for the official SDKs).
    static std::string flags(const std::string& dir, const std::string& base = "/v1") {
        new_requests();
        return "--base-url " + server().url() + base + " --output " + dir + " --progress none --bootstrap-iters 0 --retry-delay 0.01 --request-timeout 5";
    }

    // Five examples as user/assistant pairs, each a train question with its own worked answer, then
    // one of the two evaluated questions; returns that question's index.
    static size_t expect_fewshot_turns(const json& messages) {
        EXPECT_EQ(messages.size(), 11u) << messages.dump();
        if (messages.size() != 11u) return 0;
        std::set<std::string> examples;
        for (size_t k = 0; k < 5; ++k) {
            const json& user = messages[2 * k];
            const json& assistant = messages[2 * k + 1];
            EXPECT_EQ(user["role"], "user");
            EXPECT_EQ(assistant["role"], "assistant");
            const auto answer = answers_->find(user["content"].get<std::string>());
            EXPECT_NE(answer, answers_->end()) << "not a train question as the task renders it: " << user["content"];
            if (answer != answers_->end()) {
                EXPECT_EQ(assistant["content"], answer->second) << "the answer of another example";
            }
            examples.insert(user["content"].get<std::string>());
        }
        EXPECT_EQ(examples.size(), 5u);
        EXPECT_EQ(messages[10]["role"], "user");
        const auto it = std::find(questions_->begin(), questions_->end(), messages[10]["content"].get<std::string>());
        EXPECT_NE(it, questions_->end()) << messages[10]["content"];
        return static_cast<size_t>(it - questions_->begin());
    }

    static std::map<std::string, std::string>* answers_;  // train question as rendered -> its answer
    static std::vector<std::string>* questions_;          // the first two test questions as rendered
    static test::ApiServer* server_;
    static size_t seen_;
};
std::map<std::string, std::string>* ChatTurns::answers_ = nullptr;
std::vector<std::string>* ChatTurns::questions_ = nullptr;
test::ApiServer* ChatTurns::server_ = nullptr;
size_t ChatTurns::seen_ = 0;

TEST_F(ChatTurns, OpenAIChatSendsTheSystemPromptThenTheExamplesAsTurns) {
    const std::string dir = test::temp_dir("chat-turns-openai");
    const auto r = test::run_flopwise("run --model openai-chat:test-model --tasks gsm8k --limit 2 --system-prompt 'Answer the question.' " + flags(dir));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto log = new_requests();
    ASSERT_EQ(log.size(), 2u);
    std::set<size_t> asked;
    for (const auto& entry : log) {
        EXPECT_EQ(entry["path"], "/v1/chat/completions");
        const json& messages = entry["body"]["messages"];
        ASSERT_EQ(messages.size(), 1u + 2 * 5 + 1) << messages.dump();
        EXPECT_EQ(messages[0], (json{{"role", "system"}, {"content", "Answer the question."}}));
        asked.insert(expect_fewshot_turns(json(messages.begin() + 1, messages.end())));
    }
    EXPECT_EQ(asked, (std::set<size_t>{0, 1}));
    // lm-evaluation-harness's draw for the first document: Random(1234).sample(range(7473), 5).
    const auto train = jsonl(test::shared_dir() + "/datasets/gsm8k/train.jsonl");
    for (const auto& entry : log) {
        const json& messages = entry["body"]["messages"];
        if (messages.back()["content"] != questions_->at(0)) continue;
        const std::vector<size_t> drawn = {6374, 3610, 957, 61, 742};
        for (size_t k = 0; k < drawn.size(); ++k) EXPECT_EQ(messages[1 + 2 * k]["content"], question_text(train[drawn[k]]));
    }
    // The samples record the conversation that was sent, and the answer to it.
    for (const auto& sample : jsonl(dir + "/samples/gsm8k.jsonl")) {
        const json& request = sample["requests"][0];
        ASSERT_TRUE(request.contains("conversation")) << request.dump();
        EXPECT_EQ(request["conversation"]["turns"].size(), 11u);
        EXPECT_EQ(request["response"]["text"], test::expected_answer("Answer the question.|" + request["conversation"]["turns"][10]["content"].get<std::string>()));
    }
    EXPECT_EQ(json::parse(test::read_file(dir + "/results.json"))["model"]["details"]["chat_fewshot"], "turns");
}

TEST_F(ChatTurns, AnthropicTakesAlternatingTurnsAndTheSystemAsItsOwnField) {
    const std::string dir = test::temp_dir("chat-turns-anthropic");
    const auto r = test::run_flopwise("run --model anthropic:test-model --tasks gsm8k --limit 2 " + flags(dir + "/gsm8k", ""), {"ANTHROPIC_API_KEY=k"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto log = new_requests();
    ASSERT_EQ(log.size(), 2u);
    std::set<size_t> asked;
    for (const auto& entry : log) {
        EXPECT_EQ(entry["path"], "/v1/messages");
        EXPECT_FALSE(entry["body"].contains("system")) << "GSM8K has no description and no system prompt was given";
        asked.insert(expect_fewshot_turns(entry["body"]["messages"]));
    }
    EXPECT_EQ(asked, (std::set<size_t>{0, 1}));

    // A task description is the system message, after the system prompt and the few-shot delimiter.
    const std::string suites = test::temp_dir("chat-turns-suites");
    std::string task = test::read_file(test::source_path("suites/gsm8k.yaml"));
    task.replace(task.find("task: gsm8k"), 11, "task: gsm8k_described\ndescription: \"Solve these problems.\\n\\n\"");
    std::ofstream(suites + "/gsm8k_described.yaml") << task;
    const auto d = test::run_flopwise("run --model anthropic:test-model --tasks gsm8k_described --limit 1 --suites-dir " + suites +
                                          " --system-prompt 'Be brief.' " + flags(dir + "/described", ""),
                                      {"ANTHROPIC_API_KEY=k"});
    ASSERT_EQ(d.exit_code, 0) << d.output;
    const auto described_log = new_requests();
    ASSERT_EQ(described_log.size(), 1u);
    const json& body = described_log[0]["body"];
    EXPECT_EQ(body["system"], "Be brief.\n\nSolve these problems.\n\n");
    EXPECT_EQ(expect_fewshot_turns(body["messages"]), 0u);
}

TEST_F(ChatTurns, ResponsesTakesTheTurnsAsItsInputList) {
    const std::string dir = test::temp_dir("chat-turns-responses");
    const auto r = test::run_flopwise("run --model openai-responses:test-model --tasks gsm8k --limit 2 " + flags(dir));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto log = new_requests();
    ASSERT_EQ(log.size(), 2u);
    for (const auto& entry : log) {
        EXPECT_FALSE(entry["body"].contains("instructions"));
        expect_fewshot_turns(entry["body"]["input"]);
    }
}

TEST_F(ChatTurns, TheFlatFormIsOneUserMessageAndNeverSharesCachedAnswersWithTheTurns) {
    const std::string dir = test::temp_dir("chat-turns-flat");
    const auto turns = test::run_flopwise("run --model openai-chat:test-model --tasks gsm8k --limit 2 " + flags(dir));
    ASSERT_EQ(turns.exit_code, 0) << turns.output;
    EXPECT_EQ(new_requests().size(), 2u);
    const auto flat = test::run_flopwise("run --model openai-chat:test-model --tasks gsm8k --limit 2 --chat-fewshot flat " + flags(dir));
    ASSERT_EQ(flat.exit_code, 0) << flat.output;
    const auto log = new_requests();
    ASSERT_EQ(log.size(), 2u) << "answers to the turns are not answers to the flat prompt";
    const auto samples = jsonl(dir + "/samples/gsm8k.jsonl");
    std::set<std::string> contexts;
    for (const auto& sample : samples) {
        EXPECT_FALSE(sample["requests"][0].contains("conversation"));
        contexts.insert(sample["requests"][0]["context"].get<std::string>());
    }
    for (const auto& entry : log) {
        const json& messages = entry["body"]["messages"];
        ASSERT_EQ(messages.size(), 1u);
        EXPECT_EQ(messages[0]["role"], "user");
        EXPECT_TRUE(contexts.count(messages[0]["content"].get<std::string>())) << "the flat prompt, as the completions API gets it";
    }
    const json results = json::parse(test::read_file(dir + "/results.json"));
    EXPECT_EQ(results["model"]["details"]["chat_fewshot"], "flat");
    EXPECT_EQ(results["totals"]["requests"]["computed"], 2);

    // Each form finds its own answers in the cache.
    const auto again = test::run_flopwise("run --model openai-chat:test-model --tasks gsm8k --limit 2 --chat-fewshot turns " + flags(dir));
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_TRUE(new_requests().empty());
}

TEST_F(ChatTurns, TheOptionIsCheckedAndRefusedWhereItDoesNotApply) {
    test::expect_bad_input("run --model openai-chat:m --base-url http://127.0.0.1:9/v1 --tasks gsm8k --chat-fewshot rows --progress none",
                           "--chat-fewshot must be 'turns' or 'flat', not 'rows'");
    test::expect_bad_input("run --model openai:m --base-url http://127.0.0.1:9/v1 --tasks gsm8k --chat-fewshot flat --progress none",
                           "--chat-fewshot applies to the chat APIs");
    test::expect_bad_input("run --model some.gguf --tasks gsm8k --chat-fewshot turns --progress none", "--chat-fewshot applies to remote models");
}

}  // namespace
}  // namespace flopwise

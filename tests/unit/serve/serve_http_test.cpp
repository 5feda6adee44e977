// `flopwise serve` on Gemma 3 270M over real HTTP on loopback, driven by the official `openai`
// Python client (tests/serve/openai_client_checks.py): every check compares what the server says
// with what the engine computes through the command line.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "test_env.hpp"

extern char** environ;

namespace flopwise {
namespace {

// A `flopwise serve` child process on a free port (the server binds port 0 and prints the port).
class ServerProcess {
public:
    ServerProcess(const std::string& model, const std::vector<std::string>& extra) {
        std::vector<std::string> words = {test::binary_path("flopwise"), "serve", "--model", model, "--port", "0"};
        words.insert(words.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& w : words) argv.push_back(w.data());
        argv.push_back(nullptr);
        int pipe_fds[2];
        if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
        const int failed = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close(pipe_fds[1]);
        if (failed != 0) throw std::runtime_error("cannot start " + words[0]);
        port_ = read_port(pipe_fds[0]);
        close(pipe_fds[0]);
    }
    ~ServerProcess() {
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
    }
    int port() const { return port_; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

private:
    static int read_port(int fd) {
        std::string output;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        const std::regex listening("listening on http://[^:]+:([0-9]+)");
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, 1000) <= 0) continue;
            char buffer[512];
            const ssize_t n = read(fd, buffer, sizeof buffer);
            if (n <= 0) break;
            output.append(buffer, static_cast<size_t>(n));
            std::smatch match;
            if (std::regex_search(output, match, listening)) return std::stoi(match[1]);
        }
        throw std::runtime_error("flopwise serve did not start: " + output);
    }

    pid_t pid_ = -1;
    int port_ = 0;
};

std::string check_command(const std::string& name, const ServerProcess& server, const std::string& model_name, const std::string& gguf) {
    return test::python() + " " + test::source_path("tests/serve/openai_client_checks.py") + " " + name + " --base-url " +
           server.base_url() + " --model " + model_name + " --flopwise " + test::binary_path("flopwise") + " --gguf " + gguf;
}

void run_check(const std::string& command) {
    std::string output;
    EXPECT_NO_THROW(output = test::run_command(command)) << command;
    std::printf("%s", output.c_str());
}

class ServeHttp : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        model_ = new std::string(test::model_path("gemma3-270m"));
        server_ = new ServerProcess(*model_, {"--parallel", "8", "--max-context", "512", "--chat-template", "gemma",
                                              "--max-body-bytes", "1048576", "--model-name", "gemma-test"});
    }
    static void TearDownTestSuite() {
        delete server_;
        delete model_;
    }
    static void check(const std::string& name) { run_check(check_command(name, *server_, "gemma-test", *model_)); }
    static std::string* model_;
    static ServerProcess* server_;
};
std::string* ServeHttp::model_ = nullptr;
ServerProcess* ServeHttp::server_ = nullptr;

TEST_F(ServeHttp, EchoLogprobsEqualTheEnginesOwnScores) { check("echo_logprobs"); }
TEST_F(ServeHttp, CompletionsMatchTheEnginesGeneration) { check("completions"); }
TEST_F(ServeHttp, ChatCompletionsThroughTheGemmaTemplate) { check("chat"); }
TEST_F(ServeHttp, StreamingGivesTheSameTextAsOneResponse) { check("streaming"); }
TEST_F(ServeHttp, ErrorsAreOpenAiStyleWithHttpStatuses) { check("errors"); }
TEST_F(ServeHttp, AClientHangingUpMidStreamCancelsItsGeneration) { check("client_hangs_up"); }
TEST_F(ServeHttp, SixteenConcurrentRequestsGiveTheSequentialResults) { check("concurrency"); }

std::vector<nlohmann::json> read_samples(const std::string& path) {
    std::ifstream in(path);
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
}

// The whole loop: the `openai:` backend scoring tasks through `flopwise serve` gives the engine's
// own per-request log-probabilities and the same scores.
TEST_F(ServeHttp, TasksScoredThroughTheOpenAiBackendMatchTheEngine) {
    const std::string direct = test::temp_dir("serve-direct"), remote = test::temp_dir("serve-remote");
    const std::string run = test::binary_path("flopwise") + " run --tasks arc_easy,piqa --limit 8 --no-cache --progress none --output ";
    test::run_command(run + direct + " --model " + *model_);
    test::run_command("OPENAI_API_KEY=unused " + run + remote + " --model openai:gemma-test --card gemma-3-270m --base-url " + server_->base_url());
    size_t compared = 0;
    for (const std::string task : {"arc_easy", "piqa"}) {
        const auto ours = read_samples(direct + "/samples/" + task + ".jsonl"), served = read_samples(remote + "/samples/" + task + ".jsonl");
        ASSERT_EQ(ours.size(), 8u) << task;
        ASSERT_EQ(served.size(), ours.size()) << task;
        for (size_t d = 0; d < ours.size(); ++d) {
            const auto& a = ours[d].at("requests");
            const auto& b = served[d].at("requests");
            ASSERT_EQ(a.size(), b.size()) << task << " doc " << d;
            for (size_t r = 0; r < a.size(); ++r, ++compared) {
                EXPECT_NEAR(a[r].at("response").at("logprob").get<double>(), b[r].at("response").at("logprob").get<double>(), 1e-4)
                    << task << " doc " << d << " request " << r;
                EXPECT_EQ(a[r].at("response").at("greedy"), b[r].at("response").at("greedy")) << task << " doc " << d << " request " << r;
            }
            EXPECT_EQ(ours[d].at("metrics"), served[d].at("metrics")) << task << " doc " << d;
        }
    }
    EXPECT_EQ(compared, 8u * 4 + 8u * 2);
    std::ifstream direct_results(direct + "/results.json"), remote_results(remote + "/results.json");
    const auto a = nlohmann::json::parse(direct_results), b = nlohmann::json::parse(remote_results);
    for (const std::string task : {"arc_easy", "piqa"})
        for (const std::string metric : {"acc", "acc_norm"})
            EXPECT_EQ(a["tasks"][task]["metrics"][metric]["value"], b["tasks"][task]["metrics"][metric]["value"]) << task << " " << metric;
    EXPECT_EQ(b["tasks"]["piqa"]["compute"]["flops_source"], "estimated");
}

TEST(ServeSmolLm, ChatUsesTheTemplateRecognisedInTheGguf) {
    const std::string model = test::model_path("smollm2-135m");
    const ServerProcess server(model, {"--max-context", "256"});
    run_check(check_command("gguf_template_chat", server, "SmolLM2-135M-Instruct.Q4_1", model));
}

}  // namespace
}  // namespace flopwise

#include "api_server.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "flopwise/eval/digest.hpp"
#include "test_env.hpp"

namespace flopwise::test {

ApiServer::ApiServer(const std::vector<std::string>& flags) : dir_(temp_dir("api-server")) {
    std::vector<std::string> words = {python(), source_path("tests/remote/api_server.py"), "--port-file", dir_ + "/port", "--log", dir_ + "/log.jsonl"};
    words.insert(words.end(), flags.begin(), flags.end());
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        std::vector<char*> argv;
        for (auto& w : words) argv.push_back(w.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    for (int i = 0; i < 300 && port_ == 0; ++i) {
        std::ifstream in(dir_ + "/port");
        if (!(in >> port_)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (port_ == 0) {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
        throw std::runtime_error("the test API server did not start");
    }
}

ApiServer::~ApiServer() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
}

std::vector<nlohmann::json> ApiServer::log() const {
    std::vector<nlohmann::json> entries;
    std::ifstream in(dir_ + "/log.jsonl");
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) entries.push_back(nlohmann::json::parse(line));
    return entries;
}

std::string expected_answer(const std::string& prompt) { return "answer-" + eval::sha256_hex(prompt).substr(0, 16); }

namespace {

std::u32string code_points(const std::string& s) {
    std::u32string out;
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        const int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        char32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
        for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
        out.push_back(cp);
        i += static_cast<size_t>(n);
    }
    return out;
}

double token_logprob(char32_t c, size_t i) { return -(static_cast<double>((static_cast<uint64_t>(c) * 31 + i * 7) % 97) / 10 + 0.01); }

}  // namespace

ExpectedScore expected_loglikelihood(const std::string& context, const std::string& continuation) {
    const std::u32string prompt = code_points(context + continuation);
    ExpectedScore e;
    for (size_t i = code_points(context).size(); i < prompt.size(); ++i) {
        e.logprob += token_logprob(prompt[i], i);
        e.greedy = e.greedy && (prompt[i] + i) % 3 != 0;
        ++e.tokens;
    }
    return e;
}

ExpectedScore expected_rolling(const std::string& text) {
    const std::u32string prompt = code_points(text);
    ExpectedScore e;
    for (size_t i = 1; i < prompt.size(); ++i) {
        e.logprob += token_logprob(prompt[i], i);
        ++e.tokens;
    }
    return e;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace flopwise::test

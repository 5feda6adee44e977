#pragma once
// tests/remote/api_server.py run as a child process on a loopback port, for as long as the object lives.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flopwise::test {

class ApiServer {
public:
    explicit ApiServer(const std::vector<std::string>& flags);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    // Every request received so far, one JSON object each (method, path, headers, body, key, attempt, fault).
    std::vector<nlohmann::json> log() const;

private:
    std::string dir_;
    int pid_ = -1;
    int port_ = 0;
};

// What the server answers, computed independently.
std::string expected_answer(const std::string& prompt);
struct ExpectedScore {
    double logprob = 0;
    bool greedy = true;
    int64_t tokens = 0;
};
ExpectedScore expected_loglikelihood(const std::string& context, const std::string& continuation);
ExpectedScore expected_rolling(const std::string& text);

std::string read_file(const std::string& path);

}  // namespace flopwise::test

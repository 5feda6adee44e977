#include "test_env.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace flopwise::test {

std::string shared_dir() {
    if (const char* env = std::getenv("FLOPWISE_SHARED_DIR"); env && *env) return env;
    return FLOPWISE_SHARED_DIR;
}

std::string source_path(const std::string& relative) { return std::string(FLOPWISE_SOURCE_DIR) + "/" + relative; }
std::string binary_path(const std::string& relative) { return std::string(FLOPWISE_BINARY_DIR) + "/" + relative; }
std::string python() { return FLOPWISE_PYTHON; }

CommandOutcome run_command_status(const std::string& command) {
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe) throw std::runtime_error("cannot start: " + command);
    CommandOutcome outcome;
    std::array<char, 4096> buffer;
    size_t n;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) outcome.output.append(buffer.data(), n);
    const int status = pclose(pipe);
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return outcome;
}

std::string run_command(const std::string& command) {
    CommandOutcome outcome = run_command_status(command);
    if (outcome.exit_code != 0)
        throw std::runtime_error("command failed (exit " + std::to_string(outcome.exit_code) + "): " + command + "\n" + outcome.output);
    return std::move(outcome.output);
}

CommandOutcome run_flopwise(const std::string& arguments, const std::vector<std::string>& environment) {
    std::string command = "env";
    for (const auto& assignment : environment) {
        command += " '";
        command += assignment;
        command += "'";
    }
    command += " ";
    command += binary_path("flopwise");
    command += " ";
    command += arguments;
    return run_command_status(command);
}

void expect_bad_input(const std::string& arguments, const std::string& message, const std::vector<std::string>& environment) {
    const CommandOutcome outcome = run_flopwise(arguments, environment);
    EXPECT_EQ(outcome.exit_code, 2) << arguments << "\n" << outcome.output;
    EXPECT_NE(outcome.output.find(message), std::string::npos) << arguments << "\nexpected '" << message << "' in:\n" << outcome.output;
}

std::string model_path(const std::string& name) {
    std::string out = run_command(python() + " " + source_path("tools/models.py") + " path " + name);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (out.empty() || !std::filesystem::exists(out))
        throw std::runtime_error("model '" + name + "' not found (run tools/setup.sh): got '" + out + "'");
    return out;
}

std::string temp_dir(const std::string& label) {
    static std::atomic<int> counter{0};
    auto dir = std::filesystem::path(FLOPWISE_BINARY_DIR) / "test-tmp" /
               (label + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

}  // namespace flopwise::test

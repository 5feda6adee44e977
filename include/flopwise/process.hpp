#pragma once
#include <string>
#include <utility>
#include <vector>

namespace flopwise {

// Runs a program (looked up in PATH when the name has no slash) with extra environment variables
// and waits for it. Standard output goes to `stdout_path` when not empty (the file is truncated),
// otherwise to ours; standard error is inherited. Returns the exit status; a program killed by a
// signal returns 128 + the signal number. Throws Error naming the program when it cannot be started.
int run_process(const std::vector<std::string>& argv,
                const std::vector<std::pair<std::string, std::string>>& environment = {},
                const std::string& stdout_path = "");

// Path of the running executable (to start it again, for instance under valgrind).
std::string current_executable();

}  // namespace flopwise

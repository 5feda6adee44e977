#pragma once
#include <string>
#include <vector>

#include "args.hpp"

namespace flopwise::cli {

// A subcommand registers itself from its own file with a static CommandRegistration, so adding a
// command touches one place.
struct Command {
    std::string name;
    std::string usage;    // flags, as shown by `flopwise help`
    std::string summary;  // one line
    int (*run)(Args& args);
};

std::vector<Command>& commands();

struct CommandRegistration {
    explicit CommandRegistration(Command command) { commands().push_back(std::move(command)); }
};

}  // namespace flopwise::cli

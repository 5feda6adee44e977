#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include "command.hpp"
#include "flopwise/error.hpp"

namespace flopwise::cli {

std::vector<Command>& commands() {
    static std::vector<Command> registry;
    return registry;
}

namespace {

void print_help() {
    std::printf("flopwise %s: accuracy and compute (FLOPs per token) of language models\n\nusage: flopwise COMMAND [flags]\n\n",
                FLOPWISE_VERSION);
    auto sorted = commands();
    std::sort(sorted.begin(), sorted.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
    for (const auto& c : sorted) std::printf("  %-12s %s\n               %s\n", c.name.c_str(), c.summary.c_str(), c.usage.c_str());
}

}  // namespace
}  // namespace flopwise::cli

int main(int argc, char** argv) {
    using namespace flopwise::cli;
    if (argc < 2 || std::string(argv[1]) == "help" || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        print_help();
        return argc < 2 ? 2 : 0;
    }
    const std::string name = argv[1];
    if (name == "--version" || name == "version") {
        std::printf("flopwise %s\n", FLOPWISE_VERSION);
        return 0;
    }
    for (const auto& command : commands()) {
        if (command.name != name) continue;
        try {
            Args args(name, std::vector<std::string>(argv + 2, argv + argc));
            return command.run(args);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "error: %s\n", e.what());
            return 2;
        }
    }
    std::fprintf(stderr, "error: unknown command '%s' (see 'flopwise help')\n", name.c_str());
    return 2;
}

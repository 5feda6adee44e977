#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace flopwise::cli {

// Command-line flags of one subcommand: `--name value`, `--name=value` and bare `--switch`.
// Every flag read is marked; finish() rejects anything left over, so a typo is an error that names
// the flag, never silently ignored.
class Args {
public:
    Args(std::string command, std::vector<std::string> words);

    std::optional<std::string> value(const std::string& name);
    std::string required(const std::string& name);
    // A flag followed by `count` values (`--ab OLD NEW`); nullopt when absent.
    std::optional<std::vector<std::string>> values(const std::string& name, size_t count);
    bool flag(const std::string& name);
    int64_t integer(const std::string& name, int64_t fallback, int64_t min, int64_t max);
    double number(const std::string& name, double fallback, double min, double max);
    std::vector<std::string> list(const std::string& name);  // comma-separated
    // Every value of a flag that may be given more than once (`--claim A --claim B`).
    std::vector<std::string> repeated(const std::string& name);
    // The first word when it is not a flag (a sub-command such as `bench engine`).
    std::optional<std::string> leading_word();
    // The words no flag has taken, in order (call after reading every flag).
    std::vector<std::string> positionals();
    void finish() const;
    const std::string& command() const { return command_; }

private:
    struct Word {
        std::string text;
        bool used = false;
    };
    std::optional<size_t> find(const std::string& name);

    std::string command_;
    std::vector<Word> words_;
};

}  // namespace flopwise::cli

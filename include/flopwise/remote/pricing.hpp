#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flopwise::remote {

// What an API charges, in US dollars per million tokens.
struct Price {
    std::string model;                     // a model id, or a pattern with * and ? ("claude-3-5-haiku-*")
    std::vector<std::string> backends;     // empty: any backend
    double input_per_million = 0;
    double output_per_million = 0;
    double reasoning_per_million = 0;      // hidden reasoning tokens; the output price unless given
    std::string source;                    // where the figure was published, and when
    std::string file;                      // the table it came from
    nlohmann::ordered_json to_json() const;
};

// Price tables in YAML (pricing/prices.yaml, docs/remote-backends.md). Entries of earlier files
// come first, and the first entry that matches a model wins, so a user's table overrides the
// built-in one entry by entry.
class PriceTable {
public:
    static PriceTable load(const std::vector<std::string>& files);  // Error naming the file and field on a bad entry
    std::optional<Price> find(const std::string& backend, const std::string& model) const;
    const std::vector<Price>& entries() const { return entries_; }

private:
    std::vector<Price> entries_;
};

// The tables a run uses: the user's (the flag, else $FLOPWISE_PRICES) then the built-in
// pricing/prices.yaml found in the current directory or the project root of the executable.
std::vector<std::string> price_files(const std::string& user_file);

}  // namespace flopwise::remote

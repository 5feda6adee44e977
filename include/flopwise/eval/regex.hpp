#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flopwise::eval {

// A compiled regular expression with the semantics of Python's `re` module on text, which is what
// lm-evaluation-harness task definitions are written against: Unicode-aware classes (\d, \w, \s),
// findall's group conventions and re.sub's `\1` / `\g<name>` references.
class Regex {
public:
    // Throws Error naming the pattern and the offset of the syntax error.
    explicit Regex(const std::string& pattern);
    ~Regex();
    Regex(Regex&&) noexcept;
    Regex& operator=(Regex&&) noexcept;

    int group_count() const;

    // re.findall: every non-overlapping match, left to right, as its capture groups 1..n
    // (an unset group is ""), or as the whole match when the pattern has no groups.
    std::vector<std::vector<std::string>> find_all(std::string_view text) const;
    // re.sub(pattern, replacement, text) with every match replaced.
    std::string replace_all(std::string_view text, std::string_view replacement) const;

private:
    struct Compiled;
    std::string pattern_;
    std::unique_ptr<Compiled> compiled_;
};

}  // namespace flopwise::eval

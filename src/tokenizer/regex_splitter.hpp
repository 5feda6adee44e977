#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flopwise {

// A PCRE2 pattern (UTF, Unicode properties) that cuts text into its matches and the stretches
// between them, keeping both, in order. Input that is not valid UTF-8 is accepted: invalid bytes
// never take part in a match, so they end up in the stretches between matches.
// Immutable after construction, so one instance may serve many threads.
class RegexSplitter {
public:
    // Throws Error naming the pattern when PCRE2 rejects it.
    explicit RegexSplitter(std::string pattern);
    ~RegexSplitter();
    RegexSplitter(RegexSplitter&&) noexcept;
    RegexSplitter& operator=(RegexSplitter&&) noexcept;

    // Appends the pieces of `text` (views into it) to `pieces`; empty pieces are never produced.
    void split(std::string_view text, std::vector<std::string_view>& pieces) const;

    const std::string& pattern() const { return pattern_; }

private:
    struct Compiled;
    std::string pattern_;
    std::unique_ptr<Compiled> compiled_;
};

}  // namespace flopwise

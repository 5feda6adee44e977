#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flopwise/tokenizer.hpp"

namespace flopwise {

// Finds the texts of special tokens (control, user-defined, unknown) inside input text so that
// each occurrence becomes that one token. Scanning left to right, the longest token text that
// starts at a position wins. User-defined tokens are always recognised; control and unknown tokens
// only when the caller asks to parse special tokens.
class SpecialTokenMatcher {
public:
    struct Fragment {
        std::string_view text;  // a view of the input
        TokenId token = -1;     // the special token this text is, or -1 for ordinary text
    };

    // The first token added for a given text keeps it; empty texts are ignored.
    void add(std::string_view text, TokenId id, bool needs_parse_special);

    // Cuts `text` into ordinary stretches and special tokens, in order; no fragment is empty.
    std::vector<Fragment> split(std::string_view text, bool parse_special) const;

private:
    struct Node {
        TokenId token = -1;
        bool needs_parse_special = false;
    };
    int32_t child(int32_t node, unsigned char byte) const;
    // The longest usable token text starting at `pos`: {length, id}, or {0, -1}.
    std::pair<size_t, TokenId> longest_match(std::string_view text, size_t pos, bool parse_special) const;

    std::vector<Node> nodes_{Node{}};
    std::unordered_map<uint64_t, int32_t> edges_;  // (node << 8 | byte) -> child node
    // Bytes that start some token text, for each mode: [0] without, [1] with parse_special.
    std::array<std::array<bool, 256>, 2> starts_{};
};

}  // namespace flopwise

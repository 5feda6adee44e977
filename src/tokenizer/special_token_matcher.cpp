#include "special_token_matcher.hpp"

namespace flopwise {
namespace {

uint64_t edge_key(int32_t node, unsigned char byte) { return (static_cast<uint64_t>(node) << 8) | byte; }

}  // namespace

void SpecialTokenMatcher::add(std::string_view text, TokenId id, bool needs_parse_special) {
    if (text.empty()) return;
    int32_t node = 0;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        auto [it, inserted] = edges_.try_emplace(edge_key(node, byte), static_cast<int32_t>(nodes_.size()));
        if (inserted) nodes_.emplace_back();
        node = it->second;
    }
    if (nodes_[static_cast<size_t>(node)].token >= 0) return;
    nodes_[static_cast<size_t>(node)] = Node{id, needs_parse_special};
    const auto first = static_cast<unsigned char>(text[0]);
    starts_[1][first] = true;
    if (!needs_parse_special) starts_[0][first] = true;
}

int32_t SpecialTokenMatcher::child(int32_t node, unsigned char byte) const {
    const auto it = edges_.find(edge_key(node, byte));
    return it == edges_.end() ? -1 : it->second;
}

std::pair<size_t, TokenId> SpecialTokenMatcher::longest_match(std::string_view text, size_t pos,
                                                             bool parse_special) const {
    std::pair<size_t, TokenId> best{0, -1};
    int32_t node = 0;
    for (size_t i = pos; i < text.size(); ++i) {
        node = child(node, static_cast<unsigned char>(text[i]));
        if (node < 0) break;
        const Node& here = nodes_[static_cast<size_t>(node)];
        if (here.token >= 0 && (parse_special || !here.needs_parse_special)) best = {i + 1 - pos, here.token};
    }
    return best;
}

std::vector<SpecialTokenMatcher::Fragment> SpecialTokenMatcher::split(std::string_view text, bool parse_special) const {
    std::vector<Fragment> fragments;
    const auto& starts = starts_[parse_special ? 1 : 0];
    size_t plain_start = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        if (!starts[static_cast<unsigned char>(text[pos])]) {
            ++pos;
            continue;
        }
        const auto [length, token] = longest_match(text, pos, parse_special);
        if (length == 0) {
            ++pos;
            continue;
        }
        if (pos > plain_start) fragments.push_back({text.substr(plain_start, pos - plain_start), -1});
        fragments.push_back({text.substr(pos, length), token});
        pos += length;
        plain_start = pos;
    }
    if (plain_start < text.size()) fragments.push_back({text.substr(plain_start), -1});
    return fragments;
}

}  // namespace flopwise

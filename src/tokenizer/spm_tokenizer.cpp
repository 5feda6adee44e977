#include "spm_tokenizer.hpp"

#include <cstdio>
#include <queue>

#include "flopwise/error.hpp"
#include "utf8.hpp"

namespace flopwise {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581, SentencePiece's visible space
constexpr std::string_view kUnknownPiece = "\xE2\x96\x85";  // U+2585, shown where text was lost

// A run of the text that is currently one symbol, linked to its neighbours.
struct Symbol {
    uint32_t start;
    uint32_t length;
    int32_t prev;
    int32_t next;
};

// Merging symbols `left` and `right` (then `length` bytes together) would make a token of `score`.
struct Candidate {
    float score;
    int32_t left;
    int32_t right;
    uint32_t length;
};

// Highest score first; among equal scores the leftmost pair.
struct LowerPriority {
    bool operator()(const Candidate& a, const Candidate& b) const {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
};

std::string replace_spaces(std::string_view text, bool prefix) {
    std::string out;
    out.reserve(text.size() + text.size() / 2 + 3);
    if (prefix) out += kSpaceMarker;
    for (char c : text) {
        if (c == ' ') {
            out += kSpaceMarker;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

SpmTokenizer::SpmTokenizer(const gguf::File& file) : VocabularyTokenizer(file, /*default_add_bos=*/true) {
    scores_.assign(tokens_.size(), 0.0f);
    if (file.has("tokenizer.ggml.scores")) {
        const std::vector<double> scores = file.get_float_array("tokenizer.ggml.scores");
        if (scores.size() != tokens_.size())
            throw Error(file.describe("tokenizer.ggml.scores has " + std::to_string(scores.size()) +
                                      " entries but tokenizer.ggml.tokens has " + std::to_string(tokens_.size())));
        for (size_t i = 0; i < scores.size(); ++i) scores_[i] = static_cast<float>(scores[i]);
    }
    add_space_prefix_ = file.get_bool("tokenizer.ggml.add_space_prefix", true);
    pre_ = file.get_string("tokenizer.ggml.pre", "default");

    for (int byte = 0; byte < 256; ++byte) {
        char spelled[8];
        std::snprintf(spelled, sizeof(spelled), "<0x%02X>", byte);
        TokenId id = find(spelled);
        if (id < 0) id = find(std::string(1, static_cast<char>(byte)));
        byte_tokens_[static_cast<size_t>(byte)] = id >= 0 ? id : unknown_;
    }
}

void SpmTokenizer::append_bytes(std::string_view piece, std::vector<TokenId>& out) const {
    for (char c : piece) {
        const TokenId id = byte_tokens_[static_cast<unsigned char>(c)];
        if (id < 0) {
            char hex[8];
            std::snprintf(hex, sizeof(hex), "0x%02X", static_cast<unsigned char>(c));
            throw Error(path_ + ": cannot encode byte " + hex +
                        ": the vocabulary has no byte token for it and no unknown token");
        }
        out.push_back(id);
    }
}

void SpmTokenizer::encode_text(std::string_view input, bool after_special, std::vector<TokenId>& out) const {
    const std::string text = replace_spaces(input, add_space_prefix_ && after_special);
    if (text.empty()) return;

    std::vector<Symbol> symbols;
    symbols.reserve(text.size());
    // Invalid UTF-8 becomes one symbol per byte, so that it can never swallow a following space
    // marker; such bytes end up as byte tokens and decode back to themselves.
    for (size_t pos = 0; pos < text.size();) {
        const size_t length = utf8::decode(text, pos).length;
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(length), index - 1,
                           pos + length == text.size() ? -1 : index + 1});
        pos += length;
    }

    std::priority_queue<Candidate, std::vector<Candidate>, LowerPriority> queue;
    const auto consider = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const Symbol& a = symbols[static_cast<size_t>(left)];
        const uint32_t length = a.length + symbols[static_cast<size_t>(right)].length;
        const TokenId id = find(std::string_view(text).substr(a.start, length));
        if (id >= 0) queue.push({scores_[static_cast<size_t>(id)], left, right, length});
    };
    for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) consider(i - 1, i);

    while (!queue.empty()) {
        const Candidate best = queue.top();
        queue.pop();
        Symbol& left = symbols[static_cast<size_t>(best.left)];
        Symbol& right = symbols[static_cast<size_t>(best.right)];
        // Either side may have changed since the candidate was queued; then it no longer applies.
        if (left.length == 0 || right.length == 0 || left.length + right.length != best.length) continue;
        left.length += right.length;
        right.length = 0;
        left.next = right.next;
        if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = best.left;
        consider(left.prev, best.left);
        consider(best.left, left.next);
    }

    for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
        const Symbol& symbol = symbols[static_cast<size_t>(i)];
        const std::string_view piece = std::string_view(text).substr(symbol.start, symbol.length);
        const TokenId id = find(piece);
        if (id >= 0) {
            out.push_back(id);
        } else {
            append_bytes(piece, out);
        }
    }
}

std::string SpmTokenizer::token_to_piece(TokenId id) const {
    check_id(id);
    const std::string& text = tokens_[static_cast<size_t>(id)];
    switch (kinds_[static_cast<size_t>(id)]) {
        case TokenKind::normal:
        case TokenKind::user_defined:
        case TokenKind::undefined: {
            std::string piece;
            piece.reserve(text.size());
            for (size_t pos = 0; pos < text.size();) {
                if (std::string_view(text).substr(pos, kSpaceMarker.size()) == kSpaceMarker) {
                    piece += ' ';
                    pos += kSpaceMarker.size();
                } else {
                    piece += text[pos++];
                }
            }
            return piece;
        }
        case TokenKind::byte: {
            const int byte = byte_of_byte_token(text);
            return byte < 0 ? text : std::string(1, static_cast<char>(byte));
        }
        case TokenKind::unknown:
            return std::string(kUnknownPiece);
        case TokenKind::control:
        case TokenKind::unused:
            return "";
    }
    return "";
}

}  // namespace flopwise

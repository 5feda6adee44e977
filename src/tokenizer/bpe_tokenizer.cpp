#include "bpe_tokenizer.hpp"

#include <queue>

#include "byte_level.hpp"
#include "flopwise/error.hpp"
#include "utf8.hpp"

namespace flopwise {
namespace {

uint64_t pair_key(TokenId left, TokenId right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// One byte of the word, or what several have merged into; dead symbols have id -1 and are unlinked.
struct Symbol {
    TokenId id;
    int32_t prev;
    int32_t next;
};

struct Candidate {
    int32_t rank;
    int32_t left;
    int32_t right;
    TokenId left_id;
    TokenId right_id;
};

// Lowest rank first; among equal ranks the leftmost pair.
struct LowerPriority {
    bool operator()(const Candidate& a, const Candidate& b) const {
        return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    }
};

}  // namespace

BpeTokenizer::BpeTokenizer(const gguf::File& file)
    : VocabularyTokenizer(file, /*default_add_bos=*/false),
      pre_(file.get_string("tokenizer.ggml.pre", "default"), file.path()) {
    for (int byte = 0; byte < 256; ++byte) {
        std::string character;
        utf8::append(character, byte_level::byte_to_code_point(static_cast<uint8_t>(byte)));
        byte_tokens_[static_cast<size_t>(byte)] = find(character);
    }
    load_merges(file);
}

void BpeTokenizer::load_merges(const gguf::File& file) {
    const std::vector<std::string> merges = file.get_string_array("tokenizer.ggml.merges");
    merges_.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const std::string& merge = merges[rank];
        // The separator is the first space after the first character (a token may not be empty).
        const size_t space = merge.find(' ', 1);
        if (space == std::string::npos)
            throw Error(file.describe("tokenizer.ggml.merges[" + std::to_string(rank) + "] = '" + merge +
                                      "' is not two tokens separated by a space"));
        const std::string_view left(merge.data(), space);
        const std::string_view right = std::string_view(merge).substr(space + 1);
        const TokenId left_id = find(left);
        const TokenId right_id = find(right);
        const TokenId result = find(std::string(left) + std::string(right));
        // A merge that cannot produce a vocabulary token from vocabulary tokens can never apply.
        if (left_id < 0 || right_id < 0 || result < 0) continue;
        merges_.try_emplace(pair_key(left_id, right_id), Merge{static_cast<int32_t>(rank), result});
    }
}

const BpeTokenizer::Merge* BpeTokenizer::find_merge(TokenId left, TokenId right) const {
    if (left < 0 || right < 0) return nullptr;
    const auto it = merges_.find(pair_key(left, right));
    return it == merges_.end() ? nullptr : &it->second;
}

void BpeTokenizer::encode_text(std::string_view text, bool /*after_special*/, std::vector<TokenId>& out) const {
    const std::string normalized = pre_.normalize(text);
    for (std::string_view word : pre_.split(normalized)) encode_word(word, out);
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<TokenId>& out) const {
    if (pre_.ignores_merges_for_whole_tokens()) {
        if (const TokenId whole = find(byte_level::encode(word)); whole >= 0) {
            out.push_back(whole);
            return;
        }
    }

    std::vector<Symbol> symbols(word.size());
    for (size_t i = 0; i < word.size(); ++i) {
        symbols[i] = {byte_tokens_[static_cast<unsigned char>(word[i])], static_cast<int32_t>(i) - 1,
                      i + 1 == word.size() ? -1 : static_cast<int32_t>(i) + 1};
    }

    std::priority_queue<Candidate, std::vector<Candidate>, LowerPriority> queue;
    const auto consider = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const TokenId left_id = symbols[static_cast<size_t>(left)].id;
        const TokenId right_id = symbols[static_cast<size_t>(right)].id;
        if (const Merge* merge = find_merge(left_id, right_id))
            queue.push({merge->rank, left, right, left_id, right_id});
    };
    for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) consider(i - 1, i);

    while (!queue.empty()) {
        const Candidate best = queue.top();
        queue.pop();
        Symbol& left = symbols[static_cast<size_t>(best.left)];
        Symbol& right = symbols[static_cast<size_t>(best.right)];
        // A symbol that merged since the candidate was queued has a different id (a longer token).
        if (left.next != best.right || left.id != best.left_id || right.id != best.right_id) continue;
        left.id = find_merge(best.left_id, best.right_id)->result;
        left.next = right.next;
        if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = best.left;
        right = {-1, -1, -1};
        consider(left.prev, best.left);
        consider(best.left, left.next);
    }

    for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
        const TokenId id = symbols[static_cast<size_t>(i)].id;
        // A byte whose character the vocabulary lacks becomes the unknown token, or is dropped.
        if (id >= 0) {
            out.push_back(id);
        } else if (unknown_ >= 0) {
            out.push_back(unknown_);
        }
    }
}

std::string BpeTokenizer::token_to_piece(TokenId id) const {
    check_id(id);
    const std::string& text = tokens_[static_cast<size_t>(id)];
    switch (kinds_[static_cast<size_t>(id)]) {
        case TokenKind::normal:
        case TokenKind::undefined:
            return byte_level::decode(text);
        case TokenKind::user_defined:
            return text;
        case TokenKind::byte: {
            const int byte = byte_of_byte_token(text);
            return byte < 0 ? text : std::string(1, static_cast<char>(byte));
        }
        case TokenKind::unknown:
        case TokenKind::control:
        case TokenKind::unused:
            return "";
    }
    return "";
}

}  // namespace flopwise

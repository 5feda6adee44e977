#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flopwise/gguf.hpp"
#include "flopwise/tokenizer.hpp"
#include "special_token_matcher.hpp"

namespace flopwise {

// What both tokenizer models share: the vocabulary read and validated from tokenizer.ggml.*, the
// BOS/EOS policy, end-of-generation tokens, and cutting the input at special tokens before the
// model-specific encoder sees the ordinary text between them.
class VocabularyTokenizer : public Tokenizer {
public:
    std::vector<TokenId> encode(std::string_view text, const EncodeOptions& options) const final;

protected:
    // `default_add_bos` applies when tokenizer.ggml.add_bos_token is absent.
    VocabularyTokenizer(const gguf::File& file, bool default_add_bos);

    // Encodes text that holds no special token. `after_special` is true at the start of the input
    // and right after a special token.
    virtual void encode_text(std::string_view text, bool after_special, std::vector<TokenId>& out) const = 0;

    // The id of the token with exactly this text, or -1.
    TokenId find(std::string_view text) const;
    // The byte a token spelled "<0xXX>" stands for, or -1 for any other text.
    static int byte_of_byte_token(std::string_view text);
    // Throws Error naming the id when it is outside the vocabulary.
    void check_id(TokenId id) const;
    // Reads an optional token id key: -1 when absent (or stored as -1); Error when out of range.
    TokenId read_token_id(const gguf::File& file, std::string_view key) const;

    std::string path_;
    TokenId unknown_ = -1;

private:
    void collect_end_of_generation(const gguf::File& file);
    void register_special_tokens();

    std::unordered_map<std::string_view, TokenId> ids_by_text_;  // views into tokens_
    SpecialTokenMatcher special_tokens_;
};

}  // namespace flopwise

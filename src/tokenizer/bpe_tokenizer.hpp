#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "pre_tokenizer.hpp"
#include "vocabulary_tokenizer.hpp"

namespace flopwise {

// Byte-level BPE (tokenizer.ggml.model = "gpt2": GPT-2, Llama 3, Qwen2, SmolLM, DeepSeek, ...).
// The pre-tokenizer cuts the text into words; each word starts as its bytes (spelled with GPT-2's
// byte characters) and the adjacent pair with the lowest merge rank (tokenizer.ggml.merges, in
// file order) is merged until no pair has a rank.
class BpeTokenizer final : public VocabularyTokenizer {
public:
    explicit BpeTokenizer(const gguf::File& file);

    std::string token_to_piece(TokenId id) const override;
    std::string_view model_name() const override { return "gpt2"; }
    std::string_view pre_tokenizer() const override { return pre_.name(); }

private:
    struct Merge {
        int32_t rank;
        TokenId result;
    };

    void encode_text(std::string_view text, bool after_special, std::vector<TokenId>& out) const override;
    void encode_word(std::string_view word, std::vector<TokenId>& out) const;
    const Merge* find_merge(TokenId left, TokenId right) const;
    void load_merges(const gguf::File& file);

    PreTokenizer pre_;
    std::unordered_map<uint64_t, Merge> merges_;  // (left id << 32 | right id) -> merge
    std::array<TokenId, 256> byte_tokens_{};      // the token of each byte's character, or -1
};

}  // namespace flopwise

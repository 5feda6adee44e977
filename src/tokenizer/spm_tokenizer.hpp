#pragma once
#include <array>
#include <string>
#include <vector>

#include "vocabulary_tokenizer.hpp"

namespace flopwise {

// SentencePiece-style BPE over a scored vocabulary (tokenizer.ggml.model = "llama": Llama 1/2,
// Mistral, Phi-3, Gemma). Spaces become U+2581, optionally with one more in front of the text;
// the text starts as single characters and the adjacent pair whose concatenation is the
// highest-scoring vocabulary token is merged until no pair is a token (ties: leftmost). Pieces
// that are not tokens fall back to <0xXX> byte tokens.
class SpmTokenizer final : public VocabularyTokenizer {
public:
    explicit SpmTokenizer(const gguf::File& file);

    std::string token_to_piece(TokenId id) const override;
    std::string_view model_name() const override { return "llama"; }
    std::string_view pre_tokenizer() const override { return pre_; }

private:
    void encode_text(std::string_view text, bool after_special, std::vector<TokenId>& out) const override;
    void append_bytes(std::string_view piece, std::vector<TokenId>& out) const;

    std::vector<float> scores_;
    std::array<TokenId, 256> byte_tokens_{};  // -1 where the vocabulary has no way to spell the byte
    bool add_space_prefix_ = true;
    std::string pre_;
};

}  // namespace flopwise

#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flopwise/gguf.hpp"

namespace flopwise {

using TokenId = int32_t;

// GGUF tokenizer.ggml.token_type values.
enum class TokenKind : int32_t {
    undefined = 0, normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6,
};

struct EncodeOptions {
    bool add_bos = true;          // prepend BOS when the vocabulary asks for it (tokenizer.ggml.add_bos_token)
    bool add_eos = false;         // append EOS when the vocabulary asks for it (tokenizer.ggml.add_eos_token)
    bool parse_special = false;   // recognise control/user-defined token texts inside the input
};

// A tokenizer built from a GGUF file's tokenizer.ggml.* metadata. Two models: "llama"
// (SentencePiece-style, score-driven merges with byte fallback) and "gpt2" (byte-level BPE with a
// pre-tokenizer chosen by tokenizer.ggml.pre). Encoding is deterministic and thread-safe.
class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    static std::unique_ptr<Tokenizer> from_gguf(const gguf::File& file);

    virtual std::vector<TokenId> encode(std::string_view text, const EncodeOptions& options = {}) const = 0;
    // The text of one token as it appears in output (byte tokens become raw bytes, SentencePiece's
    // U+2581 becomes a space, byte-level BPE symbols become their bytes). Control tokens give "".
    virtual std::string token_to_piece(TokenId id) const = 0;
    std::string decode(const std::vector<TokenId>& ids) const;

    virtual std::string_view model_name() const = 0;      // "llama" or "gpt2"
    virtual std::string_view pre_tokenizer() const = 0;   // tokenizer.ggml.pre or "default"

    int32_t vocab_size() const { return static_cast<int32_t>(tokens_.size()); }
    const std::string& token_text(TokenId id) const { return tokens_.at(static_cast<size_t>(id)); }
    TokenKind token_kind(TokenId id) const { return kinds_.at(static_cast<size_t>(id)); }
    TokenId bos() const { return bos_; }   // -1 when absent
    TokenId eos() const { return eos_; }   // -1 when absent
    bool adds_bos() const { return add_bos_; }
    bool adds_eos() const { return add_eos_; }
    // Tokens that end generation (EOS, EOT and other end-of-generation control tokens).
    bool is_end_of_generation(TokenId id) const;

protected:
    std::vector<std::string> tokens_;
    std::vector<TokenKind> kinds_;
    std::vector<TokenId> end_of_generation_;
    TokenId bos_ = -1;
    TokenId eos_ = -1;
    bool add_bos_ = false;
    bool add_eos_ = false;
};

}  // namespace flopwise

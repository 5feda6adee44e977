#include "vocabulary_tokenizer.hpp"

#include <algorithm>
#include <limits>

#include "flopwise/error.hpp"

namespace flopwise {
namespace {

// Spellings of end-of-turn / end-of-text tokens across chat vocabularies. Converters do not
// always mark these as control tokens or list them in metadata, yet generation must stop on them.
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>",          "<end_of_turn>",
    "<|endoftext|>", "<|eom_id|>", "<|end_of_text|>", "<EOT>",
};

bool is_end_of_generation_text(std::string_view text) {
    return std::find(std::begin(kEndOfGenerationTexts), std::end(kEndOfGenerationTexts), text) !=
           std::end(kEndOfGenerationTexts);
}

}  // namespace

VocabularyTokenizer::VocabularyTokenizer(const gguf::File& file, bool default_add_bos) : path_(file.path()) {
    tokens_ = file.get_string_array("tokenizer.ggml.tokens");
    if (tokens_.empty()) throw Error(file.describe("tokenizer.ggml.tokens is empty"));
    if (tokens_.size() > static_cast<size_t>(std::numeric_limits<TokenId>::max()))
        throw Error(file.describe("tokenizer.ggml.tokens has more entries than token ids can address"));

    kinds_.assign(tokens_.size(), TokenKind::normal);
    if (file.has("tokenizer.ggml.token_type")) {
        const std::vector<int64_t> types = file.get_int_array("tokenizer.ggml.token_type");
        if (types.size() != tokens_.size())
            throw Error(file.describe("tokenizer.ggml.token_type has " + std::to_string(types.size()) +
                                      " entries but tokenizer.ggml.tokens has " + std::to_string(tokens_.size())));
        for (size_t i = 0; i < types.size(); ++i) {
            if (types[i] < 0 || types[i] > static_cast<int64_t>(TokenKind::byte))
                throw Error(file.describe("tokenizer.ggml.token_type[" + std::to_string(i) + "] = " +
                                          std::to_string(types[i]) + " is not a token type (0..6)"));
            kinds_[i] = static_cast<TokenKind>(types[i]);
        }
    }

    // Later duplicates of a text win, so that lookups agree with the other GGUF runtimes.
    ids_by_text_.reserve(tokens_.size());
    for (size_t i = 0; i < tokens_.size(); ++i) ids_by_text_[tokens_[i]] = static_cast<TokenId>(i);

    bos_ = read_token_id(file, "tokenizer.ggml.bos_token_id");
    eos_ = read_token_id(file, "tokenizer.ggml.eos_token_id");
    unknown_ = read_token_id(file, "tokenizer.ggml.unknown_token_id");
    read_token_id(file, "tokenizer.ggml.padding_token_id");  // unused here, but a bad value means a bad file

    add_bos_ = file.get_bool("tokenizer.ggml.add_bos_token", default_add_bos && bos_ >= 0);
    add_eos_ = file.get_bool("tokenizer.ggml.add_eos_token", false);
    if (add_bos_ && bos_ < 0)
        throw Error(file.describe("tokenizer.ggml.add_bos_token is true but tokenizer.ggml.bos_token_id is missing"));
    if (add_eos_ && eos_ < 0)
        throw Error(file.describe("tokenizer.ggml.add_eos_token is true but tokenizer.ggml.eos_token_id is missing"));

    collect_end_of_generation(file);
    register_special_tokens();
}

TokenId VocabularyTokenizer::read_token_id(const gguf::File& file, std::string_view key) const {
    if (!file.has(key)) return -1;
    const int64_t id = file.get_int(key);
    if (id == -1) return -1;
    if (id < 0 || id >= static_cast<int64_t>(tokens_.size()))
        throw Error(file.describe(std::string(key) + " = " + std::to_string(id) + " is outside the vocabulary (" +
                                  std::to_string(tokens_.size()) + " tokens)"));
    return static_cast<TokenId>(id);
}

void VocabularyTokenizer::collect_end_of_generation(const gguf::File& file) {
    const auto add = [this](TokenId id) {
        if (id >= 0 && std::find(end_of_generation_.begin(), end_of_generation_.end(), id) == end_of_generation_.end())
            end_of_generation_.push_back(id);
    };
    add(eos_);
    add(read_token_id(file, "tokenizer.ggml.eot_token_id"));
    add(read_token_id(file, "tokenizer.ggml.eom_token_id"));
    for (size_t i = 0; i < tokens_.size(); ++i) {
        const bool special = kinds_[i] == TokenKind::control || kinds_[i] == TokenKind::user_defined;
        if (special && is_end_of_generation_text(tokens_[i])) add(static_cast<TokenId>(i));
    }
}

void VocabularyTokenizer::register_special_tokens() {
    for (size_t i = 0; i < tokens_.size(); ++i) {
        const auto id = static_cast<TokenId>(i);
        switch (kinds_[i]) {
            case TokenKind::control:
            case TokenKind::unknown:
                special_tokens_.add(tokens_[i], id, true);
                break;
            case TokenKind::user_defined:
                // An end-of-generation marker written in ordinary text stays text, as a control token would.
                special_tokens_.add(tokens_[i], id, is_end_of_generation(id));
                break;
            default:
                break;
        }
    }
}

TokenId VocabularyTokenizer::find(std::string_view text) const {
    const auto it = ids_by_text_.find(text);
    return it == ids_by_text_.end() ? -1 : it->second;
}

int VocabularyTokenizer::byte_of_byte_token(std::string_view text) {
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
    const auto hex = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    const int high = hex(text[3]);
    const int low = hex(text[4]);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
}

void VocabularyTokenizer::check_id(TokenId id) const {
    if (id < 0 || id >= vocab_size())
        throw Error(path_ + ": token id " + std::to_string(id) + " is outside the vocabulary (" +
                    std::to_string(vocab_size()) + " tokens)");
}

std::vector<TokenId> VocabularyTokenizer::encode(std::string_view text, const EncodeOptions& options) const {
    std::vector<TokenId> out;
    out.reserve(text.size() / 3 + 2);
    if (options.add_bos && add_bos_) out.push_back(bos_);
    bool after_special = true;
    for (const SpecialTokenMatcher::Fragment& fragment : special_tokens_.split(text, options.parse_special)) {
        if (fragment.token >= 0) {
            out.push_back(fragment.token);
            after_special = true;
        } else {
            encode_text(fragment.text, after_special, out);
            after_special = false;
        }
    }
    if (options.add_eos && add_eos_) out.push_back(eos_);
    return out;
}

}  // namespace flopwise

// The heap-based merge loops against straightforward quadratic versions of the same algorithms,
// written here from the definitions, on random text and real vocabularies.
#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <random>
#include <unordered_map>

#include "../../../src/tokenizer/byte_level.hpp"
#include "flopwise/gguf.hpp"
#include "flopwise/tokenizer.hpp"
#include "vocab_vectors.hpp"

namespace flopwise {
namespace {

constexpr EncodeOptions kPlain{.add_bos = false, .add_eos = false, .parse_special = false};

std::vector<std::string> utf8_characters(const std::string& text) {
    std::vector<std::string> out;
    for (size_t pos = 0; pos < text.size();) {
        const auto lead = static_cast<unsigned char>(text[pos]);
        const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        out.push_back(text.substr(pos, length));
        pos += length;
    }
    return out;
}

// SentencePiece merging by definition: while some adjacent pair concatenates to a token, merge the
// pair with the highest score (the leftmost among equals); then spell pieces that are not tokens
// with byte tokens.
std::vector<TokenId> reference_spm(const std::unordered_map<std::string, TokenId>& ids, const std::vector<double>& scores,
                                   const std::string& input) {
    std::string text = "\xE2\x96\x81";
    for (char c : input) text += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);
    std::vector<std::string> symbols = utf8_characters(text);
    while (true) {
        size_t best = symbols.size();
        double best_score = -std::numeric_limits<double>::infinity();
        for (size_t i = 0; i + 1 < symbols.size(); ++i) {
            const auto it = ids.find(symbols[i] + symbols[i + 1]);
            if (it != ids.end() && (best == symbols.size() || scores[static_cast<size_t>(it->second)] > best_score)) {
                best = i;
                best_score = scores[static_cast<size_t>(it->second)];
            }
        }
        if (best == symbols.size()) break;
        symbols[best] += symbols[best + 1];
        symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    }
    std::vector<TokenId> out;
    for (const std::string& symbol : symbols) {
        if (const auto it = ids.find(symbol); it != ids.end()) {
            out.push_back(it->second);
            continue;
        }
        for (unsigned char byte : symbol) {
            char spelled[8];
            std::snprintf(spelled, sizeof(spelled), "<0x%02X>", byte);
            out.push_back(ids.at(spelled));
        }
    }
    return out;
}

// Byte-level BPE on one word by definition: while some adjacent pair is a merge, apply the one
// listed first (the leftmost occurrence among equals).
std::vector<TokenId> reference_bpe_word(const std::unordered_map<std::string, TokenId>& ids,
                                        const std::unordered_map<std::string, size_t>& ranks, const std::string& word) {
    std::vector<std::string> symbols = utf8_characters(byte_level::encode(word));
    while (true) {
        size_t best = symbols.size();
        size_t best_rank = std::numeric_limits<size_t>::max();
        for (size_t i = 0; i + 1 < symbols.size(); ++i) {
            const auto it = ranks.find(symbols[i] + " " + symbols[i + 1]);
            if (it != ranks.end() && it->second < best_rank) {
                best = i;
                best_rank = it->second;
            }
        }
        if (best == symbols.size()) break;
        symbols[best] += symbols[best + 1];
        symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    }
    std::vector<TokenId> out;
    for (const std::string& symbol : symbols) out.push_back(ids.at(symbol));
    return out;
}

std::unordered_map<std::string, TokenId> ids_by_text(const gguf::File& file) {
    std::unordered_map<std::string, TokenId> ids;
    const std::vector<std::string> tokens = file.get_string_array("tokenizer.ggml.tokens");
    for (size_t i = 0; i < tokens.size(); ++i) ids[tokens[i]] = static_cast<TokenId>(i);
    return ids;
}

std::string random_text(std::mt19937& rng, const std::vector<std::string>& alphabet, size_t max_length) {
    std::string text;
    const size_t length = 1 + rng() % max_length;
    for (size_t i = 0; i < length; ++i) text += alphabet[rng() % alphabet.size()];
    return text;
}

TEST(MergeReference, SentencePieceHeapMatchesQuadraticDefinition) {
    auto file = gguf::File::open(test::tokenizer_vectors_dir() + "/ggml-vocab-llama-spm.gguf");
    const auto tokenizer = Tokenizer::from_gguf(*file);
    const auto ids = ids_by_text(*file);
    const std::vector<double> scores = file->get_float_array("tokenizer.ggml.scores");
    const std::vector<std::string> alphabet = {"a", "b", "e", "i", "n", "o", "r", "s", "t", "th", "ing", " ", " ",
                                               "\xC3\xA9", "\xE6\x97\xA5", "\xF0\x9F\xA6\x99", "1", ".", "\n"};
    std::mt19937 rng(1);
    for (int trial = 0; trial < 300; ++trial) {
        const std::string text = random_text(rng, alphabet, 60);
        ASSERT_EQ(tokenizer->encode(text, kPlain), reference_spm(ids, scores, text)) << test::printable(text);
    }
}

TEST(MergeReference, BytePairHeapMatchesQuadraticDefinition) {
    auto file = gguf::File::open(test::tokenizer_vectors_dir() + "/ggml-vocab-gpt-2.gguf");
    const auto tokenizer = Tokenizer::from_gguf(*file);
    const auto ids = ids_by_text(*file);
    std::unordered_map<std::string, size_t> ranks;
    const std::vector<std::string> merges = file->get_string_array("tokenizer.ggml.merges");
    for (size_t i = 0; i < merges.size(); ++i) ranks.emplace(merges[i], i);
    // Letter runs with an optional leading space are single words for GPT-2's pre-tokenizer.
    const std::vector<std::string> letters = {"a", "b", "e", "i", "n", "o", "r", "s", "t", "th", "er", "\xC3\xA9"};
    std::mt19937 rng(2);
    for (int trial = 0; trial < 300; ++trial) {
        std::string word = trial % 2 ? " " : "";
        word += random_text(rng, letters, 40);
        ASSERT_EQ(tokenizer->encode(word, kPlain), reference_bpe_word(ids, ranks, word)) << test::printable(word);
    }
}

}  // namespace
}  // namespace flopwise

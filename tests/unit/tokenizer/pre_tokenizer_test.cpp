// Word splitting for byte-level BPE vocabularies.
#include <gtest/gtest.h>

#include <random>

#include "../../../src/tokenizer/pre_tokenizer.hpp"
#include "../../../src/tokenizer/regex_splitter.hpp"
#include "flopwise/error.hpp"

namespace flopwise {
namespace {

std::vector<std::string> words(std::string_view pre, const std::string& text) {
    const PreTokenizer p(pre, "test.gguf");
    std::vector<std::string> out;
    for (std::string_view w : p.split(text)) out.emplace_back(w);
    return out;
}

using Words = std::vector<std::string>;

TEST(RegexSplitter, KeepsMatchesAndTheTextBetweenThem) {
    const RegexSplitter digits(R"(\p{N}+)");
    std::vector<std::string_view> pieces;
    digits.split("ab12cd345", pieces);
    EXPECT_EQ(pieces, (std::vector<std::string_view>{"ab", "12", "cd", "345"}));
    pieces.clear();
    digits.split("", pieces);
    EXPECT_TRUE(pieces.empty());
    EXPECT_THROW(RegexSplitter("(unclosed"), Error);
}

TEST(RegexSplitter, InvalidUtf8IsCarriedBetweenMatches) {
    const RegexSplitter letters(R"(\p{L}+)");
    std::vector<std::string_view> pieces;
    letters.split("ab\xFF\xC3" "cd", pieces);
    std::string joined;
    for (std::string_view p : pieces) joined += p;
    EXPECT_EQ(joined, "ab\xFF\xC3" "cd");
    EXPECT_EQ(pieces.front(), "ab");
    EXPECT_EQ(pieces.back(), "cd");
}

TEST(PreTokenizer, Gpt2SplitsWordsContractionsAndSpaces) {
    EXPECT_EQ(words("gpt-2", "Hello world's  end!\n"), (Words{"Hello", " world", "'s", " ", " end", "!", "\n"}));
    EXPECT_EQ(words("default", "x 12345"), (Words{"x", " 12345"}));
}

TEST(PreTokenizer, Llama3GroupsDigitsByThreeAndFoldsContractionCase) {
    EXPECT_EQ(words("llama-bpe", "1234567 I'M"), (Words{"123", "456", "7", " I", "'M"}));
    EXPECT_EQ(words("llama-bpe", "a\n\n  b"), (Words{"a", "\n\n", " ", " b"}));
}

TEST(PreTokenizer, Qwen2SplitsSingleDigitsAndNormalizes) {
    EXPECT_EQ(words("qwen2", "x123"), (Words{"x", "1", "2", "3"}));
    const PreTokenizer qwen("qwen2", "test.gguf");
    EXPECT_EQ(qwen.normalize("e\xCC\x81"), "\xC3\xA9");
    const PreTokenizer gpt2("gpt-2", "test.gguf");
    EXPECT_EQ(gpt2.normalize("e\xCC\x81"), "e\xCC\x81");
}

TEST(PreTokenizer, SmolLmIsolatesEveryDigit) {
    EXPECT_EQ(words("smollm", "ab 2024!"), (Words{"ab", " ", "2", "0", "2", "4", "!"}));
}

TEST(PreTokenizer, FalconSplitsDigitsAmongByteCharacters) {
    // " ½" is bytes 20 C2 BD; byte BD is spelled "½", a digit, so it is cut off after mapping.
    EXPECT_EQ(words("falcon", "4 \xC2\xBD"), (Words{"4", " \xC2", "\xBD"}));
    EXPECT_EQ(words("falcon", "1314151"), (Words{"131", "415", "1"}));
}

TEST(PreTokenizer, PiecesCoverTheInputExactly) {
    std::mt19937 rng(7);
    for (std::string_view pre : PreTokenizer::supported_names()) {
        const PreTokenizer p(pre, "test.gguf");
        for (int trial = 0; trial < 50; ++trial) {
            std::string text(static_cast<size_t>(rng() % 64), '\0');
            for (char& c : text) c = static_cast<char>(rng() % 256);
            std::string joined;
            for (std::string_view w : p.split(text)) {
                EXPECT_FALSE(w.empty()) << pre;
                joined += w;
            }
            EXPECT_EQ(joined, text) << pre;
        }
    }
}

TEST(PreTokenizer, UnknownNameListsTheSupportedOnes) {
    try {
        PreTokenizer("klingon", "model.gguf");
        FAIL() << "no error";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("model.gguf"), std::string::npos) << message;
        EXPECT_NE(message.find("'klingon'"), std::string::npos) << message;
        for (std::string_view name : PreTokenizer::supported_names())
            EXPECT_NE(message.find(std::string(name)), std::string::npos) << name;
    }
}

}  // namespace
}  // namespace flopwise

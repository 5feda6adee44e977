// Acceptance test: every case of every vocabulary in shared/tokenizer-vectors must tokenize exactly
// as its .out file says (no BOS, special tokens not parsed), and decoding must give the input back.
#include <gtest/gtest.h>

#include <algorithm>

#include "flopwise/gguf.hpp"
#include "flopwise/tokenizer.hpp"
#include "../../../src/tokenizer/unicode_nfc.hpp"
#include "vocab_vectors.hpp"

namespace flopwise {
namespace {

using test::VocabVectors;

constexpr EncodeOptions kPlain{.add_bos = false, .add_eos = false, .parse_special = false};

std::string test_name(const testing::TestParamInfo<std::string>& info) {
    std::string name = info.param;
    if (name.rfind("ggml-vocab-", 0) == 0) name = name.substr(11);
    std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    return name;
}

class TokenizerVectors : public testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        vectors_ = test::load_vocab_vectors(GetParam());
        file_ = gguf::File::open(vectors_.gguf_path);
        tokenizer_ = Tokenizer::from_gguf(*file_);
    }
    VocabVectors vectors_;
    std::shared_ptr<gguf::File> file_;
    std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_P(TokenizerVectors, EveryCaseMatches) {
    ASSERT_FALSE(vectors_.inputs.empty());
    size_t failures = 0;
    for (size_t i = 0; i < vectors_.inputs.size(); ++i) {
        const std::vector<TokenId> actual = tokenizer_->encode(vectors_.inputs[i], kPlain);
        if (actual == vectors_.expected[i]) continue;
        ++failures;
        ADD_FAILURE() << vectors_.name << " case " << i << ": input " << test::printable(vectors_.inputs[i])
                      << "\n  expected " << test::format_ids(vectors_.expected[i]) << "\n  actual   "
                      << test::format_ids(actual);
    }
    EXPECT_EQ(failures, 0u) << "of " << vectors_.inputs.size() << " cases";
}

// Byte-level BPE loses nothing (apart from the NFC normalization some vocabularies apply);
// SentencePiece adds one space in front of the text when the vocabulary asks for a space prefix.
TEST_P(TokenizerVectors, DecodeInvertsEncode) {
    const bool spm = tokenizer_->model_name() == "llama";
    const bool space_prefix = spm && file_->get_bool("tokenizer.ggml.add_space_prefix", true);
    const std::string pre = tokenizer_->pre_tokenizer() == "qwen2" || tokenizer_->pre_tokenizer() == "mpt" ? "nfc" : "";
    for (size_t i = 0; i < vectors_.inputs.size(); ++i) {
        const std::string& input = vectors_.inputs[i];
        std::string expected = pre == "nfc" ? unicode::to_nfc(input) : input;
        if (space_prefix && !expected.empty()) expected = " " + expected;
        EXPECT_EQ(tokenizer_->decode(tokenizer_->encode(input, kPlain)), expected)
            << vectors_.name << " case " << i << ": input " << test::printable(input);
    }
}

INSTANTIATE_TEST_SUITE_P(SharedVocabularies, TokenizerVectors, testing::ValuesIn(test::vocab_vector_names()),
                         test_name);

// The vocabularies the project must support; the parametrized suite above would silently shrink
// if one of them went missing.
TEST(TokenizerVectorsPresence, RequiredVocabulariesArePresent) {
    const std::vector<std::string> names = test::vocab_vector_names();
    for (const char* required : {"ggml-vocab-llama-spm", "ggml-vocab-llama-bpe", "ggml-vocab-qwen2",
                                 "ggml-vocab-gpt-2", "ggml-vocab-phi-3"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), required), names.end())
            << required << " is missing from " << test::tokenizer_vectors_dir();
    }
}

}  // namespace
}  // namespace flopwise

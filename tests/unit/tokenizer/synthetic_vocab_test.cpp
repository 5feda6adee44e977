// The merge algorithms and the metadata checks on tiny hand-made vocabularies, where the right
// answer can be worked out by hand.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "flopwise/error.hpp"
#include "flopwise/gguf.hpp"
#include "flopwise/tokenizer.hpp"
#include "synthetic_vocab.hpp"

namespace flopwise {
namespace {

using test::kByte;
using test::kControl;
using test::kUnknown;
using test::kUserDefined;
using test::SyntheticVocab;

constexpr EncodeOptions kPlain{.add_bos = false, .add_eos = false, .parse_special = false};
const std::string kSpace = "\xE2\x96\x81";  // U+2581

std::unique_ptr<Tokenizer> load(const SyntheticVocab& vocab, const std::string& label) {
    auto file = gguf::File::open(vocab.write(label));
    return Tokenizer::from_gguf(*file);
}

// Expects loading to fail with an Error whose message contains every one of `parts`.
void expect_load_error(const SyntheticVocab& vocab, const std::string& label, std::initializer_list<std::string> parts) {
    try {
        load(vocab, label);
        ADD_FAILURE() << label << ": loading succeeded";
    } catch (const Error& e) {
        for (const std::string& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
}

// <unk>, <s>, </s>, then the 256 byte tokens: ids 3..258.
SyntheticVocab spm_base() {
    SyntheticVocab v;
    v.add("<unk>", kUnknown);
    v.add("<s>", kControl);
    v.add("</s>", kControl);
    for (int b = 0; b < 256; ++b) {
        char text[8];
        std::snprintf(text, sizeof(text), "<0x%02X>", b);
        v.add(text, kByte);
    }
    v.ids = {{"tokenizer.ggml.unknown_token_id", 0}, {"tokenizer.ggml.bos_token_id", 1}, {"tokenizer.ggml.eos_token_id", 2}};
    return v;
}
constexpr int32_t byte_token(int b) { return 3 + b; }

TEST(SpmMerges, HighestScoringPairMergesFirst) {
    SyntheticVocab v = spm_base();
    v.flags = {{"tokenizer.ggml.add_space_prefix", false}};
    const int32_t a = v.add("a"), b = v.add("b"), c = v.add("c");
    const int32_t ab = v.add("ab", 1, -2.0f);
    const int32_t bc = v.add("bc", 1, -1.0f);
    auto t = load(v, "spm-score");
    EXPECT_EQ(t->encode("abc", kPlain), (std::vector<TokenId>{a, bc}));
    EXPECT_EQ(t->encode("ab", kPlain), (std::vector<TokenId>{ab}));
    EXPECT_EQ(t->encode("cab", kPlain), (std::vector<TokenId>{c, ab}));
    EXPECT_EQ(t->encode("b", kPlain), (std::vector<TokenId>{b}));
}

TEST(SpmMerges, EqualScoresMergeLeftmostFirst) {
    SyntheticVocab v = spm_base();
    v.flags = {{"tokenizer.ggml.add_space_prefix", false}};
    v.add("a");
    v.add("b");
    const int32_t c = v.add("c");
    const int32_t ab = v.add("ab", 1, -1.0f);
    v.add("bc", 1, -1.0f);
    auto t = load(v, "spm-tie");
    EXPECT_EQ(t->encode("abc", kPlain), (std::vector<TokenId>{ab, c}));
}

TEST(SpmMerges, MergedPiecesKeepMerging) {
    SyntheticVocab v = spm_base();
    v.flags = {{"tokenizer.ggml.add_space_prefix", false}};
    v.add("a");
    v.add("b");
    v.add("ab", 1, -1.0f);
    const int32_t abab = v.add("abab", 1, -3.0f);
    auto t = load(v, "spm-chain");
    EXPECT_EQ(t->encode("ababab", kPlain), (std::vector<TokenId>{abab, t->encode("ab", kPlain)[0]}));
}

TEST(SpmMerges, SpacesBecomeMarkersAndPrefixIsAdded) {
    SyntheticVocab v = spm_base();
    const int32_t space = v.add(kSpace);
    const int32_t a = v.add("a");
    const int32_t space_a = v.add(kSpace + "a", 1, -1.0f);
    auto t = load(v, "spm-space");
    EXPECT_EQ(t->encode("a a", kPlain), (std::vector<TokenId>{space_a, space_a}));
    EXPECT_EQ(t->encode("a  a", kPlain), (std::vector<TokenId>{space_a, space, space_a}));
    EXPECT_EQ(t->decode(t->encode("a  a", kPlain)), " a  a");
    EXPECT_EQ(t->token_to_piece(space_a), " a");
    EXPECT_EQ(t->token_to_piece(a), "a");
    EXPECT_TRUE(t->encode("", kPlain).empty());
}

TEST(SpmMerges, UnknownCharactersFallBackToByteTokens) {
    SyntheticVocab v = spm_base();
    v.flags = {{"tokenizer.ggml.add_space_prefix", false}};
    const int32_t a = v.add("a");
    auto t = load(v, "spm-bytes");
    EXPECT_EQ(t->encode("a\xC3\xA9", kPlain), (std::vector<TokenId>{a, byte_token(0xC3), byte_token(0xA9)}));
    EXPECT_EQ(t->decode(t->encode("a\xC3\xA9", kPlain)), "a\xC3\xA9");
    // Invalid UTF-8 is carried byte by byte and comes back unchanged.
    EXPECT_EQ(t->encode("\xF0" "a", kPlain), (std::vector<TokenId>{byte_token(0xF0), a}));
    EXPECT_EQ(t->token_to_piece(byte_token(0x0A)), "\n");
    EXPECT_EQ(t->token_to_piece(1), "");
}

TEST(SpmMerges, UserDefinedTokensAreMatchedBeforeMerging) {
    SyntheticVocab v = spm_base();
    v.flags = {{"tokenizer.ggml.add_space_prefix", false}};
    const int32_t a = v.add("a");
    const int32_t b = v.add("b");
    const int32_t tag = v.add("<tag>", kUserDefined);
    auto t = load(v, "spm-user");
    EXPECT_EQ(t->encode("a<tag>b", kPlain), (std::vector<TokenId>{a, tag, b}));
    EXPECT_EQ(t->token_to_piece(tag), "<tag>");
}

TEST(SpmMerges, BosFollowsVocabularyAndOption) {
    SyntheticVocab v = spm_base();
    v.flags = {{"tokenizer.ggml.add_space_prefix", false}};
    const int32_t a = v.add("a");
    auto t = load(v, "spm-bos");
    EXPECT_TRUE(t->adds_bos());  // the SentencePiece default
    EXPECT_EQ(t->encode("a"), (std::vector<TokenId>{1, a}));
    EXPECT_EQ(t->encode("a", kPlain), (std::vector<TokenId>{a}));

    v.flags.push_back({"tokenizer.ggml.add_bos_token", false});
    v.flags.push_back({"tokenizer.ggml.add_eos_token", true});
    auto u = load(v, "spm-no-bos");
    EXPECT_EQ(u->encode("a"), (std::vector<TokenId>{a}));
    EXPECT_EQ(u->encode("a", {.add_bos = true, .add_eos = true}), (std::vector<TokenId>{a, 2}));
    EXPECT_TRUE(u->is_end_of_generation(2));
}

// Byte-level BPE: "a", "b", "c", "Ġ" (the space character) and merges in rank order.
SyntheticVocab bpe_base(std::vector<std::string> merges) {
    SyntheticVocab v;
    v.model = "gpt2";
    v.pre = "gpt-2";
    v.scores.clear();
    for (const char* text : {"a", "b", "c", "\xC4\xA0", "ab", "bc", "abc", "\xC4\xA0" "a"}) {
        v.tokens.push_back(text);
        v.types.push_back(1);
    }
    v.merges = std::move(merges);
    return v;
}
enum BpeIds : TokenId { kA, kB, kC, kSpaceChar, kAB, kBC, kABC, kSpaceA };

TEST(BpeMerges, LowestRankMergesFirst) {
    auto t = load(bpe_base({"b c", "a b", "a bc"}), "bpe-rank");
    EXPECT_EQ(t->encode("abc", kPlain), (std::vector<TokenId>{kABC}));
    EXPECT_EQ(t->encode("ab", kPlain), (std::vector<TokenId>{kAB}));

    auto u = load(bpe_base({"a b", "b c", "a bc"}), "bpe-rank-2");
    EXPECT_EQ(u->encode("abc", kPlain), (std::vector<TokenId>{kAB, kC}));
}

TEST(BpeMerges, WordsAreMergedSeparatelyAndSpacesAreByteCharacters) {
    auto t = load(bpe_base({"a b", "\xC4\xA0 a"}), "bpe-words");
    EXPECT_EQ(t->encode("ab a", kPlain), (std::vector<TokenId>{kAB, kSpaceA}));
    EXPECT_EQ(t->encode("a  b", kPlain), (std::vector<TokenId>{kA, kSpaceChar, kSpaceChar, kB}));
    EXPECT_EQ(t->decode(t->encode("ab a", kPlain)), "ab a");
    EXPECT_EQ(t->token_to_piece(kSpaceA), " a");
    EXPECT_FALSE(t->adds_bos());
    EXPECT_EQ(t->model_name(), "gpt2");
    EXPECT_EQ(t->pre_tokenizer(), "gpt-2");
}

TEST(BpeMerges, MergesOfUnknownTokensAreIgnored) {
    auto t = load(bpe_base({"a x", "a b"}), "bpe-unknown-merge");
    EXPECT_EQ(t->encode("ab", kPlain), (std::vector<TokenId>{kAB}));
}

TEST(TokenizerMetadata, UnsupportedModelIsAnError) {
    SyntheticVocab v = spm_base();
    v.model = "bert";
    expect_load_error(v, "bad-model", {"vocab.gguf", "tokenizer.ggml.model", "'bert'", "llama", "gpt2"});
}

TEST(TokenizerMetadata, UnsupportedPreTokenizerListsTheSupportedOnes) {
    SyntheticVocab v = bpe_base({"a b"});
    v.pre = "no-such-pre";
    expect_load_error(v, "bad-pre", {"vocab.gguf", "'no-such-pre'", "qwen2", "llama-bpe", "gpt-2", "smollm"});
}

TEST(TokenizerMetadata, OutOfRangeIdsAreErrors) {
    SyntheticVocab v = spm_base();
    v.ids = {{"tokenizer.ggml.bos_token_id", 259}};
    expect_load_error(v, "bad-bos", {"vocab.gguf", "tokenizer.ggml.bos_token_id", "259"});
    v.ids = {{"tokenizer.ggml.eos_token_id", -7}};
    expect_load_error(v, "bad-eos", {"tokenizer.ggml.eos_token_id", "-7"});
    v.ids = {{"tokenizer.ggml.padding_token_id", 100000}};
    expect_load_error(v, "bad-pad", {"tokenizer.ggml.padding_token_id"});
}

TEST(TokenizerMetadata, InconsistentArraysAreErrors) {
    SyntheticVocab v = spm_base();
    v.types.pop_back();
    expect_load_error(v, "short-types", {"tokenizer.ggml.token_type", "258", "259"});
    v = spm_base();
    v.types[5] = 9;
    expect_load_error(v, "bad-type", {"tokenizer.ggml.token_type[5]", "9"});
    v = spm_base();
    v.scores.resize(3);
    expect_load_error(v, "short-scores", {"tokenizer.ggml.scores"});
    v = spm_base();
    v.tokens.clear();
    v.types.clear();
    v.scores.clear();
    expect_load_error(v, "no-tokens", {"tokenizer.ggml.tokens"});
}

TEST(TokenizerMetadata, BpeNeedsWellFormedMerges) {
    SyntheticVocab v = bpe_base({"ab"});
    expect_load_error(v, "bad-merge", {"tokenizer.ggml.merges[0]", "'ab'"});
    v.merges.reset();
    expect_load_error(v, "no-merges", {"tokenizer.ggml.merges"});
}

TEST(TokenizerMetadata, AddingBosWithoutBosIdIsAnError) {
    SyntheticVocab v = bpe_base({"a b"});
    v.flags = {{"tokenizer.ggml.add_bos_token", true}};
    expect_load_error(v, "bos-missing", {"add_bos_token", "bos_token_id"});
}

TEST(TokenizerMetadata, TokenIdsOutsideTheVocabularyCannotBeDecoded) {
    auto t = load(bpe_base({"a b"}), "decode-range");
    EXPECT_THROW(t->token_to_piece(8), Error);
    EXPECT_THROW(t->token_to_piece(-1), Error);
    EXPECT_THROW(t->decode({kA, 1000}), Error);
}

}  // namespace
}  // namespace flopwise

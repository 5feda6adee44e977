// BOS/EOS policy, special-token parsing and end-of-generation tokens on real vocabularies.
#include <gtest/gtest.h>

#include <algorithm>

#include "flopwise/gguf.hpp"
#include "flopwise/tokenizer.hpp"
#include "vocab_vectors.hpp"

namespace flopwise {
namespace {

std::unique_ptr<Tokenizer> load_shared(const std::string& name) {
    auto file = gguf::File::open(test::tokenizer_vectors_dir() + "/ggml-vocab-" + name + ".gguf");
    return Tokenizer::from_gguf(*file);
}

bool contains(const std::vector<TokenId>& ids, TokenId id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

TEST(BosHandling, FollowsTheVocabularyAndTheOption) {
    auto spm = load_shared("llama-spm");
    EXPECT_EQ(spm->bos(), 1);
    EXPECT_EQ(spm->eos(), 2);
    ASSERT_TRUE(spm->adds_bos());
    const auto with_bos = spm->encode("Hello world");
    const auto without = spm->encode("Hello world", {.add_bos = false});
    ASSERT_EQ(with_bos.size(), without.size() + 1);
    EXPECT_EQ(with_bos[0], 1);
    EXPECT_TRUE(std::equal(without.begin(), without.end(), with_bos.begin() + 1));
    // add_eos_token is false in this vocabulary, so asking for EOS adds nothing.
    EXPECT_EQ(spm->encode("Hello world", {.add_bos = false, .add_eos = true}), without);

    auto llama3 = load_shared("llama-bpe");
    EXPECT_EQ(llama3->encode("Hello world"), (std::vector<TokenId>{128000, 9906, 1917}));

    // GPT-2's file has no add_bos_token key: byte-level BPE does not add BOS by default.
    auto gpt2 = load_shared("gpt-2");
    EXPECT_FALSE(gpt2->adds_bos());
    EXPECT_EQ(gpt2->encode("Hello world"), gpt2->encode("Hello world", {.add_bos = false}));
}

TEST(SpecialTokens, ControlTokensAreParsedOnlyOnRequest) {
    auto qwen = load_shared("qwen2");
    const std::string chat = "<|im_start|>user\nHi<|im_end|>\n";
    const auto parsed = qwen->encode(chat, {.add_bos = false, .parse_special = true});
    ASSERT_GE(parsed.size(), 3u);
    EXPECT_EQ(parsed.front(), 151644);
    EXPECT_TRUE(contains(parsed, 151645));
    EXPECT_EQ(parsed, (std::vector<TokenId>{151644, 872, 198, 13048, 151645, 198}));
    const auto literal = qwen->encode(chat, {.add_bos = false, .parse_special = false});
    EXPECT_FALSE(contains(literal, 151644));
    EXPECT_FALSE(contains(literal, 151645));
    EXPECT_EQ(qwen->decode(literal), chat);
    // Control tokens decode to nothing; the text between them survives.
    EXPECT_EQ(qwen->decode(parsed), "user\nHi\n");
}

TEST(SpecialTokens, UserDefinedTokensAreAlwaysRecognised) {
    auto qwen = load_shared("qwen2");
    EXPECT_EQ(qwen->encode("<tool_call>", {.add_bos = false}), (std::vector<TokenId>{151657}));
    EXPECT_EQ(qwen->token_kind(151657), TokenKind::user_defined);
    EXPECT_EQ(qwen->token_to_piece(151657), "<tool_call>");
}

TEST(SpecialTokens, LongestSpecialTextWins) {
    // MPT's vocabulary has user-defined tokens for runs of 2..24 spaces.
    auto mpt = load_shared("mpt");
    const auto ids = mpt->encode("a     b", {.add_bos = false});
    ASSERT_EQ(ids.size(), 3u);
    EXPECT_EQ(mpt->token_text(ids[1]), "     ");
}

TEST(SpecialTokens, SentencePiecePrefixesTextAfterASpecialToken) {
    // As the reference implementation does: each stretch of text after a special token gets
    // its own space prefix.
    auto spm = load_shared("llama-spm");
    EXPECT_EQ(spm->encode("<s>hi", {.add_bos = false, .parse_special = true}), (std::vector<TokenId>{1, 7251}));
    EXPECT_EQ(spm->encode("a<s>b", {.add_bos = false, .parse_special = true}), (std::vector<TokenId>{263, 1, 289}));
    EXPECT_EQ(spm->encode("<s>hi", {.add_bos = false, .parse_special = false}),
              (std::vector<TokenId>{529, 29879, 29958, 2918}));
}

TEST(EndOfGeneration, IncludesEosAndChatTurnEnds) {
    auto qwen = load_shared("qwen2");
    EXPECT_TRUE(qwen->is_end_of_generation(151643));  // <|endoftext|>, the EOS
    EXPECT_TRUE(qwen->is_end_of_generation(151645));  // <|im_end|>
    EXPECT_FALSE(qwen->is_end_of_generation(151644));
    EXPECT_FALSE(qwen->is_end_of_generation(9707));

    auto llama3 = load_shared("llama-bpe");
    EXPECT_TRUE(llama3->is_end_of_generation(128001));  // <|end_of_text|>
    EXPECT_TRUE(llama3->is_end_of_generation(128009));  // <|eot_id|>
    EXPECT_FALSE(llama3->is_end_of_generation(128000));

    auto phi3 = load_shared("phi-3");
    EXPECT_TRUE(phi3->is_end_of_generation(32000));  // <|endoftext|>
    EXPECT_TRUE(phi3->is_end_of_generation(32007));  // <|end|>
}

TEST(ModelNames, ReportModelAndPreTokenizer) {
    auto spm = load_shared("llama-spm");
    EXPECT_EQ(spm->model_name(), "llama");
    EXPECT_EQ(spm->pre_tokenizer(), "default");
    auto qwen = load_shared("qwen2");
    EXPECT_EQ(qwen->model_name(), "gpt2");
    EXPECT_EQ(qwen->pre_tokenizer(), "qwen2");
    EXPECT_EQ(qwen->vocab_size(), 151936);
}

}  // namespace
}  // namespace flopwise

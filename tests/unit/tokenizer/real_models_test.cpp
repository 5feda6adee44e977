// The vocabularies of the real models flopwise runs (Gemma 3: SentencePiece without a space
// prefix; SmolLM2: byte-level BPE with the "smollm" pre-tokenizer).
//
// Expected ids come from llama.cpp (llama-cpp-python 0.3.36):
//   llama_cpp.Llama(model_path=PATH, vocab_only=True).tokenize(text.encode(), add_bos=False, special=S)
// with S = False unless the test says otherwise.
#include <gtest/gtest.h>

#include <utility>

#include "flopwise/gguf.hpp"
#include "flopwise/tokenizer.hpp"
#include "test_env.hpp"
#include "vocab_vectors.hpp"

namespace flopwise {
namespace {

constexpr EncodeOptions kPlain{.add_bos = false, .add_eos = false, .parse_special = false};
constexpr EncodeOptions kSpecial{.add_bos = false, .add_eos = false, .parse_special = true};

using Case = std::pair<std::string, std::vector<TokenId>>;

std::unique_ptr<Tokenizer> load_model(const std::string& name) {
    auto file = gguf::File::open(test::model_path(name));
    return Tokenizer::from_gguf(*file);
}

void expect_cases(const Tokenizer& tokenizer, const std::vector<Case>& cases) {
    for (const auto& [text, expected] : cases) {
        const std::vector<TokenId> actual = tokenizer.encode(text, kPlain);
        EXPECT_EQ(actual, expected) << test::printable(text) << "\n  expected " << test::format_ids(expected)
                                    << "\n  actual   " << test::format_ids(actual);
        EXPECT_EQ(tokenizer.decode(actual), text) << test::printable(text);
    }
}

TEST(RealModels, Gemma3) {
    const auto gemma = load_model("gemma3-270m");
    EXPECT_EQ(gemma->model_name(), "llama");
    expect_cases(*gemma, {
        {"Hello world", {9259, 1902}},
        {" Hello world", {26352, 1902}},
        {"The capital of France is Paris.", {818, 5279, 529, 7001, 563, 9079, 236761}},
        {"  two spaces\n\nnew paragraph\ttab", {138, 13498, 9952, 108, 1951, 15649, 255968, 4823}},
        {"na\xC3\xAFve caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\xA6\x99",
         {1789, 238527, 560, 33443, 33375, 238582, 236743, 478, 397, 404, 391}},
        {"x = 12345 + 0.5;", {236781, 578, 236743, 236770, 236778, 236800, 236812, 236810, 900, 236743, 236771, 236761,
                              236810, 236793}},
        {"def f(x):\n    return x ** 2\n", {2063, 517, 236769, 236781, 1473, 107, 140, 2060, 1123, 5213, 236743, 236778, 107}},
        {"<b>bold</b> and <br>", {200, 15640, 209, 532, 655, 1457, 236813}},
    });
    // BOS is <bos> = 2 and added by default.
    EXPECT_EQ(gemma->encode("Hello world"), (std::vector<TokenId>{2, 9259, 1902}));
    // special=True
    EXPECT_EQ(gemma->encode("<start_of_turn>user\nHi<end_of_turn>\n", kSpecial),
              (std::vector<TokenId>{105, 2364, 107, 10979, 106, 107}));
    EXPECT_EQ(gemma->encode("<start_of_turn>user\nHi<end_of_turn>\n", kPlain),
              (std::vector<TokenId>{236820, 3041, 236779, 1340, 236779, 887, 236813, 2364, 107, 10979, 236820, 643, 236779,
                                    1340, 236779, 887, 236813, 107}));
    EXPECT_TRUE(gemma->is_end_of_generation(1));    // <eos>
    EXPECT_TRUE(gemma->is_end_of_generation(106));  // <end_of_turn>
}

TEST(RealModels, SmolLm2) {
    const auto smollm = load_model("smollm2-135m");
    EXPECT_EQ(smollm->model_name(), "gpt2");
    EXPECT_EQ(smollm->pre_tokenizer(), "smollm");
    expect_cases(*smollm, {
        {"Hello world", {19556, 905}},
        {" Hello world", {38699, 905}},
        {"The capital of France is Paris.", {504, 3575, 282, 4649, 314, 7042, 30}},
        {"  two spaces\n\nnew paragraph\ttab", {216, 827, 5600, 198, 198, 2241, 8510, 197, 15999}},
        {"na\xC3\xAFve caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\xA6\x99",
         {3546, 46494, 37366, 17097, 241, 115, 40993, 179, 120, 248, 15107, 116, 243}},
        {"x = 12345 + 0.5;", {104, 446, 216, 33, 34, 35, 36, 37, 1232, 216, 32, 30, 37, 43}},
        {"def f(x):\n    return x ** 2\n", {1604, 275, 24, 104, 727, 472, 1003, 1792, 1903, 216, 34, 198}},
        {"<b>bold</b> and <br>", {44, 82, 46, 30471, 9617, 82, 46, 284, 2067, 1612, 46}},
    });
    // add_bos_token is false: nothing is prepended even when BOS is allowed.
    EXPECT_EQ(smollm->encode("Hello world"), (std::vector<TokenId>{19556, 905}));
    // special=True
    EXPECT_EQ(smollm->encode("<|im_start|>user\nHi<|im_end|>\n", kSpecial),
              (std::vector<TokenId>{1, 4093, 198, 26843, 2, 198}));
    EXPECT_EQ(smollm->encode("<|im_start|>user\nHi<|im_end|>\n", kPlain),
              (std::vector<TokenId>{44, 108, 306, 79, 3738, 108, 46, 4093, 198, 26843, 44, 108, 306, 79, 486, 108, 46, 198}));
    EXPECT_TRUE(smollm->is_end_of_generation(2));  // <|im_end|>, the EOS
}

}  // namespace
}  // namespace flopwise

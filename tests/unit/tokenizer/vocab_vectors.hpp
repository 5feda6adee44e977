#pragma once
#include <string>
#include <vector>

#include "flopwise/tokenizer.hpp"

namespace flopwise::test {

// One tokenizer test vector file pair from shared/tokenizer-vectors: NAME.gguf with NAME.gguf.inp
// (cases separated by a "__ggml_vocab_test__" line) and NAME.gguf.out (one line of ids per case).
struct VocabVectors {
    std::string name;  // file name without ".gguf", e.g. "ggml-vocab-qwen2"
    std::string gguf_path;
    std::vector<std::string> inputs;
    std::vector<std::vector<TokenId>> expected;
};

std::string tokenizer_vectors_dir();
// The names of every vocabulary in the directory that has both .inp and .out files, sorted.
std::vector<std::string> vocab_vector_names();
// Reads and parses the files of one vocabulary; throws std::runtime_error when they disagree.
VocabVectors load_vocab_vectors(const std::string& name);
// Shows control characters and non-ASCII bytes of a test input as escapes, for failure messages.
std::string printable(const std::string& text);
std::string format_ids(const std::vector<TokenId>& ids);

}  // namespace flopwise::test

#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace flopwise::test {

// A small vocabulary written as a GGUF file, so that tests can control every tokenizer.ggml.* key
// (including broken values) and know exactly what the merge algorithms must produce.
struct SyntheticVocab {
    std::string model = "llama";
    std::vector<std::string> tokens;
    std::vector<int32_t> types;  // omitted from the file when empty
    std::vector<float> scores;   // omitted when empty
    std::optional<std::vector<std::string>> merges;
    std::optional<std::string> pre;
    std::vector<std::pair<std::string, int32_t>> ids;   // full key -> INT32 value
    std::vector<std::pair<std::string, bool>> flags;    // full key -> BOOL value

    // Adds a token and returns its id.
    int32_t add(const std::string& text, int32_t type = 1, float score = 0.0f);
    // Writes the file into a fresh test directory and returns its path.
    std::string write(const std::string& label) const;
};

// GGUF token types, as stored in tokenizer.ggml.token_type.
enum SyntheticTokenType : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

}  // namespace flopwise::test

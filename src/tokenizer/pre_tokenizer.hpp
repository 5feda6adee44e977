#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "regex_splitter.hpp"

namespace flopwise {

// How a byte-level BPE vocabulary cuts text into words before merging, chosen by the GGUF key
// tokenizer.ggml.pre: an optional NFC normalization, then a sequence of regex splits, each applied
// to every piece the previous ones produced. Some splits run after the byte-to-character mapping
// (they see GPT-2's byte characters instead of the original text), as the model's own tokenizer
// does; pieces are always returned as views of the original bytes.
class PreTokenizer {
public:
    // Throws Error naming `file` and listing the supported names when `name` is unknown.
    PreTokenizer(std::string_view name, const std::string& file);

    static std::vector<std::string_view> supported_names();

    const std::string& name() const { return name_; }
    // The text the splits should see (NFC for the vocabularies that normalize, else unchanged).
    std::string normalize(std::string_view text) const;
    // Words of `text`, as views into it, in order; together they cover all of it.
    std::vector<std::string_view> split(std::string_view text) const;
    // Llama 3: a word that is itself a vocabulary token is emitted whole instead of being merged.
    bool ignores_merges_for_whole_tokens() const { return ignore_merges_; }

private:
    struct Step {
        RegexSplitter regex;
        bool on_byte_characters;
    };

    std::string name_;
    bool nfc_ = false;
    bool ignore_merges_ = false;
    std::vector<Step> steps_;
};

}  // namespace flopwise

#include "pre_tokenizer.hpp"

#include <algorithm>

#include "byte_level.hpp"
#include "flopwise/error.hpp"
#include "unicode_nfc.hpp"

namespace flopwise {
namespace {

// GPT-2's word pattern: contractions, letter runs, digit runs, other-symbol runs (each with an
// optional leading space), then whitespace that leaves one space for the next word.
constexpr std::string_view kGpt2Words =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Llama 3 and Qwen2 differ only in how many digits a number piece may hold.
constexpr std::string_view kLlama3Words =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Words =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// DeepSeek's pattern for CJK ideographs, everything from U+0800 up to them, and Hangul.
constexpr std::string_view kDeepSeekCjk = R"([\x{4E00}-\x{9FA5}\x{0800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";

// DeepSeek LLM's letter runs: the cased letters of the Unicode version it was built with.
constexpr std::string_view kDeepSeekLlmLetters =
    R"(\s?[\x{41}-\x{5A}\x{61}-\x{7A}\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293})"
    R"(\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A}\x{38C})"
    R"(\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556}\x{10A0}-\x{10C5})"
    R"(\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77})"
    R"(\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57})"
    R"(\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4})"
    R"(\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC})"
    R"(\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D})"
    R"(\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B})"
    R"(\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F})"
    R"(\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A})"
    R"(\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2})"
    R"(\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)";
// ASCII punctuation and symbols, their full-width forms, curly quotes and CJK punctuation.
constexpr std::string_view kDeepSeekLlmPunctuation =
    R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)";

struct SplitSpec {
    std::string_view pattern;
    bool on_byte_characters = false;
};

struct Recipe {
    std::vector<std::string_view> names;
    bool nfc = false;
    bool ignore_merges = false;
    std::vector<SplitSpec> splits;
};

const std::vector<Recipe>& recipes() {
    static const std::vector<Recipe> table = {
        {{"default", "gpt-2"}, false, false, {{kGpt2Words}}},
        // MPT uses GPT-NeoX's tokenizer, which normalizes to NFC.
        {{"mpt"}, true, false, {{kGpt2Words}}},
        {{"llama-bpe", "llama3", "llama-v3"}, false, true, {{kLlama3Words}}},
        {{"qwen2"}, true, false, {{kQwen2Words}}},
        // Every digit is a word of its own, then GPT-2's pattern.
        {{"smollm", "starcoder"}, false, false, {{R"(\p{N})"}, {kGpt2Words}}},
        {{"deepseek-llm"},
         false,
         false,
         {{R"([\r\n])"}, {kDeepSeekLlmLetters}, {kDeepSeekLlmPunctuation}, {R"(\s+$)"}, {kDeepSeekCjk}, {R"(\p{N}+)"}}},
        {{"deepseek-coder"},
         false,
         false,
         {{R"([\r\n])"}, {R"(\s?\p{L}+)"}, {R"(\s?\p{P}+)"}, {kDeepSeekCjk}, {R"(\p{N})"}}},
        // Falcon splits digit runs after mapping bytes to characters, so the Latin-1 characters that
        // stand for bytes 0xB2, 0xB3, 0xB9 and 0xBC-0xBE count as digits there.
        {{"falcon"},
         false,
         false,
         {{R"([\p{P}$+<=>^~|`]+)"}, {kGpt2Words}, {R"(\p{N}+)", true}, {R"([0-9][0-9][0-9])", true}}},
    };
    return table;
}

// Splits `word` with a pattern that must see GPT-2's byte characters; the pieces come back as
// views of the original bytes.
void split_byte_characters(const RegexSplitter& regex, std::string_view word, std::vector<std::string_view>& out) {
    const std::string characters = byte_level::encode(word);
    // Each character stands for exactly one byte of `word`: remember which, by character offset.
    std::vector<size_t> byte_at_offset(characters.size() + 1, 0);
    for (size_t offset = 0, byte = 0; byte < word.size(); ++byte) {
        byte_at_offset[offset] = byte;
        offset += byte_level::byte_to_code_point(static_cast<uint8_t>(word[byte])) < 0x80 ? 1 : 2;
    }
    byte_at_offset[characters.size()] = word.size();
    std::vector<std::string_view> pieces;
    regex.split(characters, pieces);
    for (std::string_view piece : pieces) {
        const auto begin = static_cast<size_t>(piece.data() - characters.data());
        const size_t first = byte_at_offset[begin];
        out.push_back(word.substr(first, byte_at_offset[begin + piece.size()] - first));
    }
}

}  // namespace

std::vector<std::string_view> PreTokenizer::supported_names() {
    std::vector<std::string_view> names;
    for (const Recipe& recipe : recipes()) names.insert(names.end(), recipe.names.begin(), recipe.names.end());
    return names;
}

PreTokenizer::PreTokenizer(std::string_view name, const std::string& file) : name_(name) {
    for (const Recipe& recipe : recipes()) {
        if (std::find(recipe.names.begin(), recipe.names.end(), name) == recipe.names.end()) continue;
        nfc_ = recipe.nfc;
        ignore_merges_ = recipe.ignore_merges;
        for (const SplitSpec& spec : recipe.splits)
            steps_.push_back({RegexSplitter(std::string(spec.pattern)), spec.on_byte_characters});
        return;
    }
    std::string supported;
    for (std::string_view known : supported_names()) supported += (supported.empty() ? "" : ", ") + std::string(known);
    throw Error(file + ": tokenizer.ggml.pre = '" + std::string(name) +
                "' is not a supported pre-tokenizer (supported: " + supported + ")");
}

std::string PreTokenizer::normalize(std::string_view text) const {
    return nfc_ ? unicode::to_nfc(text) : std::string(text);
}

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
    std::vector<std::string_view> words;
    if (text.empty()) return words;
    words.push_back(text);
    std::vector<std::string_view> next;
    for (const Step& step : steps_) {
        next.clear();
        for (std::string_view word : words) {
            if (step.on_byte_characters) {
                split_byte_characters(step.regex, word, next);
            } else {
                step.regex.split(word, next);
            }
        }
        words.swap(next);
    }
    return words;
}

}  // namespace flopwise

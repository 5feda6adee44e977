#include "regex_splitter.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "flopwise/error.hpp"
#include "utf8.hpp"

namespace flopwise {
namespace {

std::string pcre2_message(int code) {
    PCRE2_UCHAR buffer[256];
    const int n = pcre2_get_error_message(code, buffer, sizeof(buffer));
    return n < 0 ? "PCRE2 error " + std::to_string(code) : std::string(reinterpret_cast<const char*>(buffer));
}

struct MatchDataDeleter {
    void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

}  // namespace

struct RegexSplitter::Compiled {
    pcre2_code* code = nullptr;
    ~Compiled() { pcre2_code_free(code); }
};

RegexSplitter::RegexSplitter(std::string pattern) : pattern_(std::move(pattern)), compiled_(std::make_unique<Compiled>()) {
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern_.data()), pattern_.size(),
                                    PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error_code, &error_offset,
                                    nullptr);
    if (!compiled_->code) {
        throw Error("pre-tokenizer pattern '" + pattern_ + "': " + pcre2_message(error_code) + " at offset " +
                    std::to_string(error_offset));
    }
    // The JIT only makes matching faster; without it (unsupported CPU) the interpreter is used.
    pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE);
}

RegexSplitter::~RegexSplitter() = default;
RegexSplitter::RegexSplitter(RegexSplitter&&) noexcept = default;
RegexSplitter& RegexSplitter::operator=(RegexSplitter&&) noexcept = default;

void RegexSplitter::split(std::string_view text, std::vector<std::string_view>& pieces) const {
    std::unique_ptr<pcre2_match_data, MatchDataDeleter> match(
        pcre2_match_data_create_from_pattern(compiled_->code, nullptr));
    if (!match) throw Error("pre-tokenizer pattern '" + pattern_ + "': out of memory for match data");
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t search_from = 0;
    size_t piece_start = 0;
    while (search_from <= text.size()) {
        const int rc = pcre2_match(compiled_->code, subject, text.size(), search_from, 0, match.get(), nullptr);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) throw Error("pre-tokenizer pattern '" + pattern_ + "': " + pcre2_message(rc));
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
        const size_t begin = ovector[0];
        const size_t end = ovector[1];
        if (end <= begin) {
            // An empty match splits nothing; step over one character to guarantee progress.
            if (begin >= text.size()) break;
            search_from = begin + utf8::decode(text, begin).length;
            continue;
        }
        if (begin > piece_start) pieces.push_back(text.substr(piece_start, begin - piece_start));
        pieces.push_back(text.substr(begin, end - begin));
        piece_start = search_from = end;
    }
    if (piece_start < text.size()) pieces.push_back(text.substr(piece_start));
}

}  // namespace flopwise

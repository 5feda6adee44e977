#include "flopwise/eval/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "flopwise/error.hpp"

namespace flopwise::eval {

struct Regex::Compiled {
    pcre2_code* code = nullptr;
    ~Compiled() { pcre2_code_free(code); }
};

namespace {

struct MatchData {
    pcre2_match_data* data;
    explicit MatchData(const pcre2_code* code) : data(pcre2_match_data_create_from_pattern(code, nullptr)) {
        if (!data) throw Error("regex: out of memory for match data");
    }
    ~MatchData() { pcre2_match_data_free(data); }
    MatchData(const MatchData&) = delete;
    MatchData& operator=(const MatchData&) = delete;
};

// Walks every match the way Perl and Python 3.7+ do: after an empty match the next attempt starts
// at the same place but may not be empty there, and failing that moves one character on.
template <typename OnMatch>
void for_each_match(const std::string& pattern, const pcre2_code* code, std::string_view text, OnMatch on_match) {
    MatchData match(code);
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    PCRE2_SIZE offset = 0;
    uint32_t options = 0;
    while (offset <= text.size()) {
        const int rc = pcre2_match(code, subject, text.size(), offset, options, match.data, nullptr);
        if (rc == PCRE2_ERROR_NOMATCH) {
            if (options == 0) return;
            // No non-empty match here: step over one UTF-8 character.
            ++offset;
            while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) ++offset;
            options = 0;
            continue;
        }
        if (rc < 0) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(rc, message, sizeof message);
            throw Error("regex '" + pattern + "': matching failed: " + reinterpret_cast<const char*>(message));
        }
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.data);
        on_match(ovector, rc);
        offset = ovector[1];
        options = ovector[0] == ovector[1] ? (PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED) : 0;
    }
}

std::string group_text(std::string_view text, const PCRE2_SIZE* ovector, int count, int group) {
    if (group >= count || ovector[2 * group] == PCRE2_UNSET) return {};
    return std::string(text.substr(ovector[2 * group], ovector[2 * group + 1] - ovector[2 * group]));
}

}  // namespace

Regex::Regex(const std::string& pattern) : pattern_(pattern), compiled_(std::make_unique<Compiled>()) {
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF | PCRE2_UCP, &error,
                                    &error_offset, nullptr);
    if (!compiled_->code) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(error, message, sizeof message);
        throw Error("regex '" + pattern + "': " + reinterpret_cast<const char*>(message) + " at offset " + std::to_string(error_offset));
    }
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

int Regex::group_count() const {
    uint32_t count = 0;
    pcre2_pattern_info(compiled_->code, PCRE2_INFO_CAPTURECOUNT, &count);
    return static_cast<int>(count);
}

std::vector<std::vector<std::string>> Regex::find_all(std::string_view text) const {
    const int groups = group_count();
    std::vector<std::vector<std::string>> out;
    for_each_match(pattern_, compiled_->code, text, [&](const PCRE2_SIZE* ovector, int count) {
        std::vector<std::string> match;
        if (groups == 0) {
            match.push_back(group_text(text, ovector, count, 0));
        } else {
            for (int g = 1; g <= groups; ++g) match.push_back(group_text(text, ovector, count, g));
        }
        out.push_back(std::move(match));
    });
    return out;
}

namespace {

// One piece of a re.sub replacement: literal text, or a group to copy.
struct ReplacementPart {
    std::string literal;
    int group = -1;
};

std::vector<ReplacementPart> parse_replacement(const std::string& pattern, const pcre2_code* code, std::string_view replacement) {
    std::vector<ReplacementPart> parts(1);
    auto add_group = [&](int group) {
        parts.push_back({{}, group});
        parts.push_back({});
    };
    uint32_t capture_count = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &capture_count);
    const auto bad = [&](const std::string& why) {
        return Error("regex '" + pattern + "': replacement '" + std::string(replacement) + "': " + why);
    };
    for (size_t i = 0; i < replacement.size(); ++i) {
        const char c = replacement[i];
        if (c != '\\' || i + 1 == replacement.size()) {
            parts.back().literal += c;
            continue;
        }
        const char next = replacement[++i];
        if (next >= '0' && next <= '9') {
            int group = next - '0';
            if (i + 1 < replacement.size() && replacement[i + 1] >= '0' && replacement[i + 1] <= '9') group = group * 10 + (replacement[++i] - '0');
            if (group > static_cast<int>(capture_count)) throw bad("invalid group reference " + std::to_string(group));
            add_group(group);
        } else if (next == 'g') {
            const size_t close = replacement.find('>', i);
            if (i + 1 >= replacement.size() || replacement[i + 1] != '<' || close == std::string_view::npos) throw bad("malformed \\g<...>");
            const std::string name(replacement.substr(i + 2, close - i - 2));
            int group = -1;
            if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
                group = std::stoi(name);
            } else {
                group = pcre2_substring_number_from_name(code, reinterpret_cast<PCRE2_SPTR>(name.c_str()));
            }
            if (group < 0 || group > static_cast<int>(capture_count)) throw bad("unknown group '" + name + "'");
            add_group(group);
            i = close;
        } else if (next == 'n') {
            parts.back().literal += '\n';
        } else if (next == 't') {
            parts.back().literal += '\t';
        } else if (next == 'r') {
            parts.back().literal += '\r';
        } else if (next == '\\') {
            parts.back().literal += '\\';
        } else if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z')) {
            throw bad(std::string("bad escape \\") + next);
        } else {
            parts.back().literal += '\\';
            parts.back().literal += next;
        }
    }
    return parts;
}

}  // namespace

std::string Regex::replace_all(std::string_view text, std::string_view replacement) const {
    const auto parts = parse_replacement(pattern_, compiled_->code, replacement);
    std::string out;
    size_t copied = 0;
    for_each_match(pattern_, compiled_->code, text, [&](const PCRE2_SIZE* ovector, int count) {
        out.append(text.substr(copied, ovector[0] - copied));
        for (const auto& part : parts) {
            if (part.group >= 0) {
                out += group_text(text, ovector, count, part.group);
            } else {
                out += part.literal;
            }
        }
        copied = ovector[1];
    });
    out.append(text.substr(copied));
    return out;
}

}  // namespace flopwise::eval

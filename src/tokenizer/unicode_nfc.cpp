#include "unicode_nfc.hpp"

#include <algorithm>
#include <vector>

#include "unicode_tables.hpp"
#include "utf8.hpp"

namespace flopwise::unicode {
namespace {

// Hangul syllables are composed and decomposed arithmetically (Unicode chapter 3.12).
constexpr char32_t kSyllableBase = 0xAC00, kLeadBase = 0x1100, kVowelBase = 0x1161, kTrailBase = 0x11A7;
constexpr char32_t kLeadCount = 19, kVowelCount = 21, kTrailCount = 28;
constexpr char32_t kSyllableCount = kLeadCount * kVowelCount * kTrailCount;

// Invalid input bytes travel through the code point buffer as values above the Unicode range;
// they have class 0, no decomposition and compose with nothing.
constexpr char32_t kRawByteBase = 0x110000;

bool is_hangul_syllable(char32_t cp) { return cp >= kSyllableBase && cp < kSyllableBase + kSyllableCount; }

void decompose(char32_t cp, std::vector<char32_t>& out) {
    if (is_hangul_syllable(cp)) {
        const char32_t index = cp - kSyllableBase;
        out.push_back(kLeadBase + index / (kVowelCount * kTrailCount));
        out.push_back(kVowelBase + (index % (kVowelCount * kTrailCount)) / kTrailCount);
        if (index % kTrailCount != 0) out.push_back(kTrailBase + index % kTrailCount);
        return;
    }
    const auto& table = unicode_tables::canonical_decompositions;
    const auto it = std::lower_bound(table.begin(), table.end(), cp,
                                     [](const auto& entry, char32_t key) { return entry.code_point < key; });
    if (it == table.end() || it->code_point != cp) {
        out.push_back(cp);
        return;
    }
    decompose(it->first, out);
    if (it->second != 0) decompose(it->second, out);
}

// Sorts every run of non-starters by combining class, keeping equal classes in order.
void reorder_canonically(std::vector<char32_t>& cps) {
    size_t i = 0;
    while (i < cps.size()) {
        if (canonical_combining_class(cps[i]) == 0) {
            ++i;
            continue;
        }
        size_t end = i;
        while (end < cps.size() && canonical_combining_class(cps[end]) != 0) ++end;
        std::stable_sort(cps.begin() + static_cast<std::ptrdiff_t>(i), cps.begin() + static_cast<std::ptrdiff_t>(end),
                         [](char32_t a, char32_t b) {
                             return canonical_combining_class(a) < canonical_combining_class(b);
                         });
        i = end;
    }
}

// The primary composite of (first, second), or 0 when they do not compose.
char32_t compose_pair(char32_t first, char32_t second) {
    if (first >= kLeadBase && first < kLeadBase + kLeadCount && second >= kVowelBase &&
        second < kVowelBase + kVowelCount) {
        return kSyllableBase + ((first - kLeadBase) * kVowelCount + (second - kVowelBase)) * kTrailCount;
    }
    if (is_hangul_syllable(first) && (first - kSyllableBase) % kTrailCount == 0 && second > kTrailBase &&
        second < kTrailBase + kTrailCount) {
        return first + (second - kTrailBase);
    }
    const auto& table = unicode_tables::canonical_compositions;
    const auto it = std::lower_bound(table.begin(), table.end(), std::pair{first, second},
                                     [](const auto& entry, const std::pair<char32_t, char32_t>& key) {
                                         return std::pair{entry.first, entry.second} < key;
                                     });
    if (it == table.end() || it->first != first || it->second != second) return 0;
    return it->composite;
}

// Canonical composition in place: each character combines with the last starter unless a
// character between them blocks it (a starter, or a class not lower than its own).
void compose(std::vector<char32_t>& cps) {
    if (cps.empty()) return;
    size_t starter = 0;
    // A leading non-starter has no starter to combine with: a class above any real one blocks it.
    int last_class = canonical_combining_class(cps[0]) == 0 ? 0 : 256;
    size_t kept = 1;
    for (size_t i = 1; i < cps.size(); ++i) {
        const char32_t cp = cps[i];
        const int cp_class = canonical_combining_class(cp);
        const bool blocked = last_class != 0 && last_class >= cp_class;
        const char32_t composite = blocked ? 0 : compose_pair(cps[starter], cp);
        if (composite != 0) {
            cps[starter] = composite;
            continue;
        }
        if (cp_class == 0) starter = kept;
        last_class = cp_class;
        cps[kept++] = cp;
    }
    cps.resize(kept);
}

// Every code point below U+0300 is stable under NFC and cannot combine with a predecessor; in UTF-8
// all code points from U+0300 on start with a byte of 0xCC or more.
bool may_change(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0xCC; });
}

}  // namespace

uint8_t canonical_combining_class(char32_t cp) {
    if (cp < 0x300) return 0;
    const auto& table = unicode_tables::combining_classes;
    const auto it = std::upper_bound(table.begin(), table.end(), cp,
                                     [](char32_t key, const auto& range) { return key < range.first; });
    if (it == table.begin()) return 0;
    const auto& range = *(it - 1);
    return cp <= range.last ? range.ccc : 0;
}

std::string to_nfc(std::string_view text) {
    if (!may_change(text)) return std::string(text);
    std::vector<char32_t> cps;
    cps.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        const utf8::Decoded d = utf8::decode(text, pos);
        if (d.valid) {
            decompose(d.code_point, cps);
        } else {
            cps.push_back(kRawByteBase + static_cast<unsigned char>(text[pos]));
        }
        pos += d.length;
    }
    reorder_canonically(cps);
    compose(cps);
    std::string out;
    out.reserve(text.size());
    for (char32_t cp : cps) {
        if (cp >= kRawByteBase) {
            out += static_cast<char>(cp - kRawByteBase);
        } else {
            utf8::append(out, cp);
        }
    }
    return out;
}

}  // namespace flopwise::unicode

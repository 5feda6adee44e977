#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace flopwise::utf8 {

// One step of decoding: the code point at a position and how many bytes it spans. An invalid or
// truncated sequence decodes as a single byte with valid == false, so that callers can carry raw
// bytes through unchanged instead of failing on them.
struct Decoded {
    char32_t code_point = 0;
    size_t length = 1;
    bool valid = false;
};

Decoded decode(std::string_view text, size_t pos);

void append(std::string& out, char32_t code_point);

}  // namespace flopwise::utf8

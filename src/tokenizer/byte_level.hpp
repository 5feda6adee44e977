#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace flopwise::byte_level {

// GPT-2's reversible byte <-> character map: printable Latin-1 bytes stand for themselves, the
// other 68 bytes (controls, space, soft hyphen, ...) take the code points from U+0100 on, in byte
// order. Byte-level BPE vocabularies spell every token with these characters.
char32_t byte_to_code_point(uint8_t byte);
// The byte a character stands for, or -1 when it is not one of the 256 characters of the map.
int code_point_to_byte(char32_t code_point);

// Raw bytes -> their characters (UTF-8).
std::string encode(std::string_view bytes);
// Characters -> the bytes they stand for; characters outside the map are kept as they are.
std::string decode(std::string_view text);

}  // namespace flopwise::byte_level

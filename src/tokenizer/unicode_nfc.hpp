#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace flopwise::unicode {

// Unicode Normalization Form C (canonical decomposition, canonical ordering, canonical
// composition). Bytes that are not valid UTF-8 pass through unchanged and block composition.
std::string to_nfc(std::string_view text);

uint8_t canonical_combining_class(char32_t code_point);

}  // namespace flopwise::unicode

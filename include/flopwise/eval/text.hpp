#pragma once
#include <string>

namespace flopwise::eval {

// Python's str.replace(from, to) for a non-empty `from`: every occurrence, left to right.
std::string replace_all(const std::string& text, const std::string& from, const std::string& to);
// ASCII whitespace as Python's str methods define it: space, \t..\r and \x1c..\x1f.
bool is_python_space(unsigned char c);
// Python's str.strip(): removes that whitespace from both ends.
std::string strip(const std::string& text);

}  // namespace flopwise::eval

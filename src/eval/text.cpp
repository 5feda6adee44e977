#include "flopwise/eval/text.hpp"

namespace flopwise::eval {
bool is_python_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }

std::string replace_all(const std::string& text, const std::string& from, const std::string& to) {
    std::string out;
    size_t start = 0, at;
    while ((at = text.find(from, start)) != std::string::npos) {
        out.append(text, start, at - start);
        out += to;
        start = at + from.size();
    }
    out.append(text, start);
    return out;
}

std::string strip(const std::string& text) {
    size_t begin = 0, end = text.size();
    while (begin < end && is_python_space(static_cast<unsigned char>(text[begin]))) ++begin;
    while (end > begin && is_python_space(static_cast<unsigned char>(text[end - 1]))) --end;
    return text.substr(begin, end - begin);
}

}  // namespace flopwise::eval

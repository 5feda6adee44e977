#include "flopwise/serve/text_stream.hpp"

#include <algorithm>
#include <string_view>

namespace flopwise::serve {
namespace {

// Length of the longest tail of `text` that is a proper beginning of `stop`.
size_t partial_stop_length(std::string_view text, std::string_view stop) {
    for (size_t n = std::min(text.size(), stop.size() - 1); n > 0; --n)
        if (text.substr(text.size() - n) == stop.substr(0, n)) return n;
    return 0;
}

// Bytes at the end of `text` that begin a UTF-8 character whose remaining bytes have not arrived.
size_t incomplete_utf8_length(std::string_view text) {
    for (size_t back = 1; back <= std::min<size_t>(3, text.size()); ++back) {
        const auto byte = static_cast<unsigned char>(text[text.size() - back]);
        if ((byte & 0xC0) == 0x80) continue;  // a continuation byte: look further back
        const size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
        return length > back ? back : 0;
    }
    return 0;
}

}  // namespace

std::string TextStream::advance(const std::string& text) {
    size_t held = 0;
    for (const auto& stop : stops_)
        if (!stop.empty()) held = std::max(held, partial_stop_length(text, stop));
    size_t end = text.size() - held;
    end -= incomplete_utf8_length(std::string_view(text).substr(0, end));
    if (end <= sent_) return {};
    std::string out = text.substr(sent_, end - sent_);
    sent_ = end;
    return out;
}

std::string TextStream::finish(const std::string& final_text) {
    if (final_text.size() <= sent_) return {};
    std::string out = final_text.substr(sent_);
    sent_ = final_text.size();
    return out;
}

}  // namespace flopwise::serve

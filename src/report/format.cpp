#include "flopwise/report/format.hpp"

#include <cstdio>

namespace flopwise::report {

std::string format_flops(double flops) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", flops);
    return text;
}

std::string format_p(double p) {
    if (p < 1e-4) return "<1e-4";
    char text[32];
    std::snprintf(text, sizeof text, p < 0.001 ? "%.1e" : "%.4f", p);
    return text;
}

std::string format_percent(double fraction, int decimals) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, 100.0 * fraction);
    return text;
}

std::string html_escape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string markdown_escape(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '|': case '\\': case '`': case '*': case '_': case '[': case ']': case '#': case '!':
                out += '\\';
                out += c;
                break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '\n': case '\r': out += ' '; break;
            default: out += c;
        }
    }
    return out;
}

}  // namespace flopwise::report

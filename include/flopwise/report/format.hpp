#pragma once
#include <string>

namespace flopwise::report {

// "1.23e+09" style FLOPs, p-values ("<1e-4" below that), percentages ("45.0").
std::string format_flops(double flops);
std::string format_p(double p);
std::string format_percent(double fraction, int decimals = 1);
// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(const std::string& text);
// Escapes the characters that would break a Markdown table cell or inject markup.
std::string markdown_escape(const std::string& text);

}  // namespace flopwise::report

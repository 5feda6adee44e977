#include "flopwise/eval/progress.hpp"

#include <cmath>
#include <unistd.h>

namespace flopwise::eval {

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "?";
    const auto s = static_cast<int64_t>(std::llround(seconds));
    char text[32];
    if (s >= 3600) std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s % 3600 / 60));
    else if (s >= 60) std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
    else std::snprintf(text, sizeof text, "%llds", static_cast<long long>(s));
    return text;
}

Progress::Progress(std::FILE* out, Style style, std::chrono::seconds interval) : out_(out), interval_(interval) {
    if (style == Style::automatic) style = isatty(fileno(out)) ? Style::bar : Style::lines;
    bar_ = style == Style::bar;
    quiet_ = style == Style::quiet;
}

void Progress::start(const std::string& label, int64_t total) {
    label_ = label;
    total_ = total;
    done_ = 0;
    started_ = last_draw_ = std::chrono::steady_clock::now();
    if (!quiet_ && !bar_) std::fprintf(out_, "%s: %lld requests to run\n", label_.c_str(), static_cast<long long>(total_));
    if (bar_) draw(false);
}

void Progress::advance(int64_t done) {
    done_ += done;
    const auto now = std::chrono::steady_clock::now();
    const auto wait = bar_ ? std::chrono::milliseconds(100) : std::chrono::duration_cast<std::chrono::milliseconds>(interval_);
    if (now - last_draw_ >= wait) draw(false);
}

void Progress::finish() { draw(true); }

void Progress::draw(bool final) {
    if (quiet_) return;
    last_draw_ = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(last_draw_ - started_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : NAN;
    const double fraction = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
    if (bar_) {
        constexpr int width = 30;
        const int filled = static_cast<int>(fraction * width);
        std::string bar(static_cast<size_t>(filled), '#');
        bar.resize(width, '.');
        std::fprintf(out_, "\r%s [%s] %lld/%lld %5.1f%% %.1f req/s %s %s\033[K", label_.c_str(), bar.c_str(), static_cast<long long>(done_),
                     static_cast<long long>(total_), 100.0 * fraction, rate, final ? "took" : "ETA",
                     format_duration(final ? elapsed : eta).c_str());
        if (final) std::fputc('\n', out_);
    } else {
        std::fprintf(out_, "%s: %lld/%lld requests (%.1f%%), %.1f req/s, %s %s\n", label_.c_str(), static_cast<long long>(done_),
                     static_cast<long long>(total_), 100.0 * fraction, rate, final ? "took" : "ETA", format_duration(final ? elapsed : eta).c_str());
    }
    std::fflush(out_);
}

}  // namespace flopwise::eval

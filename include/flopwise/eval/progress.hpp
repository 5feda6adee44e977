#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace flopwise::eval {

// Progress of one phase of work on stderr: a bar redrawn in place with rate and ETA on a
// terminal; otherwise a plain line every `interval` (and one at the end), which logs can keep.
class Progress {
public:
    enum class Style { automatic, bar, lines, quiet };

    Progress(std::FILE* out, Style style, std::chrono::seconds interval = std::chrono::seconds(30));
    void start(const std::string& label, int64_t total);
    void advance(int64_t done);  // adds to the count done
    void finish();

private:
    void draw(bool final);
    std::FILE* out_;
    bool bar_ = false;
    bool quiet_ = false;
    std::chrono::seconds interval_;
    std::string label_;
    int64_t total_ = 0;
    int64_t done_ = 0;
    std::chrono::steady_clock::time_point started_, last_draw_;
};

// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace flopwise::eval

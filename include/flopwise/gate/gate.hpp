#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "flopwise/gate/results_file.hpp"

namespace flopwise::gate {

enum class Verdict { improved, unchanged, regressed, noisy };
std::string_view name(Verdict verdict);

struct GateOptions {
    double threshold = 0.05;  // smallest change that counts (minimum effect size), as a fraction
    double alpha = 0.05;      // significance level; intervals are at confidence 1 - alpha
    bool normalize = false;   // divide times by the same file's calibration kernels (mode c)
    std::string filter;       // ECMAScript regular expression on names; empty for all
};

// One benchmark's comparison: ratios are current / baseline (above 1 is slower or more instructions).
struct Comparison {
    std::string name;
    double baseline = 0.0;  // median of the baseline's values (ns, normalised units or instructions)
    double current = 0.0;
    size_t baseline_n = 0, current_n = 0;
    double ratio = 1.0;  // estimate of the change
    double low = 1.0, high = 1.0;  // confidence interval of the ratio (infinite when undecidable)
    double p_value = -1.0;         // Mann–Whitney p-value (baseline/current timing mode), -1 otherwise
    Verdict verdict = Verdict::unchanged;
};

struct GateReport {
    std::string mode;    // "timing", "normalized", "instructions" or "A/B"
    std::string metric;  // "time" or "instructions"
    GateOptions options;
    std::vector<Comparison> rows;
    std::vector<std::string> only_in_current;  // new benchmarks, reported but not judged
    size_t count(Verdict verdict) const;
};

// The decision shared by every mode. A change is `regressed` (or `improved`) when it is
// statistically significant and its estimate exceeds the threshold; `unchanged` when the whole
// confidence interval lies within ±threshold; otherwise `noisy`: the data cannot tell whether a
// change beyond the threshold happened.
Verdict decide(double ratio, double low, double high, bool significant, double threshold);

// Baseline file against current file: Mann–Whitney U on the repetitions, Hodges–Lehmann interval
// of the ratio (on log values). Instruction-count files are deterministic: one value each side,
// compared directly. Throws flopwise::Error for files that cannot be compared (different metrics,
// instruction counts of different builds, a baseline benchmark missing from the current file).
GateReport compare_files(const ResultsFile& baseline, const ResultsFile& current, const GateOptions& options);

// A/B: per-round ratios new/old of each benchmark (both builds measured in the same round), and
// the distribution-free confidence interval of their median.
GateReport compare_rounds(const std::vector<ResultsFile>& old_rounds, const std::vector<ResultsFile>& new_rounds,
                          const GateOptions& options);

// 0: nothing regressed and every benchmark decided; 1: a regression; 3: no regression but some
// benchmark noisy (undecided: rerun with more repetitions or rounds).
int exit_code(const GateReport& report);

// Markdown: a summary line and one table row per benchmark, regressions first.
std::string markdown(const GateReport& report);

// "5%" or "0.05" -> 0.05; throws Error naming the flag otherwise.
double parse_fraction(const std::string& text, const std::string& flag);

}  // namespace flopwise::gate

#include "flopwise/gate/gate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <regex>
#include <sstream>

#include "flopwise/error.hpp"
#include "flopwise/gate/statistics.hpp"

namespace flopwise::gate {
namespace {

constexpr std::string_view kCalibrationPrefix = "calibration/";

bool is_calibration(const std::string& name) { return name.rfind(kCalibrationPrefix, 0) == 0; }

std::regex compile_filter(const std::string& filter) {
    try {
        return std::regex(filter, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        throw Error("--filter '" + filter + "': not a regular expression (" + e.what() + ")");
    }
}

bool judged(const std::string& name, const GateOptions& options, const std::regex& filter) {
    return !is_calibration(name) && (options.filter.empty() || std::regex_search(name, filter));
}

std::vector<double> logs(const std::vector<double>& values, const std::string& where) {
    std::vector<double> out;
    for (double v : values) {
        if (!(v > 0.0)) throw Error(where + ": a value is zero; times must be positive");
        out.push_back(std::log(v));
    }
    return out;
}

// Times of a file's benchmark divided by the median time of the calibration kernel for the
// ceiling that bounds it on the roofline (compute or memory), from the same file: a run on a
// slower or busier machine is slower in both.
class Normalizer {
public:
    explicit Normalizer(const ResultsFile& file) : file_(file) {
        fma_ = find("calibration/fma_peak");
        bandwidth_ = find("calibration/memory_bandwidth");
        if (fma_ == nullptr || bandwidth_ == nullptr)
            throw Error(file.path + ": normalized mode needs the calibration/fma_peak and calibration/memory_bandwidth "
                                    "results of 'flopwise bench kernels'");
        const double peak = counter(*fma_, "GFLOP/s"), bandwidth = counter(*bandwidth_, "GB/s");
        ridge_ = peak / bandwidth;
    }
    std::vector<double> normalize(const BenchmarkSamples& b) const {
        const auto intensity = b.counters.find("intensity");
        const bool compute_bound = intensity != b.counters.end() && intensity->second >= ridge_;
        const double unit = median((compute_bound ? fma_ : bandwidth_)->values);
        std::vector<double> out;
        for (double v : b.values) out.push_back(v / unit);
        return out;
    }

private:
    const BenchmarkSamples* find(const std::string& prefix) const {
        for (const auto& b : file_.benchmarks)
            if (b.name.rfind(prefix, 0) == 0) return &b;
        return nullptr;
    }
    double counter(const BenchmarkSamples& b, const std::string& key) const {
        const auto found = b.counters.find(key);
        if (found == b.counters.end() || !(found->second > 0.0))
            throw Error(file_.path + ": " + b.name + " has no positive '" + key + "' counter");
        return found->second;
    }
    const ResultsFile& file_;
    const BenchmarkSamples* fma_ = nullptr;
    const BenchmarkSamples* bandwidth_ = nullptr;
    double ridge_ = 0.0;
};

void check_comparable(const ResultsFile& baseline, const ResultsFile& current) {
    if (baseline.metric != current.metric)
        throw Error(baseline.path + " holds " + baseline.metric + " but " + current.path + " holds " + current.metric +
                    ": they cannot be compared");
    if (baseline.metric != "instructions") return;
    // The calls per case enter too: a case's first calls can cost a little more or less than the
    // later ones, so only counts of the same --calls are exactly comparable.
    for (const char* key : {"flopwise_compiler", "flopwise_build_flags", "flopwise_calls_per_case"}) {
        if (baseline.context_value(key) != current.context_value(key))
            throw Error("instruction counts of different builds or settings cannot be compared: " + baseline.path + " has " + key +
                        " '" + baseline.context_value(key) + "', " + current.path + " has '" +
                        current.context_value(key) + "' (count with the baseline's settings, or regenerate it: tools/gate_baseline.sh)");
    }
}

std::string percent(double ratio) {
    if (std::isinf(ratio)) return ratio > 0 ? "+inf" : "-inf";
    char text[32];
    std::snprintf(text, sizeof text, "%+.1f%%", (ratio - 1.0) * 100.0);
    return text;
}

std::string quantity(double value, const GateReport& report) {
    char text[48];
    if (report.metric == "instructions")
        std::snprintf(text, sizeof text, "%.4g M instr", value * 1e-6);
    else if (report.mode == "normalized")
        std::snprintf(text, sizeof text, "%.4g x calib", value);
    else if (value >= 1e9)
        std::snprintf(text, sizeof text, "%.4g s", value * 1e-9);
    else if (value >= 1e6)
        std::snprintf(text, sizeof text, "%.4g ms", value * 1e-6);
    else if (value >= 1e3)
        std::snprintf(text, sizeof text, "%.4g us", value * 1e-3);
    else
        std::snprintf(text, sizeof text, "%.4g ns", value);
    return text;
}

}  // namespace

std::string_view name(Verdict verdict) {
    switch (verdict) {
        case Verdict::improved: return "improved";
        case Verdict::unchanged: return "unchanged";
        case Verdict::regressed: return "regressed";
        case Verdict::noisy: return "noisy";
    }
    return "unknown";
}

size_t GateReport::count(Verdict verdict) const {
    return static_cast<size_t>(std::count_if(rows.begin(), rows.end(), [&](const Comparison& c) { return c.verdict == verdict; }));
}

Verdict decide(double ratio, double low, double high, bool significant, double threshold) {
    if (significant && ratio > 1.0 + threshold) return Verdict::regressed;
    if (significant && ratio < 1.0 - threshold) return Verdict::improved;
    if (low >= 1.0 - threshold && high <= 1.0 + threshold) return Verdict::unchanged;
    return Verdict::noisy;
}

GateReport compare_files(const ResultsFile& baseline, const ResultsFile& current, const GateOptions& options) {
    check_comparable(baseline, current);
    const std::regex filter = compile_filter(options.filter);
    GateReport report;
    report.metric = baseline.metric;
    report.mode = baseline.metric == "instructions" ? "instructions" : options.normalize ? "normalized" : "timing";
    report.options = options;
    std::vector<std::string> missing;
    std::optional<Normalizer> base_norm, cur_norm;
    if (options.normalize && report.metric == "time") {
        base_norm.emplace(baseline);
        cur_norm.emplace(current);
    }
    for (const auto& b : baseline.benchmarks) {
        if (!judged(b.name, options, filter)) continue;
        const BenchmarkSamples* c = current.find(b.name);
        if (c == nullptr) {
            missing.push_back(b.name);
            continue;
        }
        Comparison row;
        row.name = b.name;
        const std::vector<double> x = base_norm ? base_norm->normalize(b) : b.values;
        const std::vector<double> y = cur_norm ? cur_norm->normalize(*c) : c->values;
        row.baseline = median(x);
        row.current = median(y);
        row.baseline_n = x.size();
        row.current_n = y.size();
        if (report.metric == "instructions") {
            if (!(row.baseline > 0.0)) throw Error(baseline.path + ": " + b.name + " counts no instructions");
            row.ratio = row.low = row.high = row.current / row.baseline;
            row.verdict = decide(row.ratio, row.low, row.high, row.ratio != 1.0, options.threshold);
        } else {
            const std::vector<double> log_x = logs(x, baseline.path + ": " + b.name);
            const std::vector<double> log_y = logs(y, current.path + ": " + b.name);
            const MannWhitney test = mann_whitney_u(log_x, log_y);
            const ShiftInterval shift = hodges_lehmann(log_x, log_y, 1.0 - options.alpha);
            row.p_value = test.p_value;
            row.ratio = std::exp(shift.estimate);
            row.low = std::exp(shift.low);
            row.high = std::exp(shift.high);
            row.verdict = decide(row.ratio, row.low, row.high, test.p_value < options.alpha, options.threshold);
        }
        report.rows.push_back(row);
    }
    if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
        throw Error(current.path + " lacks " + std::to_string(missing.size()) + " benchmark(s) of the baseline " +
                    baseline.path + ": " + list + " (narrow the comparison with --filter)");
    }
    for (const auto& c : current.benchmarks)
        if (judged(c.name, options, filter) && baseline.find(c.name) == nullptr) report.only_in_current.push_back(c.name);
    if (report.rows.empty())
        throw Error(baseline.path + " and " + current.path + " share no benchmark" +
                    (options.filter.empty() ? std::string() : " matching --filter '" + options.filter + "'"));
    return report;
}

GateReport compare_rounds(const std::vector<ResultsFile>& old_rounds, const std::vector<ResultsFile>& new_rounds,
                          const GateOptions& options) {
    if (old_rounds.empty() || old_rounds.size() != new_rounds.size()) throw Error("A/B: unequal or no rounds");
    const std::regex filter = compile_filter(options.filter);
    GateReport report;
    report.metric = "time";
    report.mode = "A/B";
    report.options = options;
    for (const auto& b : new_rounds.front().benchmarks) {
        if (!judged(b.name, options, filter)) continue;
        std::vector<double> ratios, old_values, new_values;
        for (size_t round = 0; round < old_rounds.size(); ++round) {
            const BenchmarkSamples* o = old_rounds[round].find(b.name);
            const BenchmarkSamples* n = new_rounds[round].find(b.name);
            if (o == nullptr || n == nullptr)
                throw Error("A/B round " + std::to_string(round + 1) + ": " + b.name + " is missing from " +
                            (o == nullptr ? old_rounds[round].path : new_rounds[round].path));
            old_values.push_back(median(o->values));
            new_values.push_back(median(n->values));
            if (!(old_values.back() > 0.0)) throw Error(old_rounds[round].path + ": " + b.name + " took no time");
            ratios.push_back(new_values.back() / old_values.back());
        }
        const MedianInterval interval = median_interval(ratios, 1.0 - options.alpha);
        Comparison row;
        row.name = b.name;
        row.baseline = median(old_values);
        row.current = median(new_values);
        row.baseline_n = row.current_n = ratios.size();
        row.ratio = interval.median;
        row.low = interval.low;
        row.high = interval.high;
        row.verdict = decide(row.ratio, row.low, row.high, interval.low > 1.0 || interval.high < 1.0, options.threshold);
        report.rows.push_back(row);
    }
    if (report.rows.empty()) throw Error("A/B: no benchmark to compare" +
                                         (options.filter.empty() ? std::string() : " matching --filter '" + options.filter + "'"));
    return report;
}

int exit_code(const GateReport& report) {
    if (report.count(Verdict::regressed) > 0) return 1;
    if (report.count(Verdict::noisy) > 0) return 3;
    return 0;
}

std::string markdown(const GateReport& report) {
    std::ostringstream out;
    const int code = exit_code(report);
    const char* status = code == 1 ? "FAIL" : code == 3 ? "UNDECIDED" : "PASS";
    char settings[160];
    std::snprintf(settings, sizeof settings, "mode %s, threshold %.3g%%, confidence %.3g%%", report.mode.c_str(),
                  report.options.threshold * 100.0, (1.0 - report.options.alpha) * 100.0);
    out << "## Kernel gate: " << status << "\n\n"
        << report.count(Verdict::regressed) << " regressed, " << report.count(Verdict::noisy) << " noisy, "
        << report.count(Verdict::improved) << " improved, " << report.count(Verdict::unchanged) << " unchanged ("
        << settings << ")";
    if (!report.only_in_current.empty()) out << "; " << report.only_in_current.size() << " new, not judged";
    out << "\n\n| Benchmark | Baseline | Current | Change | Interval | p | Verdict |\n"
        << "|---|---:|---:|---:|:---:|---:|---|\n";
    std::vector<const Comparison*> rows;
    for (const auto& r : report.rows) rows.push_back(&r);
    const auto rank = [](Verdict v) { return v == Verdict::regressed ? 0 : v == Verdict::noisy ? 1 : v == Verdict::improved ? 2 : 3; };
    std::stable_sort(rows.begin(), rows.end(), [&](const Comparison* a, const Comparison* b) { return rank(a->verdict) < rank(b->verdict); });
    for (const Comparison* r : rows) {
        char p[32] = "";
        if (r->p_value >= 0.0) std::snprintf(p, sizeof p, "%.3g", r->p_value);
        const std::string verdict(name(r->verdict));
        out << "| " << r->name << " | " << quantity(r->baseline, report) << " (n=" << r->baseline_n << ") | "
            << quantity(r->current, report) << " (n=" << r->current_n << ") | " << percent(r->ratio) << " | ["
            << percent(r->low) << ", " << percent(r->high) << "] | " << p << " | "
            << (r->verdict == Verdict::regressed || r->verdict == Verdict::noisy ? "**" + verdict + "**" : verdict)
            << " |\n";
    }
    for (const auto& n : report.only_in_current) out << "| " << n << " | | | | | | new |\n";
    return out.str();
}

double parse_fraction(const std::string& text, const std::string& flag) {
    const bool percent_sign = !text.empty() && text.back() == '%';
    const std::string number = percent_sign ? text.substr(0, text.size() - 1) : text;
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size())
        throw Error(flag + " '" + text + "': expected a fraction such as 0.05 or a percentage such as 5%");
    if (percent_sign) value /= 100.0;
    if (!(value > 0.0 && value < 1.0)) throw Error(flag + " '" + text + "': must lie between 0 and 100%");
    return value;
}

}  // namespace flopwise::gate

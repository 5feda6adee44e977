#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flopwise::gate {

// The repetitions of one benchmark in a result file.
struct BenchmarkSamples {
    std::string name;
    std::vector<double> values;             // per repetition: time in ns, or instructions per call
    std::map<std::string, double> counters;  // user counters of the first repetition (GFLOP/s, intensity, ...)
};

// A Google Benchmark JSON file (our `bench kernels` output or any other program's), or our
// instruction-count file. Aggregate rows (mean, median, ...) and errored runs are skipped.
struct ResultsFile {
    std::string path;
    std::string metric;  // "time" or "instructions" (context field flopwise_metric; "time" when absent)
    std::map<std::string, std::string> context;  // the context's string fields
    std::vector<BenchmarkSamples> benchmarks;    // in file order

    const BenchmarkSamples* find(const std::string& name) const;
    std::string context_value(const std::string& key) const;  // "" when absent
};

// Which time of a timing file to compare: wall-clock ("real_time", right for multi-threaded
// kernels) or the measuring thread's CPU time ("cpu_time": with --threads 1 it is the kernel's
// whole CPU time and leaves out the time other processes held the core).
enum class TimeField { real, cpu };

// Throws flopwise::Error naming the file (`label`) and the field at fault.
ResultsFile parse_results(const nlohmann::json& document, const std::string& label, TimeField time = TimeField::real);
ResultsFile load_results(const std::string& path, TimeField time = TimeField::real);

}  // namespace flopwise::gate

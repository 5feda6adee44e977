#pragma once
// Pieces the timed and the instruction-count runs share.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "flopwise/kernels/bench.hpp"

namespace flopwise::kernels::bench {

// Our fields of a result file's "context": what was measured (metric "time" or "instructions"),
// on which path, and the build that measured it (compiler and flags key instruction baselines).
std::vector<std::pair<std::string, std::string>> run_context(const std::string& metric, const Options& options);

// The injected slowdown's fraction for one case (0 when the knob is unset or does not match).
double slowdown_for(const Slowdown& slowdown, const std::string& name);
// Whether iteration `iteration` (0-based) gets the extra call: exactly `fraction` of every run of
// 1/fraction iterations.
bool extra_call(int64_t iteration, double fraction);

}  // namespace flopwise::kernels::bench

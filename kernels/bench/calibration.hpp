#pragma once
#include <vector>

#include "flopwise/kernels/bench.hpp"

namespace flopwise::kernels::bench {

// The roofline's two ceilings, measured on this machine in the same run as the kernels: the peak
// rate of independent fused multiply-adds on every thread with the widest vectors the CPU has
// ("calibration/fma_peak"), and the rate of streaming reads from a buffer far larger than the
// caches on every thread ("calibration/memory_bandwidth").
inline constexpr const char* kFmaPeakName = "calibration/fma_peak";
inline constexpr const char* kBandwidthName = "calibration/memory_bandwidth";
std::vector<Case> calibration_cases();

}  // namespace flopwise::kernels::bench

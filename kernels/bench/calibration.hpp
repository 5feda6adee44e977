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
inline constexpr const char* kCudaFmaPeakName = "calibration/cuda_fma_peak";
inline constexpr const char* kCudaBandwidthName = "calibration/cuda_memory_bandwidth";
// The CPU's ceilings, and the GPU's too when `gpu` is set (some selected case runs on the GPU).
std::vector<Case> calibration_cases(bool gpu);

}  // namespace flopwise::kernels::bench

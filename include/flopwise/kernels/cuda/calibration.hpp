#pragma once
#include <cstdint>

// The GPU roofline's two ceilings, measured by the benchmarks in the same run as the GPU kernels.
namespace flopwise::kernels::cuda {

// Independent chains of fused multiply-adds on every multiprocessor; `sink` (device, one float)
// keeps the results alive. Returns the FLOPs one call does.
uint64_t fma_peak(float* sink);

// Reads `count` floats (device) once, as fast as the device streams them; `sink` as above.
void stream_read(const float* data, int64_t count, float* sink);

}  // namespace flopwise::kernels::cuda

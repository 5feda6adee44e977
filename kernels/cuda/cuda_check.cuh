#pragma once
// Turns CUDA status codes into flopwise::Error naming the operation that failed.
#include <cuda_runtime.h>

#include <string>

#include "flopwise/error.hpp"

namespace flopwise::kernels::cuda {

inline void check(cudaError_t status, const char* what) {
    if (status != cudaSuccess)
        throw Error(std::string("CUDA ") + what + ": " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

// After a kernel launch: a bad configuration is reported at once, a fault at the next synchronization.
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

inline unsigned blocks_for(int64_t items, int threads) { return static_cast<unsigned>((items + threads - 1) / threads); }

}  // namespace flopwise::kernels::cuda

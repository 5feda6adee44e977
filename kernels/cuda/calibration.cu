#include "flopwise/kernels/cuda/calibration.hpp"

#include "cuda_check.cuh"

namespace flopwise::kernels::cuda {
namespace {

constexpr int kChains = 8;        // independent accumulators per thread: enough to hide FMA latency
constexpr int kSteps = 4096;
constexpr int kThreads = 256;
constexpr int kBlocksPerMultiprocessor = 8;

__global__ void fma_kernel(float* sink, float seed) {
    float acc[kChains];
#pragma unroll
    for (int c = 0; c < kChains; ++c) acc[c] = seed + static_cast<float>(threadIdx.x + c);
    const float a = 0.999999f, b = 1e-7f;
    for (int step = 0; step < kSteps; ++step) {
#pragma unroll
        for (int c = 0; c < kChains; ++c) acc[c] = fmaf(acc[c], a, b);
    }
    float total = 0.0f;
#pragma unroll
    for (int c = 0; c < kChains; ++c) total += acc[c];
    if (total == -1.0f) *sink = total;  // never true; the compiler cannot know
}

__global__ void read_kernel(const float4* data, int64_t count4, float* sink) {
    float total = 0.0f;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count4;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const float4 v = data[i];
        total += v.x + v.y + v.z + v.w;
    }
    if (total == -1.0f) *sink = total;
}

int multiprocessors() {
    static const int count = [] {
        int n = 0;
        check(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, 0), "multiprocessor count");
        return n;
    }();
    return count;
}

}  // namespace

uint64_t fma_peak(float* sink) {
    const int blocks = multiprocessors() * kBlocksPerMultiprocessor;
    fma_kernel<<<blocks, kThreads>>>(sink, 1.0f);
    check_launch("FMA peak kernel");
    return 2ull * kChains * kSteps * kThreads * static_cast<uint64_t>(blocks);
}

void stream_read(const float* data, int64_t count, float* sink) {
    read_kernel<<<multiprocessors() * kBlocksPerMultiprocessor, kThreads>>>(reinterpret_cast<const float4*>(data), count / 4, sink);
    check_launch("stream read kernel");
}

}  // namespace flopwise::kernels::cuda

#include "flopwise/kernels/cuda/matmul.hpp"

#include <cublas_v2.h>
#include <dlfcn.h>

#include <algorithm>
#include <string>

#include "cuda_check.cuh"
#include "flopwise/kernels/cuda/device.hpp"
#include "weight_decode.cuh"

namespace flopwise::kernels::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kRowsPerBlock = 8;    // one warp per weight row
constexpr int kTokensPerPass = 8;   // outputs a warp accumulates at once, reading each weight once

// The fixed combination of a warp's 32 partial sums: every lane ends with the same value, since
// each step adds two lanes' values, and a + b == b + a exactly.
__device__ inline float warp_sum(float v) {
    for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

template <TensorType T>
__global__ void matmul_kernel(const uint8_t* w, uint64_t row_stride, int64_t rows, int64_t cols, const float* x,
                              int64_t ldx, int64_t tokens, float* y, int64_t ldy) {
    const int lane = static_cast<int>(threadIdx.x % kWarp);
    const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
    if (row >= rows) return;
    const uint8_t* weights = w + static_cast<uint64_t>(row) * row_stride;
    for (int64_t first = static_cast<int64_t>(blockIdx.y) * kTokensPerPass; first < tokens;
         first += static_cast<int64_t>(gridDim.y) * kTokensPerPass) {
        const int count = tokens - first < kTokensPerPass ? static_cast<int>(tokens - first) : kTokensPerPass;
        float acc[kTokensPerPass];
#pragma unroll
        for (int t = 0; t < kTokensPerPass; ++t) acc[t] = 0.0f;
        for (int64_t k = lane; k < cols; k += kWarp) {
            const float weight = weight_at<T>(weights, k);
#pragma unroll
            for (int t = 0; t < kTokensPerPass; ++t)
                if (t < count) acc[t] = fmaf(weight, x[(first + t) * ldx + k], acc[t]);
        }
#pragma unroll
        for (int t = 0; t < kTokensPerPass; ++t) {
            const float total = warp_sum(acc[t]);
            if (t < count && lane == t) y[(first + t) * ldy + row] = total;
        }
    }
}

template <TensorType T>
__global__ void dequantize_kernel(const uint8_t* w, uint64_t row_stride, int64_t rows, int64_t cols, float* out) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= rows * cols) return;
    out[i] = weight_at<T>(w + static_cast<uint64_t>(i / cols) * row_stride, i % cols);
}

void validate(const WeightView& w, const char* what) {
    const TensorTypeTraits& t = traits(w.type);
    if (w.rows < 0 || w.cols < 0 || w.cols % t.block_elements != 0 || w.row_stride < row_bytes(w.type, static_cast<uint64_t>(w.cols)))
        throw Error(std::string(what) + ": a " + std::string(t.name) + " matrix of " + std::to_string(w.rows) + " x " +
                    std::to_string(w.cols) + " with rows " + std::to_string(w.row_stride) + " bytes apart is not a whole number of blocks per row");
}

[[noreturn]] void unsupported(TensorType type, const char* what) {
    throw Error(std::string(what) + ": no CUDA decoder for " + std::string(name(type)) + " weights");
}

// cuBLAS is opened on first use, not linked: only the benchmarks' reference line needs it, and
// loading it costs every flopwise process a fraction of a second and hundreds of megabytes.
struct Cublas {
    decltype(&cublasCreate_v2) create = nullptr;
    decltype(&cublasSetMathMode) set_math_mode = nullptr;
    decltype(&cublasSgemm_v2) sgemm = nullptr;
    decltype(&cublasGetStatusString) status_string = nullptr;
    cublasHandle_t handle = nullptr;
};

const Cublas& cublas() {
    static const Cublas api = [] {
        void* library = dlopen(FLOPWISE_CUBLAS_LIBRARY, RTLD_NOW | RTLD_LOCAL);
        if (library == nullptr) throw Error(std::string("cuBLAS cannot be loaded: ") + dlerror());
        Cublas c;
        const auto symbol = [library](const char* name) {
            void* address = dlsym(library, name);
            if (address == nullptr) throw Error(std::string("cuBLAS (" FLOPWISE_CUBLAS_LIBRARY ") has no ") + name);
            return address;
        };
        c.create = reinterpret_cast<decltype(c.create)>(symbol("cublasCreate_v2"));
        c.set_math_mode = reinterpret_cast<decltype(c.set_math_mode)>(symbol("cublasSetMathMode"));
        c.sgemm = reinterpret_cast<decltype(c.sgemm)>(symbol("cublasSgemm_v2"));
        c.status_string = reinterpret_cast<decltype(c.status_string)>(symbol("cublasGetStatusString"));
        if (c.create(&c.handle) != CUBLAS_STATUS_SUCCESS) throw Error("cuBLAS: cublasCreate failed");
        c.set_math_mode(c.handle, CUBLAS_DEFAULT_MATH);
        return c;
    }();
    return api;
}

}  // namespace

uint64_t matmul(const WeightView& w, const float* x, int64_t ldx, int64_t tokens, float* y, int64_t ldy) {
    validate(w, "CUDA matmul");
    if (tokens <= 0 || w.rows == 0) return 0;
    if (ldx < w.cols || ldy < w.rows) throw Error("CUDA matmul: row strides are shorter than the rows they hold");
    // Enough token passes in flight to fill the device; each warp loops over the rest.
    const int64_t passes = (tokens + kTokensPerPass - 1) / kTokensPerPass;
    const dim3 grid(blocks_for(w.rows, kRowsPerBlock), static_cast<unsigned>(std::min<int64_t>(passes, 65535)));
    const auto* data = static_cast<const uint8_t*>(w.data);
    const bool known = with_weight_type(w.type, [&]<TensorType T>() {
        matmul_kernel<T><<<grid, kRowsPerBlock * kWarp>>>(data, w.row_stride, w.rows, w.cols, x, ldx, tokens, y, ldy);
    });
    if (!known) unsupported(w.type, "CUDA matmul");
    check_launch("matmul kernel");
    return 2 * static_cast<uint64_t>(tokens) * static_cast<uint64_t>(w.rows) * static_cast<uint64_t>(w.cols);
}

void dequantize(const WeightView& w, float* out) {
    validate(w, "CUDA dequantize");
    const int64_t n = w.rows * w.cols;
    if (n == 0) return;
    const auto* data = static_cast<const uint8_t*>(w.data);
    const bool known = with_weight_type(w.type, [&]<TensorType T>() {
        dequantize_kernel<T><<<blocks_for(n, 256), 256>>>(data, w.row_stride, w.rows, w.cols, out);
    });
    if (!known) unsupported(w.type, "CUDA dequantize");
    check_launch("dequantize kernel");
}

uint64_t cublas_matmul(const float* w, int64_t rows, int64_t cols, const float* x, int64_t ldx, int64_t tokens, float* y,
                       int64_t ldy) {
    if (tokens <= 0 || rows == 0) return 0;
    const float one = 1.0f, zero = 0.0f;
    // Column-major view: W^T is cols x rows (lda = cols); X is cols x tokens; Y = W X is rows x tokens.
    const Cublas& api = cublas();
    const cublasStatus_t status =
        api.sgemm(api.handle, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(rows), static_cast<int>(tokens), static_cast<int>(cols),
                  &one, w, static_cast<int>(cols), x, static_cast<int>(ldx), &zero, y, static_cast<int>(ldy));
    if (status != CUBLAS_STATUS_SUCCESS) throw Error(std::string("cuBLAS SGEMM failed: ") + api.status_string(status));
    return 2 * static_cast<uint64_t>(tokens) * static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
}

}  // namespace flopwise::kernels::cuda

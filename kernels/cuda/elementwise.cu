#include "flopwise/kernels/cuda/elementwise.hpp"

#include <cfloat>

#include "cuda_check.cuh"

namespace flopwise::kernels::cuda {
namespace {

constexpr int kThreads = 256;

// One thread per row: the float64 sum of squares in index order, as kernels::rms_norm sums it.
__global__ void rms_norm_kernel(const float* x, int64_t ldx, const float* weight, float* y, int64_t ldy, int64_t rows,
                                int64_t n, float eps) {
    const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const float* in = x + r * ldx;
    float* out = y + r * ldy;
    double sum_squares = 0.0;
    for (int64_t i = 0; i < n; ++i) sum_squares += static_cast<double>(in[i]) * static_cast<double>(in[i]);
    const double mean = n > 0 ? sum_squares / static_cast<double>(n) : 0.0;
    const float scale = static_cast<float>(1.0 / sqrt(mean + static_cast<double>(eps)));
    for (int64_t i = 0; i < n; ++i) out[i] = weight == nullptr ? in[i] * scale : in[i] * scale * weight[i];
}

// One thread per rotated pair.
__global__ void rope_kernel(float* x, int64_t ldx, int64_t rows, int32_t n_head, int32_t head_dim, int32_t rope_dims,
                            const float* cos_sin, bool interleaved) {
    const int32_t half = rope_dims / 2;
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= rows * n_head * half) return;
    const int64_t r = i / (int64_t{n_head} * half);
    const int32_t h = static_cast<int32_t>(i / half % n_head), pair = static_cast<int32_t>(i % half);
    float* head = x + r * ldx + int64_t{h} * head_dim;
    const float c = cos_sin[r * rope_dims + 2 * pair], s = cos_sin[r * rope_dims + 2 * pair + 1];
    float& a = head[interleaved ? 2 * pair : pair];
    float& b = head[interleaved ? 2 * pair + 1 : pair + half];
    const float a0 = a, b0 = b;
    a = a0 * c - b0 * s;
    b = a0 * s + b0 * c;
}

__device__ inline float sigmoid(float z) {
    const float e = expf(-fabsf(z));
    return (z < 0.0f ? e : 1.0f) / (1.0f + e);
}

__global__ void gated_kernel(bool gelu, float* gate, const float* up, int64_t n) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float g = gate[i];
    constexpr float kSqrt2OverPi = 0.797884560802865355f;
    const float z = gelu ? 2.0f * kSqrt2OverPi * (g + 0.044715f * g * g * g) : g;
    gate[i] = g * sigmoid(z) * up[i];
}

__global__ void add_kernel(float* x, const float* y, int64_t n) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) x[i] += y[i];
}

__global__ void add_bias_kernel(float* y, int64_t rows, int64_t n, const float* bias) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < rows * n) y[i] += bias[i % n];
}

// One block per row. The maximum and its first index, then the float64 sum of exp(x - max)
// combined in a fixed tree: the result depends only on the row.
__global__ void log_softmax_stats_kernel(const float* x, int64_t n, double* log_sum_exp, int64_t* argmax) {
    __shared__ float best[kThreads];
    __shared__ int64_t best_index[kThreads];
    __shared__ double partial[kThreads];
    __shared__ bool has_nan[kThreads];
    const float* row = x + static_cast<int64_t>(blockIdx.x) * n;
    const int t = static_cast<int>(threadIdx.x);
    float m = -FLT_MAX;
    int64_t at = -1;
    bool nan = false;
    for (int64_t i = t; i < n; i += kThreads) {
        const float v = row[i];
        if (isnan(v)) nan = true;
        else if (at < 0 || v > m) m = v, at = i;
    }
    best[t] = m;
    best_index[t] = at;
    has_nan[t] = nan;
    __syncthreads();
    for (int stride = kThreads / 2; stride > 0; stride /= 2) {
        if (t < stride) {
            const float other = best[t + stride];
            const int64_t other_index = best_index[t + stride];
            if (other_index >= 0 && (best_index[t] < 0 || other > best[t] || (other == best[t] && other_index < best_index[t])))
                best[t] = other, best_index[t] = other_index;
            has_nan[t] = has_nan[t] || has_nan[t + stride];
        }
        __syncthreads();
    }
    const float max = best[0];
    const bool any_nan = has_nan[0];
    const int64_t max_index = best_index[0];
    double sum = 0.0;
    for (int64_t i = t; i < n; i += kThreads) sum += exp(static_cast<double>(row[i]) - static_cast<double>(max));
    partial[t] = sum;
    __syncthreads();
    for (int stride = kThreads / 2; stride > 0; stride /= 2) {
        if (t < stride) partial[t] += partial[t + stride];
        __syncthreads();
    }
    if (t == 0) {
        // The CPU's conventions: NaN wins; an infinite maximum (or none) is the result itself.
        const double top = max_index < 0 ? -static_cast<double>(INFINITY) : static_cast<double>(max);
        log_sum_exp[blockIdx.x] = any_nan ? static_cast<double>(NAN) : isinf(top) ? top : top + log(partial[0]);
        argmax[blockIdx.x] = max_index < 0 || (isinf(max) && max < 0) ? 0 : max_index;
    }
}

}  // namespace

void rms_norm(const float* x, int64_t ldx, const float* weight, float* y, int64_t ldy, int64_t rows, int64_t n, float eps) {
    if (rows <= 0) return;
    rms_norm_kernel<<<blocks_for(rows, 64), 64>>>(x, ldx, weight, y, ldy, rows, n, eps);
    check_launch("rms_norm kernel");
}

void rope(float* x, int64_t ldx, int64_t rows, int32_t n_head, int32_t head_dim, int32_t rope_dims, const float* cos_sin,
          RopeLayout layout) {
    const int64_t pairs = rows * n_head * (rope_dims / 2);
    if (pairs <= 0) return;
    rope_kernel<<<blocks_for(pairs, kThreads), kThreads>>>(x, ldx, rows, n_head, head_dim, rope_dims, cos_sin,
                                                           layout == RopeLayout::interleaved);
    check_launch("rope kernel");
}

void gated_activation(Gate gate_kind, float* gate, const float* up, int64_t n) {
    if (n <= 0) return;
    gated_kernel<<<blocks_for(n, kThreads), kThreads>>>(gate_kind == Gate::gelu_tanh, gate, up, n);
    check_launch("gated activation kernel");
}

void add(float* x, const float* y, int64_t n) {
    if (n <= 0) return;
    add_kernel<<<blocks_for(n, kThreads), kThreads>>>(x, y, n);
    check_launch("add kernel");
}

void add_bias(float* y, int64_t rows, int64_t n, const float* bias) {
    if (rows * n <= 0 || bias == nullptr) return;
    add_bias_kernel<<<blocks_for(rows * n, kThreads), kThreads>>>(y, rows, n, bias);
    check_launch("bias kernel");
}

void log_softmax_stats(const float* x, int64_t rows, int64_t n, double* log_sum_exp, int64_t* argmax) {
    if (n <= 0) throw Error("CUDA log_softmax_stats: rows must not be empty");
    if (rows <= 0) return;
    log_softmax_stats_kernel<<<static_cast<unsigned>(rows), kThreads>>>(x, n, log_sum_exp, argmax);
    check_launch("log-softmax kernel");
}

}  // namespace flopwise::kernels::cuda

#include "flopwise/kernels/cuda/attention.hpp"

#include <string>

#include "cuda_check.cuh"

namespace flopwise::kernels::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 4;
constexpr int kMaxHeadDim = 256;
constexpr int kDimsPerLane = kMaxHeadDim / kWarp;

__device__ inline float warp_max(float v) {
    for (int offset = kWarp / 2; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}
__device__ inline float warp_sum(float v) {
    for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

// One warp per (query, head). Keys go by in blocks of 32 aligned to absolute positions: lane j
// scores key `start + j`, the block updates the running maximum and sum, and every lane adds the
// block's weighted values into the head dimensions it owns (lane, lane + 32, ...).
__global__ void attention_kernel(AttentionShape s, const float* q, int64_t ldq, const int32_t* q_pos, int64_t n_query,
                                 const float* k, const float* v, int64_t ldkv, float* out, int64_t ldo) {
    __shared__ float query_rows[kWarpsPerBlock][kMaxHeadDim];
    const int lane = static_cast<int>(threadIdx.x % kWarp), warp = static_cast<int>(threadIdx.x / kWarp);
    const int64_t item = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + warp;
    if (item >= n_query * s.n_head) return;
    const int64_t i = item / s.n_head;
    const int32_t h = static_cast<int32_t>(item % s.n_head);
    const int32_t kv_head = h / (s.n_head / s.n_head_kv);
    const int hd = s.head_dim;
    float* query = query_rows[warp];
    for (int d = lane; d < hd; d += kWarp) query[d] = q[i * ldq + int64_t{h} * hd + d];
    __syncwarp();

    const int64_t pos = q_pos[i];
    const int64_t first = s.window > 0 ? (pos - s.window + 1 > 0 ? pos - s.window + 1 : 0) : 0;
    const float* keys = k + int64_t{kv_head} * hd;
    const float* values = v + int64_t{kv_head} * hd;
    float acc[kDimsPerLane];
#pragma unroll
    for (int slot = 0; slot < kDimsPerLane; ++slot) acc[slot] = 0.0f;
    float running_max = -INFINITY, running_sum = 0.0f;
    for (int64_t start = first / kWarp * kWarp; start <= pos; start += kWarp) {
        const int64_t j = start + lane;
        const bool visible = j >= first && j <= pos;
        float score = -INFINITY;
        if (visible) {
            const float* key = keys + j * ldkv;
            float dot = 0.0f;
            for (int d = 0; d < hd; ++d) dot = fmaf(query[d], key[d], dot);
            score = dot * s.scale;
            if (s.softcap > 0.0f) score = s.softcap * tanhf(score / s.softcap);
        }
        const float new_max = fmaxf(running_max, warp_max(score));
        const float alpha = expf(running_max - new_max);
        const float weight = visible ? expf(score - new_max) : 0.0f;
        running_sum = running_sum * alpha + warp_sum(weight);
        running_max = new_max;
#pragma unroll
        for (int slot = 0; slot < kDimsPerLane; ++slot) acc[slot] *= alpha;
        const int64_t count = pos + 1 - start < kWarp ? pos + 1 - start : kWarp;
        for (int jj = 0; jj < count; ++jj) {
            const float w = __shfl_sync(0xffffffffu, weight, jj);
            if (w == 0.0f) continue;
            const float* value = values + (start + jj) * ldkv;
#pragma unroll
            for (int slot = 0; slot < kDimsPerLane; ++slot) {
                const int d = lane + slot * kWarp;
                if (d < hd) acc[slot] = fmaf(w, value[d], acc[slot]);
            }
        }
    }
#pragma unroll
    for (int slot = 0; slot < kDimsPerLane; ++slot) {
        const int d = lane + slot * kWarp;
        if (d < hd) out[i * ldo + int64_t{h} * hd + d] = acc[slot] / running_sum;
    }
}

}  // namespace

uint64_t attention(const AttentionShape& shape, const float* q, int64_t ldq, const int32_t* q_pos, int64_t n_query,
                   const float* k, const float* v, int64_t ldkv, int64_t n_key, float* out, int64_t ldo,
                   const int32_t* host_q_pos) {
    check_attention_arguments(shape, ldq, host_q_pos, n_query, ldkv, n_key, ldo);
    if (shape.head_dim > kMaxHeadDim)
        throw Error("CUDA attention: head_dim " + std::to_string(shape.head_dim) + " is above the " + std::to_string(kMaxHeadDim) + " supported");
    if (n_query <= 0) return 0;
    attention_kernel<<<blocks_for(n_query * shape.n_head, kWarpsPerBlock), kWarpsPerBlock * kWarp>>>(shape, q, ldq, q_pos, n_query, k, v,
                                                                                                 ldkv, out, ldo);
    check_launch("attention kernel");
    return attention_flops(shape, host_q_pos, n_query);
}

}  // namespace flopwise::kernels::cuda

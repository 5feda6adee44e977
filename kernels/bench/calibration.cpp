#include "calibration.hpp"

#include <immintrin.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <memory>

#include "../cpu/simd.hpp"
#include "bench_data.hpp"
#include "flopwise/kernels/cuda/calibration.hpp"
#include "flopwise/kernels/cuda/device.hpp"

namespace flopwise::kernels::bench {
namespace {

// Loop trips of one thread's share of the FMA calibration: a few milliseconds.
constexpr int64_t kFmaLoops = 1 << 20;
// Enough independent chains to cover the FMA latency on every pipe (4 cycles x 2 pipes, with room).
constexpr int kChains = 12;

// x = x * a + b converges to b / (1 - a): values stay normal whatever the loop count.
constexpr float kMultiplier = 0.999999f, kAddend = 1e-7f;

// The same chains on every path: the scalar one multiplies and adds separately, as its kernels do.
template <class S>
float fma_chains(int64_t loops) {
    using V = typename S::V;
    V acc[kChains];
    for (int i = 0; i < kChains; ++i) acc[i] = S::set1(0.001f * static_cast<float>(i));
    const V a = S::set1(kMultiplier), b = S::set1(kAddend);
    for (int64_t n = 0; n < loops; ++n) {
#pragma GCC unroll 12
        for (int i = 0; i < kChains; ++i) acc[i] = S::fma(acc[i], a, b);
    }
    V sum = acc[0];
    for (int i = 1; i < kChains; ++i) sum = S::add(sum, acc[i]);
    return S::reduce_add(sum);
}

float fma_chains_scalar(int64_t loops) { return fma_chains<simd::Scalar>(loops); }
FLOPWISE_AVX2 [[gnu::flatten]] float fma_chains_avx2(int64_t loops) { return fma_chains<simd::Avx2>(loops); }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12 false positive inside the AVX-512 reduction intrinsics
FLOPWISE_AVX512 [[gnu::flatten]] float fma_chains_avx512(int64_t loops) { return fma_chains<simd::Avx512>(loops); }
#pragma GCC diagnostic pop

FLOPWISE_AVX2 double sum_avx2(const float* x, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
        s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + i + 24));
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    double sum = 0.0;
    for (float v : lanes) sum += v;
    for (; i < n; ++i) sum += x[i];
    return sum;
}

double sum_scalar(const float* x, int64_t n) {
    float s[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; ++j) s[j] += x[i + j];
    double sum = double{s[0]} + s[1] + s[2] + s[3];
    for (; i < n; ++i) sum += x[i];
    return sum;
}

Isa widest_isa() { return supported_isas().back(); }

Case fma_peak_case() {
    const int threads = tbb::this_task_arena::max_concurrency();
    const Isa isa = widest_isa();
    const int lanes = isa == Isa::avx512 ? 16 : isa == Isa::avx2 ? 8 : 1;
    Case c{kFmaPeakName, false, 2.0 * kChains * lanes * static_cast<double>(kFmaLoops) * threads, 0.0, nullptr};
    c.prepare = [threads, isa](Isa) {
        auto sink = std::make_shared<std::vector<float>>(static_cast<size_t>(threads));
        return [sink, threads, isa] {
            tbb::parallel_for(
                tbb::blocked_range<int>(0, threads, 1),
                [&](const tbb::blocked_range<int>& r) {
                    for (int t = r.begin(); t < r.end(); ++t)
                        (*sink)[static_cast<size_t>(t)] = isa == Isa::avx512 ? fma_chains_avx512(kFmaLoops)
                                                          : isa == Isa::avx2 ? fma_chains_avx2(kFmaLoops)
                                                                             : fma_chains_scalar(kFmaLoops);
                },
                tbb::static_partitioner());
        };
    };
    return c;
}

// 256 MiB: far beyond the last-level cache of any CPU this runs on.
constexpr int64_t kBandwidthFloats = int64_t{64} << 20;

Case bandwidth_case() {
    const bool vector = widest_isa() != Isa::scalar;
    Case c{kBandwidthName, false, 0.0, 4.0 * static_cast<double>(kBandwidthFloats), nullptr};
    c.prepare = [vector](Isa) {
        auto buffer = std::make_shared<std::vector<float>>(static_cast<size_t>(kBandwidthFloats), 1.0f);
        auto sink = std::make_shared<double>(0.0);
        return [buffer, sink, vector] {
            const float* data = buffer->data();
            *sink += tbb::parallel_reduce(
                tbb::blocked_range<int64_t>(0, kBandwidthFloats, int64_t{1} << 16), 0.0,
                [&](const tbb::blocked_range<int64_t>& r, double sum) {
                    const int64_t n = r.end() - r.begin();
                    return sum + (vector ? sum_avx2(data + r.begin(), n) : sum_scalar(data + r.begin(), n));
                },
                [](double a, double b) { return a + b; });
        };
    };
    return c;
}

// The GPU's ceilings: FMA chains on every multiprocessor, and a read of 1 GiB (many times its L2).
Case cuda_fma_peak_case() {
    Case c{kCudaFmaPeakName, false, 0.0, 0.0, nullptr};
    c.on_device = true;
    auto sink = std::make_shared<cuda::DeviceBuffer>(sizeof(float));
    c.flops = static_cast<double>(cuda::fma_peak(sink->as<float>()));  // one untimed call tells the count
    c.prepare = [sink](Isa) -> std::function<void()> { return [sink] { cuda::fma_peak(sink->as<float>()); }; };
    return c;
}

Case cuda_bandwidth_case() {
    constexpr int64_t kFloats = int64_t{1} << 28;
    Case c{kCudaBandwidthName, false, 0.0, 4.0 * static_cast<double>(kFloats), nullptr};
    c.on_device = true;
    c.prepare = [](Isa) -> std::function<void()> {
        auto data = std::make_shared<cuda::DeviceBuffer>(static_cast<size_t>(kFloats) * sizeof(float));
        const std::vector<float> chunk = random_values(size_t{1} << 20, 3, 0.0f, 1.0f);
        for (size_t offset = 0; offset < data->size(); offset += chunk.size() * sizeof(float))
            data->upload(chunk.data(), chunk.size() * sizeof(float), offset);
        auto sink = std::make_shared<cuda::DeviceBuffer>(sizeof(float));
        return [data, sink] { cuda::stream_read(data->as<float>(), kFloats, sink->as<float>()); };
    };
    return c;
}

}  // namespace

std::vector<Case> calibration_cases(bool gpu) {
    std::vector<Case> cases = {fma_peak_case(), bandwidth_case()};
    if (gpu) {
        cases.push_back(cuda_fma_peak_case());
        cases.push_back(cuda_bandwidth_case());
    }
    return cases;
}

}  // namespace flopwise::kernels::bench

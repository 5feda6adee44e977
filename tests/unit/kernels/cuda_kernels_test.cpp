// The CUDA kernels against the float64 references and the CPU kernels, on random inputs with
// ragged shapes. They need a GPU: without one each test skips and says why.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "flopwise/error.hpp"
#include "flopwise/kernels/attention.hpp"
#include "flopwise/kernels/cuda/attention.hpp"
#include "flopwise/kernels/cuda/device.hpp"
#include "flopwise/kernels/cuda/elementwise.hpp"
#include "flopwise/kernels/cuda/matmul.hpp"
#include "flopwise/kernels/elementwise.hpp"
#include "flopwise/kernels/matmul.hpp"
#include "flopwise/kernels/random_weights.hpp"

namespace flopwise::kernels {
namespace {

namespace gpu = kernels::cuda;

#define REQUIRE_GPU()                                                                                  \
    do {                                                                                               \
        const gpu::DeviceStatus status = gpu::device_status();                                         \
        if (!status.usable) GTEST_SKIP() << "no GPU for the CUDA kernels: " << status.reason;          \
    } while (0)

template <typename T>
gpu::DeviceBuffer to_device(const std::vector<T>& host) {
    gpu::DeviceBuffer buffer(std::max<size_t>(1, host.size() * sizeof(T)));
    buffer.upload(host.data(), host.size() * sizeof(T));
    return buffer;
}

template <typename T>
std::vector<T> to_host(const gpu::DeviceBuffer& buffer, size_t count) {
    std::vector<T> host(count);
    gpu::synchronize();
    buffer.download(host.data(), count * sizeof(T));
    return host;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

const TensorType kWeightTypes[] = {TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q4_0,
                                   TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0,
                                   TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K,
                                   TensorType::Q6_K};

TEST(CudaKernels, DeviceStatusExplainsItself) {
    const gpu::DeviceStatus status = gpu::device_status();
    if (status.usable) EXPECT_FALSE(status.name.empty());
    else EXPECT_FALSE(status.reason.empty());
}

TEST(CudaKernels, DequantizeGivesTheReferenceBits) {
    REQUIRE_GPU();
    for (TensorType type : kWeightTypes) {
        const int64_t rows = 7, cols = 512;
        const uint64_t stride = row_bytes(type, cols) + 3;  // unaligned rows, as GGUF may store them
        const auto bytes = random_weights(type, rows, cols, 11, HalfRange::any, stride);
        const auto device_bytes = to_device(bytes);
        gpu::DeviceBuffer out(static_cast<size_t>(rows * cols) * sizeof(float));
        gpu::dequantize({type, device_bytes.data(), rows, cols, stride}, out.as<float>());
        const auto got = to_host<float>(out, static_cast<size_t>(rows * cols));
        std::vector<float> want(static_cast<size_t>(cols));
        for (int64_t r = 0; r < rows; ++r) {
            dequantize_row_reference(type, bytes.data() + r * stride, want.data(), cols);
            for (int64_t k = 0; k < cols; ++k)
                ASSERT_TRUE(same_bits(got[static_cast<size_t>(r * cols + k)], want[static_cast<size_t>(k)]))
                    << name(type) << " row " << r << " column " << k;
        }
    }
}

// |y - reference| within the worst-case float32 error of a sum of `cols` products: cols units of
// roundoff of the sum of their magnitudes.
void expect_close_to_reference(const WeightView& host_w, const std::vector<float>& x, int64_t tokens,
                               const std::vector<float>& y, const std::string& what) {
    std::vector<double> want(static_cast<size_t>(tokens * host_w.rows));
    matmul_reference(host_w, x.data(), host_w.cols, tokens, want.data(), host_w.rows);
    std::vector<float> row(static_cast<size_t>(host_w.cols));
    for (int64_t r = 0; r < host_w.rows; ++r) {
        dequantize_row_reference(host_w.type, static_cast<const uint8_t*>(host_w.data) + r * host_w.row_stride, row.data(), host_w.cols);
        for (int64_t t = 0; t < tokens; ++t) {
            double magnitude = 0.0;
            for (int64_t k = 0; k < host_w.cols; ++k) magnitude += std::fabs(double{row[static_cast<size_t>(k)]} * x[static_cast<size_t>(t * host_w.cols + k)]);
            const size_t i = static_cast<size_t>(t * host_w.rows + r);
            ASSERT_NEAR(y[i], want[i], static_cast<double>(host_w.cols) * 0x1p-24 * magnitude + 1e-30) << what << " row " << r << " token " << t;
        }
    }
}

TEST(CudaKernels, QuantizedMatmulMatchesTheReferenceAndIsBatchInvariant) {
    REQUIRE_GPU();
    const int64_t shapes[][3] = {{1, 256, 1}, {37, 512, 3}, {300, 768, 17}, {65, 256, 9}};  // rows, cols, tokens
    for (TensorType type : kWeightTypes) {
        for (const auto& shape : shapes) {
            const int64_t rows = shape[0], cols = shape[1], tokens = shape[2];
            const auto bytes = random_weights(type, rows, cols, 21);
            const WeightView host_w{type, bytes.data(), rows, cols, row_bytes(type, cols)};
            const auto x = random_values(static_cast<size_t>(tokens * cols), 22);
            const auto device_bytes = to_device(bytes);
            WeightView device_w = host_w;
            device_w.data = device_bytes.data();
            const auto device_x = to_device(x);
            gpu::DeviceBuffer y(static_cast<size_t>(tokens * rows) * sizeof(float));
            EXPECT_EQ(gpu::matmul(device_w, device_x.as<float>(), cols, tokens, y.as<float>(), rows),
                      2 * static_cast<uint64_t>(tokens * rows * cols));
            const auto batched = to_host<float>(y, static_cast<size_t>(tokens * rows));
            const std::string what = std::string(name(type)) + " " + std::to_string(rows) + "x" + std::to_string(cols);
            expect_close_to_reference(host_w, x, tokens, batched, what);
            for (int64_t t = 0; t < tokens; ++t) {
                gpu::matmul(device_w, device_x.as<float>() + t * cols, cols, 1, y.as<float>(), rows);
                const auto alone = to_host<float>(y, static_cast<size_t>(rows));
                for (int64_t r = 0; r < rows; ++r)
                    ASSERT_TRUE(same_bits(alone[static_cast<size_t>(r)], batched[static_cast<size_t>(t * rows + r)]))
                        << what << ": token " << t << " row " << r << " alone differs from the batch of " << tokens;
            }
        }
    }
}

TEST(CudaKernels, CublasMatmulMatchesTheReference) {
    REQUIRE_GPU();
    const int64_t rows = 129, cols = 640, tokens = 5;
    const auto bytes = random_weights(TensorType::F32, rows, cols, 31);
    const WeightView host_w{TensorType::F32, bytes.data(), rows, cols, row_bytes(TensorType::F32, cols)};
    const auto x = random_values(static_cast<size_t>(tokens * cols), 32);
    const auto w = to_device(bytes);
    const auto device_x = to_device(x);
    gpu::DeviceBuffer y(static_cast<size_t>(tokens * rows) * sizeof(float));
    gpu::cublas_matmul(w.as<float>(), rows, cols, device_x.as<float>(), cols, tokens, y.as<float>(), rows);
    expect_close_to_reference(host_w, x, tokens, to_host<float>(y, static_cast<size_t>(tokens * rows)), "cuBLAS");
}

TEST(CudaKernels, RmsNormAndRopeGiveTheCpuBits) {
    REQUIRE_GPU();
    const int64_t rows = 13, n = 640;
    const auto x = random_values(static_cast<size_t>(rows * n), 41, -3.0f, 3.0f);
    const auto weight = random_values(static_cast<size_t>(n), 42);
    const auto device_x = to_device(x), device_weight = to_device(weight);
    gpu::DeviceBuffer y(x.size() * sizeof(float));
    gpu::rms_norm(device_x.as<float>(), n, device_weight.as<float>(), y.as<float>(), n, rows, n, 1e-6f);
    const auto normed = to_host<float>(y, x.size());
    std::vector<float> want(static_cast<size_t>(n));
    for (int64_t r = 0; r < rows; ++r) {
        rms_norm(x.data() + r * n, weight.data(), want.data(), n, 1e-6f);
        for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(same_bits(normed[static_cast<size_t>(r * n + i)], want[static_cast<size_t>(i)])) << "rms_norm row " << r;
    }

    for (RopeLayout layout : {RopeLayout::interleaved, RopeLayout::neox}) {
        const int32_t heads = 3, head_dim = 64, rope_dims = 32;
        const int64_t width = heads * head_dim;
        auto values = random_values(static_cast<size_t>(rows * width), 43);
        std::vector<float> angles(static_cast<size_t>(rows * rope_dims));
        for (int64_t r = 0; r < rows; ++r) rope_angles(100 + 7 * r, rope_dims, 10000.0, 1.0, nullptr, angles.data() + r * rope_dims);
        auto device_values = to_device(values);
        const auto device_angles = to_device(angles);
        gpu::rope(device_values.as<float>(), width, rows, heads, head_dim, rope_dims, device_angles.as<float>(), layout);
        const auto rotated = to_host<float>(device_values, values.size());
        for (int64_t r = 0; r < rows; ++r) rope(values.data() + r * width, heads, head_dim, rope_dims, angles.data() + r * rope_dims, layout);
        for (size_t i = 0; i < values.size(); ++i) ASSERT_TRUE(same_bits(rotated[i], values[i])) << "rope value " << i;
    }
}

TEST(CudaKernels, GatedActivationsAndLogSoftmaxAgreeWithTheCpu) {
    REQUIRE_GPU();
    const int64_t n = 4099;
    const auto gate = random_values(static_cast<size_t>(n), 51, -6.0f, 6.0f);
    const auto up = random_values(static_cast<size_t>(n), 52);
    for (gpu::Gate kind : {gpu::Gate::silu, gpu::Gate::gelu_tanh}) {
        auto device_gate = to_device(gate);
        const auto device_up = to_device(up);
        gpu::gated_activation(kind, device_gate.as<float>(), device_up.as<float>(), n);
        const auto got = to_host<float>(device_gate, gate.size());
        auto want = gate;
        if (kind == gpu::Gate::silu) silu_mul(want.data(), up.data(), n, Isa::scalar);
        else gelu_tanh_mul(want.data(), up.data(), n, Isa::scalar);
        for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 4e-6 * (1.0 + std::fabs(want[i]))) << i;
    }

    const int64_t rows = 3, vocab = 50001;
    auto logits = random_values(static_cast<size_t>(rows * vocab), 53, -20.0f, 20.0f);
    logits[static_cast<size_t>(vocab + 17)] = 25.0f;  // row 1's maximum, twice: the first wins
    logits[static_cast<size_t>(vocab + 40000)] = 25.0f;
    const auto device_logits = to_device(logits);
    gpu::DeviceBuffer lse(rows * sizeof(double)), best(rows * sizeof(int64_t));
    gpu::log_softmax_stats(device_logits.as<float>(), rows, vocab, lse.as<double>(), best.as<int64_t>());
    const auto got_lse = to_host<double>(lse, rows);
    const auto got_best = to_host<int64_t>(best, rows);
    for (int64_t r = 0; r < rows; ++r) {
        EXPECT_NEAR(got_lse[static_cast<size_t>(r)], log_sum_exp(logits.data() + r * vocab, vocab, Isa::scalar), 1e-9) << r;
        EXPECT_EQ(got_best[static_cast<size_t>(r)], argmax(logits.data() + r * vocab, vocab, Isa::scalar)) << r;
    }
    EXPECT_EQ(got_best[1], 17);
}

TEST(CudaKernels, AttentionMatchesTheReferenceAndIsBatchInvariant) {
    REQUIRE_GPU();
    struct Config {
        AttentionShape shape;
        int64_t n_key;
    };
    const Config configs[] = {{{4, 1, 256, 0.0625f, 0, 0.0f}, 77},     // Gemma-like heads, one KV head
                              {{8, 2, 64, 0.125f, 16, 0.0f}, 150},     // GQA with a sliding window
                              {{2, 2, 72, 0.1f, 0, 30.0f}, 41}};       // soft-capped scores, ragged head_dim
    for (const Config& config : configs) {
        const AttentionShape& s = config.shape;
        const int64_t q_width = int64_t{s.n_head} * s.head_dim, kv_width = int64_t{s.n_head_kv} * s.head_dim;
        std::vector<int32_t> positions;
        for (int32_t p = static_cast<int32_t>(config.n_key) - 23; p < config.n_key; ++p) positions.push_back(p);
        positions.push_back(0);
        positions.push_back(5);
        const int64_t n_query = static_cast<int64_t>(positions.size());
        const auto q = random_values(static_cast<size_t>(n_query * q_width), 61, -2.0f, 2.0f);
        const auto k = random_values(static_cast<size_t>(config.n_key * kv_width), 62, -2.0f, 2.0f);
        const auto v = random_values(static_cast<size_t>(config.n_key * kv_width), 63);
        const auto dq = to_device(q), dk = to_device(k), dv = to_device(v), dpos = to_device(positions);
        gpu::DeviceBuffer out(static_cast<size_t>(n_query * q_width) * sizeof(float));
        EXPECT_EQ(gpu::attention(s, dq.as<float>(), q_width, dpos.as<int32_t>(), n_query, dk.as<float>(), dv.as<float>(), kv_width,
                                 config.n_key, out.as<float>(), q_width, positions.data()),
                  attention_flops(s, positions.data(), n_query));
        const auto batched = to_host<float>(out, static_cast<size_t>(n_query * q_width));
        std::vector<double> want(batched.size());
        attention_reference(s, q.data(), q_width, positions.data(), n_query, k.data(), v.data(), kv_width, config.n_key, want.data(), q_width);
        for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(batched[i], want[i], 2e-5) << "head_dim " << s.head_dim << " value " << i;
        for (int64_t i = 0; i < n_query; ++i) {
            gpu::attention(s, dq.as<float>() + i * q_width, q_width, dpos.as<int32_t>() + i, 1, dk.as<float>(), dv.as<float>(),
                           kv_width, config.n_key, out.as<float>(), q_width, positions.data() + i);
            const auto alone = to_host<float>(out, static_cast<size_t>(q_width));
            for (int64_t j = 0; j < q_width; ++j)
                ASSERT_TRUE(same_bits(alone[static_cast<size_t>(j)], batched[static_cast<size_t>(i * q_width + j)])) << "query " << i;
        }
    }
}

TEST(CudaKernels, BadShapesAreRefusedWithTheReason) {
    REQUIRE_GPU();
    const int32_t position = 3;
    try {
        gpu::attention({4, 3, 64, 1.0f, 0, 0.0f}, nullptr, 256, nullptr, 1, nullptr, nullptr, 192, 4, nullptr, 256, &position);
        FAIL() << "n_head 4 with 3 KV heads was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("n_head"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace flopwise::kernels

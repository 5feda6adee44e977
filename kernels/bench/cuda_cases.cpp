#include <cmath>
#include <memory>
#include <numeric>

#include "bench_data.hpp"
#include "families.hpp"
#include "flopwise/kernels/cuda/attention.hpp"
#include "flopwise/kernels/cuda/device.hpp"
#include "flopwise/kernels/cuda/elementwise.hpp"
#include "flopwise/kernels/cuda/matmul.hpp"
#include "model_shapes.hpp"

namespace flopwise::kernels::bench {
namespace {

namespace gpu = kernels::cuda;

template <typename T>
std::shared_ptr<gpu::DeviceBuffer> on_device(const std::vector<T>& host) {
    auto buffer = std::make_shared<gpu::DeviceBuffer>(host.size() * sizeof(T));
    buffer->upload(host.data(), host.size() * sizeof(T));
    return buffer;
}

struct GemmShape {
    const ModelShape& model;
    const char* tensor;
    int64_t rows, cols;
};

std::string case_name(const std::string& family, const std::string& variant, const GemmShape& shape, int64_t tokens) {
    return family + "/" + variant + "/" + shape.model.name + "." + shape.tensor + "/" + phase_name(tokens);
}

// Our quantized-weight product on the GPU ("cuda_matmul/TYPE/..."), or the reference line: cuBLAS
// SGEMM on the same weights decoded to float32 ("cublas/F32/...").
Case gemm_case(TensorType type, const GemmShape& shape, int64_t tokens, bool cublas) {
    Case c;
    c.name = cublas ? case_name("cublas", "F32", shape, tokens) : case_name("cuda_matmul", std::string(name(type)), shape, tokens);
    c.on_device = true;
    const double weight_bytes = cublas ? 4.0 * static_cast<double>(shape.rows * shape.cols)
                                       : static_cast<double>(shape.rows) * static_cast<double>(row_bytes(type, static_cast<uint64_t>(shape.cols)));
    c.flops = 2.0 * static_cast<double>(tokens * shape.rows * shape.cols);
    c.bytes = weight_bytes + 4.0 * static_cast<double>(tokens * (shape.rows + shape.cols));
    c.prepare = [type, shape, tokens, cublas](Isa) -> std::function<void()> {
        const auto weights = on_device(random_weights(type, shape.rows, shape.cols, 17 + static_cast<uint32_t>(type)));
        const WeightView view{type, weights->data(), shape.rows, shape.cols, row_bytes(type, static_cast<uint64_t>(shape.cols))};
        const auto x = on_device(random_values(static_cast<size_t>(tokens * shape.cols), 5));
        const auto y = std::make_shared<gpu::DeviceBuffer>(static_cast<size_t>(tokens * shape.rows) * sizeof(float));
        if (cublas) {
            const auto decoded = std::make_shared<gpu::DeviceBuffer>(static_cast<size_t>(shape.rows * shape.cols) * sizeof(float));
            gpu::dequantize(view, decoded->as<float>());
            return [decoded, x, y, shape, tokens] {
                gpu::cublas_matmul(decoded->as<float>(), shape.rows, shape.cols, x->as<float>(), shape.cols, tokens, y->as<float>(), shape.rows);
            };
        }
        return [weights, view, x, y, tokens] { gpu::matmul(view, x->as<float>(), view.cols, tokens, y->as<float>(), view.rows); };
    };
    return c;
}

// Attention of the last `queries` of n_key positions, as on the CPU (attention_cases.cpp).
Case attention_case(const ModelShape& model, int32_t window, int64_t n_key, int64_t queries) {
    const AttentionShape shape{model.n_head, model.n_head_kv, model.head_dim,
                               static_cast<float>(1.0 / std::sqrt(static_cast<double>(model.head_dim))), window, 0.0f};
    Case c;
    c.name = std::string("cuda_attention/") + (window > 0 ? "window" + std::to_string(window) : std::string("causal")) + "/" +
             model.name + "/" + phase_name(queries) + (queries == 1 ? ".ctx" + std::to_string(n_key) : std::string());
    c.on_device = true;
    const int64_t q_width = int64_t{model.n_head} * model.head_dim, kv_width = int64_t{model.n_head_kv} * model.head_dim;
    std::vector<int32_t> positions(static_cast<size_t>(queries));
    std::iota(positions.begin(), positions.end(), static_cast<int32_t>(n_key - queries));
    c.flops = static_cast<double>(attention_flops(shape, positions.data(), queries));
    c.bytes = 8.0 * static_cast<double>(queries * q_width + n_key * kv_width);
    c.prepare = [shape, n_key, queries, q_width, kv_width, positions](Isa) -> std::function<void()> {
        const auto q = on_device(random_values(static_cast<size_t>(queries * q_width), 1, -2.0f, 2.0f));
        const auto k = on_device(random_values(static_cast<size_t>(n_key * kv_width), 2, -2.0f, 2.0f));
        const auto v = on_device(random_values(static_cast<size_t>(n_key * kv_width), 3));
        const auto pos = on_device(positions);
        const auto out = std::make_shared<gpu::DeviceBuffer>(static_cast<size_t>(queries * q_width) * sizeof(float));
        return [=] {
            gpu::attention(shape, q->as<float>(), q_width, pos->as<int32_t>(), queries, k->as<float>(), v->as<float>(), kv_width,
                           n_key, out->as<float>(), q_width, positions.data());
        };
    };
    return c;
}

Case rms_norm_case(const ModelShape& model, int64_t tokens) {
    const int64_t n = model.hidden;
    Case c;
    c.name = std::string("cuda_rms_norm/f32/") + model.name + ".hidden/" + phase_name(tokens);
    c.on_device = true;
    c.flops = 4.0 * static_cast<double>(tokens * n);
    c.bytes = 4.0 * static_cast<double>((2 * tokens + 1) * n);
    c.prepare = [n, tokens](Isa) -> std::function<void()> {
        const auto x = on_device(random_values(static_cast<size_t>(tokens * n), 7, -3.0f, 3.0f));
        const auto w = on_device(random_values(static_cast<size_t>(n), 8));
        const auto y = std::make_shared<gpu::DeviceBuffer>(static_cast<size_t>(tokens * n) * sizeof(float));
        return [=] { gpu::rms_norm(x->as<float>(), n, w->as<float>(), y->as<float>(), n, tokens, n, 1e-6f); };
    };
    return c;
}

}  // namespace

// The GPU kernels at the models' shapes, with cuBLAS beside our products as the reference line.
// Registered only where a GPU is usable: GPU memory and speed make every model's shapes default ones.
void add_cuda_cases(std::vector<Case>& cases) {
    if (!gpu::device_status().usable) return;
    const GemmShape shapes[] = {{kGemma3_270m, "ffn_down", kGemma3_270m.hidden, kGemma3_270m.ffn},
                                {kLlama32_1b, "ffn_up", kLlama32_1b.ffn, kLlama32_1b.hidden},
                                {kLlama31_8b, "ffn_up", kLlama31_8b.ffn, kLlama31_8b.hidden}};
    for (const GemmShape& shape : shapes) {
        for (int64_t tokens : {int64_t{1}, kLargePrefillTokens}) {
            for (TensorType type : {TensorType::F32, TensorType::Q8_0, TensorType::Q4_0, TensorType::Q4_K, TensorType::Q6_K})
                cases.push_back(gemm_case(type, shape, tokens, false));
            cases.push_back(gemm_case(TensorType::F32, shape, tokens, true));
        }
    }
    cases.push_back(attention_case(kGemma3_270m, kGemma3_270m.sliding_window, 2048, 1));
    cases.push_back(attention_case(kGemma3_270m, 0, 2048, 2048));
    cases.push_back(attention_case(kLlama31_8b, 0, 8192, 1));
    cases.push_back(attention_case(kLlama31_8b, 0, 2048, 2048));
    for (const ModelShape* model : {&kGemma3_270m, &kLlama31_8b}) {
        cases.push_back(rms_norm_case(*model, 1));
        cases.push_back(rms_norm_case(*model, kLargePrefillTokens));
    }
}

}  // namespace flopwise::kernels::bench

#include <memory>

#include "bench_data.hpp"
#include "families.hpp"
#include "flopwise/kernels/matmul.hpp"
#include "flopwise/kernels/random_weights.hpp"
#include "model_shapes.hpp"

namespace flopwise::kernels::bench {
namespace {

struct MatmulShape {
    const ModelShape& model;
    const char* tensor;
    int64_t rows, cols;
};

struct MatmulData {
    std::vector<uint8_t> weights;
    WeightView view;
    std::vector<float> x, y;
    int64_t tokens;
};

Case matmul_case(TensorType type, const MatmulShape& shape, int64_t tokens, bool large) {
    Case c;
    c.name = "matmul/";
    c.name += name(type);
    c.name += "/";
    c.name += shape.model.name;
    c.name += ".";
    c.name += shape.tensor;
    c.name += "/";
    c.name += phase_name(tokens);
    c.large = large || shape.model.large;
    const double weight_bytes =
        static_cast<double>(shape.rows) * static_cast<double>(row_bytes(type, static_cast<uint64_t>(shape.cols)));
    c.flops = 2.0 * static_cast<double>(tokens * shape.rows * shape.cols);
    c.bytes = weight_bytes + 4.0 * static_cast<double>(tokens * (shape.rows + shape.cols));
    c.prepare = [type, shape, tokens](Isa isa) {
        auto d = std::make_shared<MatmulData>();
        d->weights = random_weights(type, shape.rows, shape.cols, 17 + static_cast<uint32_t>(type));
        d->view = {type, d->weights.data(), shape.rows, shape.cols, row_bytes(type, static_cast<uint64_t>(shape.cols))};
        d->x = random_values(static_cast<size_t>(tokens * shape.cols), 5);
        d->y.resize(static_cast<size_t>(tokens * shape.rows));
        d->tokens = tokens;
        return [d, isa] { matmul(d->view, d->x.data(), d->view.cols, d->tokens, d->y.data(), d->view.rows, isa); };
    };
    return c;
}

}  // namespace

// Every weight type at the MLP shapes of the models: decoding (GEMV) and prefill (GEMM). Gemma 3
// 270M's down projection (2048 columns) is used because its 640-column tensors cannot hold the
// 256-element blocks of the K formats.
void add_matmul_cases(std::vector<Case>& cases) {
    const TensorType types[] = {TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q8_0, TensorType::Q4_0,
                                TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q2_K, TensorType::Q3_K,
                                TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K};
    const MatmulShape gemma_down{kGemma3_270m, "ffn_down", kGemma3_270m.hidden, kGemma3_270m.ffn};
    const MatmulShape llama1b_up{kLlama32_1b, "ffn_up", kLlama32_1b.ffn, kLlama32_1b.hidden};
    const MatmulShape llama8b_up{kLlama31_8b, "ffn_up", kLlama31_8b.ffn, kLlama31_8b.hidden};
    for (TensorType type : types) {
        cases.push_back(matmul_case(type, gemma_down, 1, false));
        cases.push_back(matmul_case(type, gemma_down, kPrefillTokens, false));
        cases.push_back(matmul_case(type, llama1b_up, 1, false));
        cases.push_back(matmul_case(type, llama1b_up, kLargePrefillTokens, true));
        cases.push_back(matmul_case(type, llama8b_up, 1, true));
        cases.push_back(matmul_case(type, llama8b_up, kPrefillTokens, true));
    }
}

}  // namespace flopwise::kernels::bench

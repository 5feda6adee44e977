#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "bench_data.hpp"
#include "families.hpp"
#include "flopwise/kernels/matmul.hpp"
#include "flopwise/kernels/matmul_int8.hpp"
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
    std::vector<uint8_t> weights;  // `copies` copies of the matrix, one after another
    WeightView view;
    int64_t copies = 1, next = 0;
    std::vector<float> x, y;
    int64_t tokens;
};

// A model's decode step reads every weight once from memory, which a benchmark calling the same
// small matrix again and again would serve from cache: a decode case cycles through enough copies
// of its weights to overflow the last-level cache, so its GB/s and roofline are those of a model.
int64_t copies_for_cold_reads(uint64_t weight_bytes) {
    const long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
    // Twice the cache, within bounds: virtual machines may report the host's whole cache.
    const uint64_t bytes = std::clamp<uint64_t>(llc > 0 ? 2 * static_cast<uint64_t>(llc) : 0, uint64_t{64} << 20, uint64_t{256} << 20);
    return static_cast<int64_t>((bytes + weight_bytes - 1) / weight_bytes);
}

// `int8_activations`: the fast numerics' product (matmul_int8.hpp), named matmul_int8/...
Case matmul_case(TensorType type, const MatmulShape& shape, int64_t tokens, bool large, bool int8_activations = false) {
    Case c;
    c.name = int8_activations ? "matmul_int8/" : "matmul/";
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
    c.prepare = [type, shape, tokens, int8_activations](Isa isa) {
        auto d = std::make_shared<MatmulData>();
        d->weights = random_weights(type, shape.rows, shape.cols, 17 + static_cast<uint32_t>(type));
        const size_t matrix_bytes = d->weights.size();
        if (tokens == 1) {
            d->copies = copies_for_cold_reads(matrix_bytes);
            d->weights.resize(matrix_bytes * static_cast<size_t>(d->copies));
            for (int64_t i = 1; i < d->copies; ++i)
                std::memcpy(d->weights.data() + static_cast<size_t>(i) * matrix_bytes, d->weights.data(), matrix_bytes);
        }
        d->view = {type, d->weights.data(), shape.rows, shape.cols, row_bytes(type, static_cast<uint64_t>(shape.cols))};
        d->x = random_values(static_cast<size_t>(tokens * shape.cols), 5);
        d->y.resize(static_cast<size_t>(tokens * shape.rows));
        d->tokens = tokens;
        return [d, isa, matrix_bytes, int8_activations] {
            WeightView view = d->view;
            view.data = d->weights.data() + static_cast<size_t>(d->next) * matrix_bytes;
            d->next = (d->next + 1) % d->copies;
            if (int8_activations)
                matmul_int8_activations(view, d->x.data(), view.cols, d->tokens, d->y.data(), view.rows, isa);
            else
                matmul(view, d->x.data(), view.cols, d->tokens, d->y.data(), view.rows, isa);
        };
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
        if (has_int8_activation_product(type)) {
            cases.push_back(matmul_case(type, gemma_down, 1, false, true));
            cases.push_back(matmul_case(type, gemma_down, kPrefillTokens, false, true));
            cases.push_back(matmul_case(type, llama1b_up, 1, false, true));
        }
    }
}

}  // namespace flopwise::kernels::bench

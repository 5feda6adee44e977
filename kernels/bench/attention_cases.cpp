#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include "bench_data.hpp"
#include "families.hpp"
#include "flopwise/kernels/attention.hpp"
#include "model_shapes.hpp"

namespace flopwise::kernels::bench {
namespace {

struct AttentionData {
    AttentionShape shape;
    std::vector<float> q, k, v, out;
    std::vector<int32_t> positions;
    int64_t n_key;
};

// Queries at the last `queries` of `n_key` positions (decoding: 1; prefill from an empty cache: all).
Case attention_case(const ModelShape& model, int32_t window, int64_t n_key, int64_t queries, bool large) {
    const AttentionShape shape{model.n_head, model.n_head_kv, model.head_dim,
                               static_cast<float>(1.0 / std::sqrt(static_cast<double>(model.head_dim))), window, 0.0f};
    Case c;
    c.name = "attention/";
    c.name += window > 0 ? "window" : "causal";
    if (window > 0) c.name += std::to_string(window);
    c.name += "/";
    c.name += model.name;
    c.name += "/";
    c.name += phase_name(queries);
    if (queries == 1) {
        c.name += ".ctx";
        c.name += std::to_string(n_key);
    }
    c.large = large || model.large;
    const int64_t q_width = int64_t{model.n_head} * model.head_dim, kv_width = int64_t{model.n_head_kv} * model.head_dim;
    double visible = 0.0;
    int64_t first_key_read = n_key;
    for (int64_t p = n_key - queries; p < n_key; ++p) {
        const int64_t first = window > 0 ? std::max<int64_t>(0, p - window + 1) : 0;
        visible += static_cast<double>(p + 1 - first);
        first_key_read = std::min(first_key_read, first);
    }
    c.flops = 4.0 * static_cast<double>(q_width) * visible;
    c.bytes = 8.0 * static_cast<double>(queries * q_width + (n_key - first_key_read) * kv_width);
    c.prepare = [shape, n_key, queries, q_width, kv_width](Isa isa) {
        auto d = std::make_shared<AttentionData>();
        d->shape = shape;
        d->n_key = n_key;
        d->q = random_values(static_cast<size_t>(queries * q_width), 1, -2.0f, 2.0f);
        d->k = random_values(static_cast<size_t>(n_key * kv_width), 2, -2.0f, 2.0f);
        d->v = random_values(static_cast<size_t>(n_key * kv_width), 3);
        d->out.resize(d->q.size());
        d->positions.resize(static_cast<size_t>(queries));
        std::iota(d->positions.begin(), d->positions.end(), static_cast<int32_t>(n_key - queries));
        return [d, isa, q_width, kv_width] {
            attention(d->shape, d->q.data(), q_width, d->positions.data(), static_cast<int64_t>(d->positions.size()),
                      d->k.data(), d->v.data(), kv_width, d->n_key, d->out.data(), q_width, isa);
        };
    };
    return c;
}

}  // namespace

// Grouped-query attention with the models' head layouts: causal, and Gemma 3's sliding window.
void add_attention_cases(std::vector<Case>& cases) {
    cases.push_back(attention_case(kGemma3_270m, 0, 2048, 1, false));
    cases.push_back(attention_case(kGemma3_270m, kGemma3_270m.sliding_window, 2048, 1, false));
    cases.push_back(attention_case(kGemma3_270m, kGemma3_270m.sliding_window, 1024, 1024, false));
    cases.push_back(attention_case(kLlama32_1b, 0, 2048, 1, false));
    cases.push_back(attention_case(kLlama32_1b, 0, 256, 256, false));
    cases.push_back(attention_case(kLlama32_1b, 0, 2048, 2048, true));
    cases.push_back(attention_case(kLlama31_8b, 0, 8192, 1, true));
    cases.push_back(attention_case(kLlama31_8b, 0, 512, 512, true));
}

}  // namespace flopwise::kernels::bench

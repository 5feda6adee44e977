#include <memory>

#include "bench_data.hpp"
#include "families.hpp"
#include "flopwise/kernels/elementwise.hpp"
#include "model_shapes.hpp"

namespace flopwise::kernels::bench {
namespace {

std::string case_name(const char* family, const char* variant, const ModelShape& model, const char* tensor,
                      int64_t tokens) {
    std::string name = family;
    name += "/";
    name += variant;
    name += "/";
    name += model.name;
    name += ".";
    name += tensor;
    name += "/";
    name += phase_name(tokens);
    return name;
}

// Rows of `n` values normalised one by one, with a weight vector.
Case rms_norm_case(const ModelShape& model, int64_t tokens) {
    const int64_t n = model.hidden;
    Case c{case_name("rms_norm", "f32", model, "hidden", tokens), model.large,
           4.0 * static_cast<double>(tokens * n), 4.0 * static_cast<double>((2 * tokens + 1) * n), nullptr};
    c.prepare = [n, tokens](Isa) {
        auto x = std::make_shared<std::vector<float>>(random_values(static_cast<size_t>(tokens * n), 7, -3.0f, 3.0f));
        auto w = std::make_shared<std::vector<float>>(random_values(static_cast<size_t>(n), 8));
        auto y = std::make_shared<std::vector<float>>(x->size());
        return [x, w, y, n, tokens] {
            for (int64_t t = 0; t < tokens; ++t) rms_norm(x->data() + t * n, w->data(), y->data() + t * n, n, 1e-6f);
        };
    };
    return c;
}

// Queries and keys of every token rotated in place (the angles are computed once, outside).
Case rope_case(const ModelShape& model, RopeLayout layout, int64_t tokens) {
    const int32_t heads = model.n_head + model.n_head_kv, dim = model.head_dim;
    const int64_t values = tokens * heads * dim;
    Case c{case_name("rope", layout == RopeLayout::interleaved ? "interleaved" : "neox", model, "qk", tokens),
           model.large, 3.0 * static_cast<double>(values), 8.0 * static_cast<double>(values), nullptr};
    c.prepare = [heads, dim, tokens, layout, values](Isa) {
        auto x = std::make_shared<std::vector<float>>(random_values(static_cast<size_t>(values), 9));
        auto angles = std::make_shared<std::vector<float>>(static_cast<size_t>(tokens * dim));
        for (int64_t t = 0; t < tokens; ++t) rope_angles(t, dim, 10000.0, 1.0, nullptr, angles->data() + t * dim);
        return [x, angles, heads, dim, tokens, layout] {
            for (int64_t t = 0; t < tokens; ++t)
                rope(x->data() + t * heads * dim, heads, dim, dim, angles->data() + t * dim, layout);
        };
    };
    return c;
}

// Gated activation over the MLP width of every token.
Case gated_case(const ModelShape& model, bool gelu, int64_t tokens) {
    const int64_t n = tokens * model.ffn;
    Case c{case_name(gelu ? "gelu_tanh_mul" : "silu_mul", "f32", model, "ffn", tokens), model.large,
           (gelu ? 9.0 : 5.0) * static_cast<double>(n), 12.0 * static_cast<double>(n), nullptr};
    c.prepare = [n, gelu](Isa isa) {
        const auto source = random_values(static_cast<size_t>(n), 10, -4.0f, 4.0f);
        auto gate = std::make_shared<std::vector<float>>(source.size());
        auto up = std::make_shared<std::vector<float>>(random_values(static_cast<size_t>(n), 11));
        // Restores the input each call so that repeated calls do not drift towards zero or infinity.
        return [source, gate, up, n, gelu, isa] {
            std::copy(source.begin(), source.end(), gate->begin());
            if (gelu)
                gelu_tanh_mul(gate->data(), up->data(), n, isa);
            else
                silu_mul(gate->data(), up->data(), n, isa);
        };
    };
    c.bytes += 8.0 * static_cast<double>(n);  // the restoring copy
    return c;
}

// Over the vocabulary's logits of one token: the softmax normaliser (log-sum-exp) and greedy argmax.
Case vocabulary_case(const ModelShape& model, bool log_sum_exp_kernel) {
    const int64_t n = model.vocab;
    Case c{case_name(log_sum_exp_kernel ? "log_sum_exp" : "argmax", "f32", model, "vocab", 1), model.large,
           (log_sum_exp_kernel ? 3.0 : 1.0) * static_cast<double>(n), 4.0 * static_cast<double>(n), nullptr};
    c.prepare = [n, log_sum_exp_kernel](Isa isa) {
        auto logits = std::make_shared<std::vector<float>>(random_values(static_cast<size_t>(n), 12, -20.0f, 20.0f));
        auto sink = std::make_shared<double>(0.0);
        return [logits, sink, n, log_sum_exp_kernel, isa] {
            *sink += log_sum_exp_kernel ? log_sum_exp(logits->data(), n, isa)
                                        : static_cast<double>(argmax(logits->data(), n, isa));
        };
    };
    return c;
}

}  // namespace

void add_elementwise_cases(std::vector<Case>& cases) {
    cases.push_back(rms_norm_case(kLlama32_1b, kPrefillTokens));
    cases.push_back(rms_norm_case(kLlama31_8b, kLargePrefillTokens));
    cases.push_back(rope_case(kLlama32_1b, RopeLayout::interleaved, kPrefillTokens));
    cases.push_back(rope_case(kGemma3_270m, RopeLayout::neox, kPrefillTokens));
    cases.push_back(gated_case(kLlama32_1b, false, kPrefillTokens));
    cases.push_back(gated_case(kGemma3_270m, true, kPrefillTokens));
    cases.push_back(gated_case(kLlama31_8b, false, kLargePrefillTokens));
    cases.push_back(vocabulary_case(kGemma3_270m, true));
    cases.push_back(vocabulary_case(kLlama32_1b, true));
    cases.push_back(vocabulary_case(kLlama32_1b, false));
}

}  // namespace flopwise::kernels::bench

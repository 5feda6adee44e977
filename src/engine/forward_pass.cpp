#include "forward_pass.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <tbb/parallel_for.h>

#include "flopwise/error.hpp"
#include "flopwise/kernels/elementwise.hpp"
#include "flopwise/kernels/matmul.hpp"

namespace flopwise::engine {
namespace {

// The k largest logits of a row as log-probs, largest first, ties broken by the lower token id
// so that the list does not depend on anything but the row.
TopLogprobs top_logprobs(const float* row, int64_t vocab, double log_sum_exp, int32_t k) {
    const int64_t keep = std::min<int64_t>(k, vocab);
    auto better = [row](TokenId a, TokenId b) { return row[a] > row[b] || (row[a] == row[b] && a < b); };
    std::vector<TokenId> best;
    best.reserve(static_cast<size_t>(keep) + 1);
    for (TokenId v = 0; v < vocab; ++v) {
        if (static_cast<int64_t>(best.size()) == keep && !better(v, best.back())) continue;
        best.insert(std::upper_bound(best.begin(), best.end(), v, better), v);
        if (static_cast<int64_t>(best.size()) > keep) best.pop_back();
    }
    TopLogprobs out;
    for (TokenId id : best) out.push_back({id, static_cast<double>(row[id]) - log_sum_exp});
    return out;
}

}  // namespace

BatchLayout lay_out_batch(const ModelConfig& c, std::span<const BatchSegment> segments, std::span<const LogitQuery> queries) {
    BatchLayout layout;
    auto check_token = [&](TokenId id) {
        if (id < 0 || id >= c.n_vocab)
            throw Error("token id " + std::to_string(id) + " is outside the vocabulary (" + std::to_string(c.n_vocab) + " tokens)");
    };
    for (const auto& s : segments) {
        const int32_t start = s.sequence->length();
        for (size_t i = 0; i < s.tokens.size(); ++i) {
            check_token(s.tokens[i]);
            layout.tokens.push_back(s.tokens[i]);
            layout.positions.push_back(start + static_cast<int32_t>(i));
        }
    }
    for (const auto& query : queries) {
        if (query.row < 0 || query.row >= layout.rows()) throw Error("logit row " + std::to_string(query.row) + " is outside the batch");
        for (TokenId id : query.targets) check_token(id);
    }
    return layout;
}

void embed_tokens(const ModelConfig& config, const ModelWeights& weights, std::span<const TokenId> tokens, float* out) {
    const int64_t d = config.n_embd;
    const auto& table = weights.token_embedding;
    tbb::parallel_for(size_t{0}, tokens.size(), [&](size_t r) {
        float* row = out + static_cast<int64_t>(r) * d;
        kernels::dequantize_row(table.type, static_cast<const uint8_t*>(table.data) + static_cast<uint64_t>(tokens[r]) * table.row_stride, row, d);
        if (config.embedding_scale != 1.0f)
            for (int64_t i = 0; i < d; ++i) row[i] *= config.embedding_scale;
    });
}

bool has_local_layers(const ModelConfig& config) {
    return std::any_of(config.layer_window.begin(), config.layer_window.end(), [](int32_t w) { return w > 0; });
}

void rope_tables(const ModelConfig& c, const ModelWeights& weights, std::span<const int32_t> positions, float* global, float* local) {
    const bool has_local = has_local_layers(c);
    const float* factors = weights.rope_factors.empty() ? nullptr : weights.rope_factors.data();
    tbb::parallel_for(size_t{0}, positions.size(), [&](size_t r) {
        const int64_t row = static_cast<int64_t>(r) * c.rope_dims;
        kernels::rope_angles(positions[r], c.rope_dims, c.rope_freq_base, c.rope_freq_scale, factors, global + row);
        if (has_local) kernels::rope_angles(positions[r], c.rope_dims, c.rope_freq_base_local, 1.0, nullptr, local + row);
    });
}

LogitResult finish_logits(const ModelConfig& c, const LogitQuery& query, float* row) {
    const int64_t vocab = c.n_vocab;
    if (c.final_logit_softcap > 0) {
        const float cap = c.final_logit_softcap;
        for (int64_t v = 0; v < vocab; ++v) row[v] = cap * std::tanh(row[v] / cap);
    }
    LogitResult out;
    out.log_sum_exp = kernels::log_sum_exp(row, vocab);
    out.argmax = static_cast<TokenId>(kernels::argmax(row, vocab));
    for (TokenId target : query.targets) out.target_logprobs.push_back(static_cast<double>(row[target]) - out.log_sum_exp);
    if (query.keep_logits) out.logits.assign(row, row + vocab);
    if (query.top_k > 0) out.top = top_logprobs(row, vocab, out.log_sum_exp, query.top_k);
    return out;
}

std::vector<LogitResult> logits_in_groups(const ModelConfig& config, std::span<const LogitQuery> queries,
                                          const std::function<float*(size_t first, int64_t n)>& head) {
    std::vector<LogitResult> results(queries.size());
    for (size_t first = 0; first < queries.size(); first += kLogitGroup) {
        const int64_t n = std::min<int64_t>(kLogitGroup, static_cast<int64_t>(queries.size() - first));
        float* logits = head(first, n);
        tbb::parallel_for(int64_t{0}, n, [&](int64_t i) {
            const size_t q = first + static_cast<size_t>(i);
            results[q] = finish_logits(config, queries[q], logits + i * config.n_vocab);
        });
    }
    return results;
}

}  // namespace flopwise::engine

#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "flopwise/compute_usage.hpp"
#include "flopwise/engine.hpp"
#include "flopwise/tokenizer.hpp"
#include "kv_cache.hpp"
#include "model_weights.hpp"

namespace flopwise::engine {

// Tokens appended to one sequence; they take positions sequence->length() onwards.
struct BatchSegment {
    KvSequence* sequence = nullptr;
    std::span<const TokenId> tokens;
};

// A row of the batch (segments' tokens concatenated in order) whose next-token distribution is needed.
struct LogitQuery {
    int64_t row = 0;
    std::vector<TokenId> targets;  // tokens whose log-probs are wanted
    bool keep_logits = false;   // also return the full logit vector (sampling)
    int32_t top_k = 0;          // also return the k most likely tokens
};

struct LogitResult {
    double log_sum_exp = 0.0;
    TokenId argmax = 0;
    std::vector<double> target_logprobs;  // log-softmax of each target, in float64
    std::vector<float> logits;
    TopLogprobs top;
};

// The decoder forward pass over a batch of segments from several sequences, on one device. Each
// implementation computes every row with the same operation order whatever else is in the batch.
class ForwardPass {
public:
    virtual ~ForwardPass() = default;
    // Appends the segments' tokens to their sequences (keys and values) and returns the queried rows' logits.
    virtual std::vector<LogitResult> forward(std::span<const BatchSegment> segments, std::span<const LogitQuery> queries,
                                             FlopCounts& flops) = 0;
};

// What every implementation derives from a batch before computing it.
struct BatchLayout {
    std::vector<TokenId> tokens;     // the segments' tokens in order
    std::vector<int32_t> positions;  // each row's position in its sequence
    int64_t rows() const { return static_cast<int64_t>(tokens.size()); }
};
// Checks every token id and query row, and lays the batch out.
BatchLayout lay_out_batch(const ModelConfig& config, std::span<const BatchSegment> segments, std::span<const LogitQuery> queries);

// Embedding rows of `tokens` (decoded and scaled as the model asks) into out[rows][n_embd].
void embed_tokens(const ModelConfig& config, const ModelWeights& weights, std::span<const TokenId> tokens, float* out);

// RoPE (cos, sin) tables of each position, rope_dims values per row: for global layers, and for
// sliding-window layers when the model has any (local is then filled).
void rope_tables(const ModelConfig& config, const ModelWeights& weights, std::span<const int32_t> positions, float* global,
                 float* local);
bool has_local_layers(const ModelConfig& config);

// A query's result from its row of raw logits (soft-capped here, in place, when the model caps).
LogitResult finish_logits(const ModelConfig& config, const LogitQuery& query, float* row);

// The LM head runs over the queries in groups of at most kLogitGroup, so that the logits held at
// once stay small for large vocabularies: head(first, n) computes the raw logits of queries
// [first, first + n) and returns them in host memory, n rows of n_vocab, and each row is finished
// (finish_logits) in parallel. Buffers for one group need logit_group_rows(queries.size()) rows.
inline constexpr int64_t kLogitGroup = 64;
inline int64_t logit_group_rows(size_t n_queries) { return std::min<int64_t>(kLogitGroup, static_cast<int64_t>(n_queries)); }
std::vector<LogitResult> logits_in_groups(const ModelConfig& config, std::span<const LogitQuery> queries,
                                          const std::function<float*(size_t first, int64_t n)>& head);

}  // namespace flopwise::engine

#pragma once
#include <memory>
#include <optional>

#include <tbb/global_control.h>

#include "flopwise/engine.hpp"
#include "model_weights.hpp"
#include "transformer.hpp"

namespace flopwise {

struct Engine::Impl {
    std::shared_ptr<gguf::File> file;
    ModelConfig config;
    engine::ModelWeights weights;
    std::unique_ptr<Tokenizer> tokenizer;
    std::unique_ptr<engine::ForwardPass> transformer;
    std::optional<tbb::global_control> thread_limit;
    Options options;
    int32_t max_context = 0;

    // Runs `segments` through the transformer in one step and adds the cost to `usage`.
    std::vector<engine::LogitResult> step(std::span<const engine::BatchSegment> segments,
                                          std::span<const engine::LogitQuery> queries, ComputeUsage* usage);
    // Appends `tokens` to `sequence` in steps of at most batch_tokens; the last row's logits are
    // returned with `targets` scored and its `top_k` most likely tokens (nullopt when tokens is empty).
    std::optional<engine::LogitResult> prefill(engine::KvSequence& sequence, std::span<const TokenId> tokens,
                                               std::vector<TokenId> targets, bool keep_logits, int32_t top_k,
                                               ComputeUsage* usage);
    // Prefills several sequences at once: their prompts are packed into shared steps of at most
    // batch_tokens rows (a prompt may span steps). Returns the logits of each prompt's last row,
    // queried as `last_rows[i]` asks (its row is ignored).
    std::vector<engine::LogitResult> prefill_together(std::span<engine::KvSequence* const> sequences,
                                                      std::span<const std::span<const TokenId>> prompts,
                                                      std::span<const engine::LogitQuery> last_rows, ComputeUsage* usage);
};

}  // namespace flopwise

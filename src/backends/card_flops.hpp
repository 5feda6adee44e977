#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "flopwise/compute/model_card.hpp"
#include "flopwise/compute_usage.hpp"

namespace flopwise {

// The compute estimate for a model we cannot count: FLOPs from its model card (2 x active
// parameters per token plus attention over the context, compute::forward_flops). Reported as
// estimated, never as counted.
class CardFlops {
public:
    explicit CardFlops(compute::ModelCard card);

    // A prompt of `tokens` tokens, with logits at every position (echoed log-probabilities) or
    // only at the last (generation).
    FlopCounts prompt(int64_t tokens, bool logits_everywhere) const;
    // `tokens` generated one by one after a prompt of `context` tokens.
    FlopCounts generation(int64_t context, int64_t tokens) const;
    // Which card and figures the estimate rests on, for results.json.
    nlohmann::json description() const;

private:
    compute::ModelCard card_;
};

// The estimate for a remote model: from the card named by `card_name` (a card name or file; an
// Error when there is none), else from the card whose name or alias is the model's id; nullopt
// when no card is.
std::optional<CardFlops> find_card_flops(const std::string& model, const std::string& card_name);

}  // namespace flopwise

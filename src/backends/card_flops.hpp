#pragma once
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "flopwise/compute_usage.hpp"

namespace flopwise {

// The compute estimate for a model we cannot count: FLOPs from its model card (2 x active
// parameters per token plus attention over the context). Reported as estimated, never as counted.
class CardFlops {
public:
    // FLOPs per token at a context length: {prompt token (average over a prompt that long), generated token}.
    using PerToken = std::function<std::pair<FlopCounts, FlopCounts>(int64_t context)>;
    CardFlops(PerToken per_token, nlohmann::json description) : per_token_(std::move(per_token)), description_(std::move(description)) {}

    // A prompt of `tokens` tokens, every position computed.
    FlopCounts prompt(int64_t tokens) const;
    // `tokens` generated one by one after a prompt of `context` tokens.
    FlopCounts generation(int64_t context, int64_t tokens) const;
    // Which card and figures the estimate rests on, for results.json.
    const nlohmann::json& description() const { return description_; }

private:
    PerToken per_token_;
    nlohmann::json description_;
};

// The estimate for a remote model: from the card named by `card_name` (an Error when there is no
// such card), else from the card whose name or alias is the model's id; nullopt when none is.
std::optional<CardFlops> find_card_flops(const std::string& model, const std::string& card_name);

}  // namespace flopwise

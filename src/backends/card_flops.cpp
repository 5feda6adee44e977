#include "card_flops.hpp"

#include <cmath>

#include "flopwise/compute/flops_estimate.hpp"

namespace flopwise {

namespace {

uint64_t whole(double flops) { return static_cast<uint64_t>(std::llround(std::max(flops, 0.0))); }

FlopCounts counts(const compute::FlopsBreakdown& b, double times) {
    FlopCounts out;
    out.linear = whole((b.embedding + b.attention_projections + b.mlp) * times);
    out.attention = whole(b.attention_scores * times);
    out.lm_head = whole(b.lm_head * times);
    return out;
}

}  // namespace

CardFlops::CardFlops(compute::ModelCard card) : card_(std::move(card)) {}

FlopCounts CardFlops::prompt(int64_t tokens, bool logits_everywhere) const {
    if (tokens <= 0) return {};
    return counts(compute::forward_flops(card_, 0, tokens, logits_everywhere ? tokens : 1), 1.0);
}

// Attention grows linearly with the context, so the token in the middle of the generated run
// costs the average of them all.
FlopCounts CardFlops::generation(int64_t context, int64_t tokens) const {
    if (tokens <= 0) return {};
    return counts(compute::forward_flops(card_, context + tokens / 2, 1, 1), static_cast<double>(tokens));
}

nlohmann::json CardFlops::description() const {
    return {{"card", card_.name},
            {"display_name", card_.display_name},
            {"file", card_.path},
            {"params_total", card_.params_total()},
            {"params_active", card_.params_active()},
            {"method", "estimated from the model card: 2 x active parameters per token plus attention over the context; not counted"}};
}

std::optional<CardFlops> find_card_flops(const std::string& model, const std::string& card_name) {
    if (!card_name.empty()) return CardFlops(compute::load_model_card(card_name));
    if (auto card = compute::find_model_card(model)) return CardFlops(std::move(*card));
    return std::nullopt;
}

}  // namespace flopwise

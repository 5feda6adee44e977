#include "card_flops.hpp"

#include <cmath>

#include "flopwise/error.hpp"

namespace flopwise {

namespace {

FlopCounts times(const FlopCounts& per_token, int64_t count) {
    const auto scale = [&](uint64_t v) { return static_cast<uint64_t>(std::llround(static_cast<double>(v) * static_cast<double>(count))); };
    FlopCounts out;
    out.linear = scale(per_token.linear);
    out.attention = scale(per_token.attention);
    out.lm_head = scale(per_token.lm_head);
    return out;
}

}  // namespace

FlopCounts CardFlops::prompt(int64_t tokens) const {
    if (tokens <= 0) return {};
    return times(per_token_(tokens).first, tokens);
}

// Attention grows linearly with the context, so the token at the middle of the generated run
// costs the average of them all.
FlopCounts CardFlops::generation(int64_t context, int64_t tokens) const {
    if (tokens <= 0) return {};
    return times(per_token_(context + tokens / 2).second, tokens);
}

std::optional<CardFlops> find_card_flops(const std::string& model, const std::string& card_name) {
    (void)model;
    if (!card_name.empty()) throw Error("--card " + card_name + ": model cards are not part of this build yet");
    return std::nullopt;
}

}  // namespace flopwise

#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "flopwise/engine.hpp"

namespace flopwise::engine {

// Picks the next token from a logit vector: argmax at temperature 0, otherwise a draw from the
// softmax at that temperature restricted to the top-k and top-p set. Seeded and reproducible on
// every platform (the uniform draw is built from the 64-bit Mersenne Twister's raw output).
class Sampler {
public:
    explicit Sampler(const SamplingOptions& options);
    TokenId sample(const std::vector<float>& logits, TokenId argmax);

private:
    SamplingOptions options_;
    std::mt19937_64 rng_;
};

}  // namespace flopwise::engine

#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace flopwise::kernels::bench {

inline std::vector<float> random_values(size_t n, uint32_t seed, float low = -1.0f, float high = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(low, high);
    std::vector<float> values(n);
    for (float& v : values) v = dist(rng);
    return values;
}

// "decode" for one token, "prefill<N>" for a prompt of N tokens.
inline std::string phase_name(int64_t tokens) {
    if (tokens == 1) return "decode";
    std::string name = "prefill";
    name += std::to_string(tokens);
    return name;
}

}  // namespace flopwise::kernels::bench

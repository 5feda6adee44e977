#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "flopwise/kernels/random_weights.hpp"

namespace flopwise::kernels::bench {

// "decode" for one token, "prefill<N>" for a prompt of N tokens.
inline std::string phase_name(int64_t tokens) {
    if (tokens == 1) return "decode";
    std::string name = "prefill";
    name += std::to_string(tokens);
    return name;
}

}  // namespace flopwise::kernels::bench

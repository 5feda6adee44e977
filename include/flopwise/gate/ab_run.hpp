#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "flopwise/gate/gate.hpp"

namespace flopwise::gate {

// A/B mode: two builds measured in the same job. Each round runs both binaries' `bench kernels`
// (one repetition each) in an order drawn at random, so that drifts of the machine (other jobs,
// clocks, caches) hit both alike; the verdict comes from the rounds' ratios.
struct AbOptions {
    std::string old_binary;
    std::string new_binary;
    int rounds = 10;
    std::vector<std::string> bench_flags;  // passed to `bench kernels` (--filter, --isa, --min-time, ...)
    uint64_t seed = 0;                     // of the order draw
    std::string work_dir;                  // where the rounds' JSON files and logs go
    GateOptions gate;
    TimeField time = TimeField::real;
};

GateReport run_ab(const AbOptions& options);

}  // namespace flopwise::gate

#pragma once
// The kernel families' benchmark cases, one file each; registry.cpp lists them.
#include <vector>

#include "flopwise/kernels/bench.hpp"

namespace flopwise::kernels::bench {

void add_matmul_cases(std::vector<Case>& cases);
void add_attention_cases(std::vector<Case>& cases);
void add_elementwise_cases(std::vector<Case>& cases);
void add_cuda_cases(std::vector<Case>& cases);

}  // namespace flopwise::kernels::bench

#include "families.hpp"

namespace flopwise::kernels::bench {

// The one list of benchmarked kernel families: a new kernel adds its cases file and one line here.
std::vector<Case> all_cases(bool gpu) {
    std::vector<Case> cases;
    add_matmul_cases(cases);
    add_attention_cases(cases);
    add_elementwise_cases(cases);
    if (gpu) add_cuda_cases(cases);
    return cases;
}

}  // namespace flopwise::kernels::bench

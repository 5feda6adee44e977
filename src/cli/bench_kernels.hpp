#pragma once
#include "args.hpp"

namespace flopwise::cli {

// `flopwise bench kernels ...`: the kernel microbenchmarks (see docs/kernels-bench.md).
int bench_kernels(Args& args);

}  // namespace flopwise::cli

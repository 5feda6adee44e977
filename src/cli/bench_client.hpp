#pragma once
#include "args.hpp"

namespace flopwise::cli {

// `flopwise bench client`: throughput and per-request overhead of the remote-API client stack.
int bench_client(Args& args);

}  // namespace flopwise::cli

#pragma once
#include "args.hpp"

namespace flopwise::cli {

// `flopwise bench report`: builds a report over many synthetic runs and times it.
int bench_report(Args& args);

}  // namespace flopwise::cli

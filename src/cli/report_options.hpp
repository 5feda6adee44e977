#pragma once
#include <string>

#include "args.hpp"
#include "flopwise/report/paired_statistics.hpp"

namespace flopwise::cli {

// --iterations and --seed of the commands that bootstrap (compare, claim, report).
report::BootstrapOptions bootstrap_options(Args& args);
// --context: the context length FLOPs per token are estimated at.
int64_t flops_context(Args& args);
// Writes `text` to `path`, replacing the file; Error naming the path when it cannot.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace flopwise::cli

#include "report_options.hpp"

#include <fstream>

#include "flopwise/error.hpp"

namespace flopwise::cli {

report::BootstrapOptions bootstrap_options(Args& args) {
    report::BootstrapOptions options;
    options.iterations = static_cast<int>(args.integer("iterations", options.iterations, 1, 10'000'000));
    options.seed = static_cast<uint64_t>(args.integer("seed", static_cast<int64_t>(options.seed), 0, INT64_MAX));
    return options;
}

int64_t flops_context(Args& args) { return args.integer("context", 2048, 1, int64_t{1} << 34); }

void write_text_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path + ": cannot open for writing");
    out << text;
    if (!out.flush()) throw Error(path + ": write failed");
}

}  // namespace flopwise::cli

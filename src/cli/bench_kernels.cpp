#include "bench_kernels.hpp"

#include <cstdio>
#include <string>

#include "flopwise/error.hpp"
#include "flopwise/kernels/bench.hpp"

namespace flopwise::cli {
namespace {

kernels::Isa isa_flag(Args& args) {
    const auto requested = args.value("isa");
    if (!requested) return kernels::active_isa();
    for (kernels::Isa isa : kernels::supported_isas())
        if (kernels::name(isa) == *requested) return isa;
    throw Error("--isa " + *requested + ": not a path this CPU runs (scalar, avx2, avx512 where supported)");
}

}  // namespace

int bench_kernels(Args& args) {
    kernels::bench::Options options;
    options.filter = args.value("filter").value_or("");
    options.json_path = args.value("json").value_or("");
    options.repetitions = static_cast<int>(args.integer("repetitions", 5, 1, 1000));
    options.min_time = args.number("min-time", 0.05, 0.001, 60.0);
    options.threads = static_cast<int>(args.integer("threads", 0, 0, 4096));
    options.large = args.flag("large");
    const bool isa_given = args.value("isa").has_value();
    options.isa = isa_flag(args);
    const bool list = args.flag("list");
    const bool instructions = args.flag("instructions");
    const bool child = args.flag("instructions-child");  // internal: the side that runs under valgrind
    const int calls = static_cast<int>(args.integer("calls", 10, 1, 1000));
    args.finish();

    if (list) {
        for (const auto& c : kernels::bench::select_cases(options))
            std::printf("%s%s\n", c.name.c_str(), c.large ? "  (large)" : "");
        return 0;
    }
    if (child) {
        kernels::bench::count_instructions_child(options, calls);
        return 0;
    }
    if (instructions) {
        // valgrind runs the scalar and AVX2 paths on any x86-64 CPU with AVX2, whatever it has beyond.
        const std::vector<kernels::Isa> isas =
            isa_given ? std::vector<kernels::Isa>{options.isa} : std::vector<kernels::Isa>{kernels::Isa::scalar, kernels::Isa::avx2};
        kernels::bench::count_instructions(options, calls, isas);
        return 0;
    }
    kernels::bench::run_timed(options);
    return 0;
}

}  // namespace flopwise::cli

#include "harness.hpp"

#include <tbb/task_arena.h>

#include <cmath>
#include <cstdlib>
#include <regex>

#include "flopwise/error.hpp"

namespace flopwise::kernels::bench {

std::vector<std::pair<std::string, std::string>> run_context(const std::string& metric, const Options& options) {
    const int threads = options.threads > 0 ? options.threads : tbb::this_task_arena::max_concurrency();
    return {{"flopwise_metric", metric},
            {"flopwise_isa", std::string(name(options.isa))},
            {"flopwise_threads", std::to_string(threads)},
            {"flopwise_filter", options.filter},
            {"flopwise_large", options.large ? "true" : "false"},
            {"flopwise_compiler", FLOPWISE_COMPILER},
            {"flopwise_build_flags", FLOPWISE_BUILD_FLAGS}};
}

Slowdown slowdown_from_environment() {
    const char* value = std::getenv("FLOPWISE_BENCH_SLOWDOWN");
    if (value == nullptr || *value == '\0') return {};
    const std::string text = value;
    const size_t eq = text.rfind('=');
    const Error malformed("FLOPWISE_BENCH_SLOWDOWN='" + text + "': expected REGEX=FRACTION with a fraction in (0, 1]");
    if (eq == std::string::npos) throw malformed;
    Slowdown s{text.substr(0, eq), 0.0};
    char* end = nullptr;
    s.fraction = std::strtod(text.c_str() + eq + 1, &end);
    if (end == text.c_str() + eq + 1 || *end != '\0' || !(s.fraction > 0.0 && s.fraction <= 1.0)) throw malformed;
    try {
        std::regex check(s.pattern, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
        throw malformed;
    }
    return s;
}

double slowdown_for(const Slowdown& slowdown, const std::string& name) {
    if (slowdown.fraction <= 0.0) return 0.0;
    return std::regex_search(name, std::regex(slowdown.pattern, std::regex::ECMAScript)) ? slowdown.fraction : 0.0;
}

bool extra_call(int64_t iteration, double fraction) {
    return std::floor(static_cast<double>(iteration + 1) * fraction) > std::floor(static_cast<double>(iteration) * fraction);
}

}  // namespace flopwise::kernels::bench

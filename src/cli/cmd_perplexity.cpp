#include <cstdio>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "engine_options.hpp"
#include "flopwise/perplexity.hpp"
#include "text_input.hpp"

namespace flopwise::cli {
namespace {

int run(Args& args) {
    const std::string spec = args.required("model");
    const std::string path = args.required("file");
    const int32_t ctx = static_cast<int32_t>(args.integer("ctx", 512, 4, 1 << 20));
    const int32_t chunks = static_cast<int32_t>(args.integer("chunks", 0, 0, 1 << 30));
    const bool json = args.flag("json");
    const Engine::Options options = engine_options(args);
    args.finish();

    std::string text = read_file(path);
    // llama.cpp's perplexity tool drops one trailing newline of the file; do the same so that both
    // tools score the same token stream.
    if (!text.empty() && text.back() == '\n') text.pop_back();
    auto engine = Engine::load(spec, options);
    const auto tokens = engine->tokenizer().encode(text);
    const PerplexityResult result = windowed_perplexity(*engine, tokens, ctx, chunks, [&](const PerplexityResult& r) {
        if (!json) std::fprintf(stderr, "[%d] %.4f\n", r.chunks, r.perplexity);
    });
    if (json) {
        nlohmann::json out = {{"perplexity", result.perplexity},   {"chunks", result.chunks},
                              {"ctx", ctx},                        {"scored_tokens", result.scored_tokens},
                              {"nll", result.negative_log_likelihood}, {"running", result.running_perplexity},
                              {"flops", result.usage.flops.total()}};
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("Final estimate: PPL = %.4f over %d chunks of %d tokens (%lld tokens scored)\n", result.perplexity,
                    result.chunks, ctx, static_cast<long long>(result.scored_tokens));
    }
    return 0;
}

const CommandRegistration registration({"perplexity", "--model M --file F [--ctx 512] [--chunks K] [--json] [--threads T]",
                                        "perplexity of a text file, by llama.cpp's windowed method", run});

}  // namespace
}  // namespace flopwise::cli

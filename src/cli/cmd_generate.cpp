#include <cstdio>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "engine_options.hpp"
#include "flopwise/engine.hpp"
#include "text_input.hpp"

namespace flopwise::cli {
namespace {

int run(Args& args) {
    const std::string spec = args.required("model");
    const std::string prompt = read_text_input(args, "prompt", "prompt-file");
    GenerationRequest request;
    request.max_tokens = static_cast<int32_t>(args.integer("max-tokens", 128, 0, 1 << 20));
    request.stop = args.list("stop");
    request.sampling.temperature = args.number("temperature", 0.0, 0.0, 100.0);
    request.sampling.top_p = args.number("top-p", 1.0, 0.0, 1.0);
    request.sampling.top_k = static_cast<int32_t>(args.integer("top-k", 0, 0, 1 << 24));
    request.sampling.seed = static_cast<uint64_t>(args.integer("seed", 0, 0, INT64_MAX));
    const bool json = args.flag("json");
    const Engine::Options options = engine_options(args);
    args.finish();

    auto engine = Engine::load(spec, options);
    request.prompt = engine->tokenizer().encode(prompt);
    ComputeUsage usage;
    const GenerationResult result = engine->generate(request, &usage);
    if (json) {
        nlohmann::json out = {{"text", result.text},
                              {"tokens", result.tokens},
                              {"finish_reason", result.finish_reason},
                              {"prompt_tokens", usage.prompt_tokens},
                              {"generated_tokens", usage.generated_tokens},
                              {"flops", usage.flops.total()},
                              {"prefill_seconds", result.prefill_seconds},
                              {"decode_seconds", result.decode_seconds}};
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("%s\n", result.text.c_str());
    }
    return 0;
}

const CommandRegistration registration(
    {"generate",
     "--model M (--prompt P | --prompt-file F) [--max-tokens N] [--stop S1,S2] [--temperature T] [--top-p P] [--top-k K] [--seed S] [--json] [--threads T]",
     "generate text from a prompt (greedy unless --temperature > 0)", run});

}  // namespace
}  // namespace flopwise::cli

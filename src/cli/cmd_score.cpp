#include <cstdio>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "engine_options.hpp"
#include "flopwise/continuation_split.hpp"
#include "flopwise/engine.hpp"

namespace flopwise::cli {
namespace {

int run(Args& args) {
    const std::string spec = args.required("model");
    const std::string context = args.required("context");
    const std::string continuation = args.required("continuation");
    const Engine::Options options = engine_options(args);
    args.finish();

    auto engine = Engine::load(spec, options);
    const ScoreRequest request = split_continuation(engine->tokenizer(), context, continuation);
    ComputeUsage usage;
    const ScoreResult result = engine->score({request}, &usage).front();
    nlohmann::json pieces = nlohmann::json::array();
    for (TokenId id : request.continuation) pieces.push_back(engine->tokenizer().token_to_piece(id));
    nlohmann::json out = {{"context_tokens", request.context.size()},
                          {"continuation_tokens", request.continuation},
                          {"continuation_pieces", pieces},
                          {"token_logprobs", result.token_logprobs},
                          {"logprob", result.logprob},
                          {"greedy", result.greedy},
                          {"flops", {{"linear", usage.flops.linear}, {"attention", usage.flops.attention},
                                     {"lm_head", usage.flops.lm_head}, {"total", usage.flops.total()}}}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
}

const CommandRegistration registration({"score", "--model M --context C --continuation X [--threads T]",
                                        "log-probability of a continuation given a context, as JSON", run});

}  // namespace
}  // namespace flopwise::cli

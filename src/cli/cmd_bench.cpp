#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench_kernels.hpp"
#include "bench_report.hpp"
#include "bench_client.hpp"
#include "command.hpp"
#include "engine_options.hpp"
#include "flopwise/engine.hpp"
#include "flopwise/error.hpp"
#include "flopwise/kernels/isa.hpp"

namespace flopwise::cli {
namespace {

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Prefill and decode throughput in the manner of llama.cpp's llama-bench (pp N / tg N): a prompt
// of random ordinary tokens evaluated in one step, then N single-token decode steps.
int bench_engine(Args& args) {
    const std::string spec = args.required("model");
    const int32_t prompt_tokens = static_cast<int32_t>(args.integer("prompt-tokens", 512, 1, 1 << 20));
    const int32_t gen_tokens = static_cast<int32_t>(args.integer("gen-tokens", 128, 1, 1 << 20));
    const int32_t repetitions = static_cast<int32_t>(args.integer("repetitions", 3, 1, 1000));
    const auto json_path = args.value("json");
    Engine::Options options = engine_options(args);
    options.batch_tokens = std::max(options.batch_tokens, prompt_tokens);
    args.finish();

    auto engine = Engine::load(spec, options);
    const Tokenizer& tokenizer = engine->tokenizer();
    std::mt19937_64 rng(1234);
    GenerationRequest request;
    while (static_cast<int32_t>(request.prompt.size()) < prompt_tokens) {
        const TokenId id = static_cast<TokenId>(rng() % static_cast<uint64_t>(tokenizer.vocab_size()));
        if (tokenizer.token_kind(id) == TokenKind::normal) request.prompt.push_back(id);
    }
    request.ignore_eos = true;

    std::vector<double> prefill_rates, decode_rates, prefill_gflops, decode_gflops;
    for (int32_t rep = 0; rep <= repetitions; ++rep) {  // the first round warms up and is not counted
        request.max_tokens = 1;
        ComputeUsage prefill_usage;
        const GenerationResult prefill = engine->generate(request, &prefill_usage);
        request.max_tokens = gen_tokens + 1;  // the first token comes from the prompt's logits
        ComputeUsage usage;
        const GenerationResult full = engine->generate(request, &usage);
        if (rep == 0) continue;
        const double decode_flops = static_cast<double>(usage.flops.total() - prefill_usage.flops.total());
        prefill_rates.push_back(prompt_tokens / prefill.prefill_seconds);
        decode_rates.push_back(gen_tokens / full.decode_seconds);
        prefill_gflops.push_back(static_cast<double>(prefill_usage.flops.total()) / prefill.prefill_seconds * 1e-9);
        decode_gflops.push_back(decode_flops / full.decode_seconds * 1e-9);
    }
    const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
    const char* activations = options.int8_activations ? "int8" : "float32";
    const std::string device(name(options.device));
    std::printf("model: %s (%s)  device: %s  isa: %s  activations: %s  threads: %d  repetitions: %d\n", engine->config().name.c_str(),
                engine->config().architecture_name.c_str(), device.c_str(), std::string(kernels::name(kernels::active_isa())).c_str(),
                activations, threads, repetitions);
    std::printf("  pp%-5d %9.2f tokens/s  %8.2f GFLOP/s\n", prompt_tokens, median(prefill_rates), median(prefill_gflops));
    std::printf("  tg%-5d %9.2f tokens/s  %8.2f GFLOP/s\n", gen_tokens, median(decode_rates), median(decode_gflops));
    if (json_path) {
        nlohmann::json out = {{"model", engine->file().path()},
                              {"architecture", engine->config().architecture_name},
                              {"isa", kernels::name(kernels::active_isa())},
                              {"activations", activations},
                              {"device", device},
                              {"threads", threads},
                              {"prompt_tokens", prompt_tokens},
                              {"gen_tokens", gen_tokens},
                              {"prefill_tokens_per_second", prefill_rates},
                              {"decode_tokens_per_second", decode_rates},
                              {"prefill_gflops_per_second", prefill_gflops},
                              {"decode_gflops_per_second", decode_gflops}};
        std::ofstream file(*json_path);
        if (!file) throw Error(*json_path + ": cannot open for writing");
        file << out.dump(2) << "\n";
    }
    return 0;
}

int run(Args& args) {
    const auto what = args.leading_word();
    if (what == "engine") return bench_engine(args);
    if (what == "kernels") return bench_kernels(args);
    if (what == "report") return bench_report(args);
    if (what == "client") return bench_client(args);
    throw Error("flopwise bench: name what to benchmark: 'engine', 'kernels', 'report' or 'client'");
}

const CommandRegistration registration(
    {"bench",
     "engine --model M [--prompt-tokens 512] [--gen-tokens 128] [--repetitions 3] [--threads T] [--int8-activations] [--device cpu|cuda] [--json F]\n"
     "               kernels [--filter RE] [--json F] [--repetitions 5] [--isa P] [--large] [--list] [--instructions]\n"
     "               report [--models 100] [--tasks 20] [--repetitions 5] [--output F]\n"
     "               client [--url BASE_URL] [--concurrency 64] [--requests N] [--json F]",
     "measure the engine's prefill and decode speed, the kernels against this machine's roofline, building a report, or the "
     "remote-API client's requests/s", run});

}  // namespace
}  // namespace flopwise::cli

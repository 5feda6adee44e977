// The engine with --device cuda on the real models: log-probs close to the CPU engine's, and
// batch-invariant on the GPU too. Without a GPU the comparisons skip, saying why, and loading
// with --device cuda must fail with that reason.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "flopwise/continuation_split.hpp"
#include "flopwise/engine.hpp"
#include "flopwise/error.hpp"
#include "flopwise/kernels/cuda/device.hpp"
#include "test_env.hpp"

namespace flopwise {
namespace {

std::vector<ScoreRequest> make_requests(const Tokenizer& tokenizer) {
    const char* contexts[] = {"The capital of France is", "def fibonacci(n):\n    if n < 2:\n        return",
                              "Photosynthesis converts light energy into"};
    const char* continuations[] = {" Paris, a city on the Seine.", " n", " chemical energy stored in glucose."};
    std::vector<ScoreRequest> requests;
    for (const char* c : contexts)
        for (const char* x : continuations) requests.push_back(split_continuation(tokenizer, c, x));
    return requests;
}

Engine::Options on(ComputeDevice device) {
    Engine::Options options;
    options.threads = 2;
    options.device = device;
    return options;
}

class CudaEngine : public ::testing::TestWithParam<std::string> {};

TEST_P(CudaEngine, ScoresMatchTheCpuEngineAndAreBatchInvariant) {
    const kernels::cuda::DeviceStatus status = kernels::cuda::device_status();
    if (!status.usable) GTEST_SKIP() << "no GPU for --device cuda: " << status.reason;
    const std::string model = test::model_path(GetParam());
    auto cpu = Engine::load(model, on(ComputeDevice::cpu));
    auto gpu = Engine::load(model, on(ComputeDevice::cuda));
    const auto requests = make_requests(cpu->tokenizer());
    const auto want = cpu->score(requests);
    const auto batched = gpu->score(requests);
    ASSERT_EQ(want.size(), batched.size());
    for (size_t i = 0; i < requests.size(); ++i) {
        ASSERT_EQ(want[i].token_logprobs.size(), batched[i].token_logprobs.size());
        // Both engines round in float32 in different orders; the log-probs agree to rounding.
        for (size_t t = 0; t < want[i].token_logprobs.size(); ++t)
            EXPECT_NEAR(batched[i].token_logprobs[t], want[i].token_logprobs[t], 0.02) << "request " << i << " token " << t;
        const auto alone = gpu->score({requests[i]}).front();
        for (size_t t = 0; t < alone.token_logprobs.size(); ++t) {
            const double a = alone.token_logprobs[t], b = batched[i].token_logprobs[t];
            EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0) << "request " << i << " token " << t << ": alone " << a << ", batched " << b;
        }
    }
    GenerationRequest generation;
    generation.prompt = cpu->tokenizer().encode("The three primary colours are");
    generation.ignore_eos = true;
    generation.max_tokens = 12;
    const auto text = gpu->generate(generation);
    EXPECT_EQ(text.tokens.size(), 12u) << text.text;
}

TEST_P(CudaEngine, WithoutADeviceLoadingSaysWhy) {
    const kernels::cuda::DeviceStatus status = kernels::cuda::device_status();
    if (status.usable) GTEST_SKIP() << "a GPU is present (" << status.name << ")";
    try {
        Engine::load(test::model_path(GetParam()), on(ComputeDevice::cuda));
        FAIL() << "--device cuda loaded without a GPU";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("needs a CUDA device: " + status.reason), std::string::npos) << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(RealModels, CudaEngine, ::testing::Values("gemma3-270m", "smollm2-135m"),
                         [](const auto& info) { return info.param == "gemma3-270m" ? std::string("gemma") : std::string("smollm"); });

}  // namespace
}  // namespace flopwise

#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "flopwise/compute_device.hpp"
#include "flopwise/compute_usage.hpp"
#include "flopwise/gguf.hpp"
#include "flopwise/model_config.hpp"
#include "flopwise/tokenizer.hpp"

namespace flopwise {

struct SamplingOptions {
    double temperature = 0.0;  // 0: greedy
    double top_p = 1.0;
    int32_t top_k = 0;         // 0: no limit
    uint64_t seed = 0;
};

// A token and its log-probability at one position (log-softmax in float64).
struct TokenLogprob {
    TokenId token = 0;
    double logprob = 0.0;
};
// The `k` most likely tokens at one position, most likely first (ties: lower id first).
using TopLogprobs = std::vector<TokenLogprob>;

// Log-probability of `continuation` given `context` (token ids; the context must not be empty).
struct ScoreRequest {
    std::vector<TokenId> context;
    std::vector<TokenId> continuation;
    int32_t top_logprobs = 0;  // also list this many most likely tokens at each continuation position
};
struct ScoreResult {
    std::vector<double> token_logprobs;  // one per continuation token
    double logprob = 0.0;                // their sum
    bool greedy = false;                 // every continuation token is the argmax at its position
    std::vector<TopLogprobs> top_logprobs;  // one per continuation token when top_logprobs > 0
};

struct GenerationRequest {
    std::vector<TokenId> prompt;
    int32_t max_tokens = 256;
    std::vector<std::string> stop;  // generation ends when the text contains one; it is cut there
    SamplingOptions sampling;
    bool ignore_eos = false;        // keep going past end-of-generation tokens (benchmarks)
    bool logprobs = false;          // report each generated token's log-probability
    int32_t top_logprobs = 0;       // and this many most likely tokens at each step
};
struct GenerationResult {
    std::vector<TokenId> tokens;
    std::string text;
    // "stop" (a stop string), "eos" (end-of-generation token), "length", "context", "cancelled"
    std::string finish_reason;
    std::vector<double> token_logprobs;     // per generated token when logprobs is set (unaffected by temperature)
    std::vector<TopLogprobs> top_logprobs;  // per generated token when top_logprobs > 0
    double prefill_seconds = 0.0;  // evaluating the prompt
    double decode_seconds = 0.0;   // from the end of the prompt to the end of generation
};
// Called after each generated token of request `index` (finish_reason empty) and once when it
// ends (finish_reason set, text cut at the stop string). Returning false cancels that request.
using GenerationObserver = std::function<bool(size_t index, const GenerationResult& progress)>;
// Called before each decode step with the number of requests still running; the requests it
// returns join the running ones (continuous batching). They are numbered after those before them.
using GenerationSource = std::function<std::vector<GenerationRequest>(size_t running)>;

// Per-token log-probs of a token sequence, each given everything before it, from position
// `first` on (earlier positions are computed but their logits are not).
struct SequenceScore {
    size_t first = 0;
    std::vector<double> token_logprobs;  // token_logprobs[i] = log P(tokens[first+i+1] | tokens[0..first+i])
    std::vector<TokenId> argmax;         // argmax[i] = most likely token after tokens[0..first+i]
};

// The reference inference engine for one GGUF model on the CPU (or a CUDA GPU). Numerics are batch-invariant:
// a request's log-probs are bit-identical whether it is computed alone or with others, whatever
// the batch size, thread count or shared-prefix reuse. Calls are not thread-safe; use one Engine
// per thread of requests (weights are shared through the memory map).
class Engine {
public:
    struct Options {
        int32_t threads = 0;          // 0: all cores
        int32_t batch_tokens = 512;   // tokens pushed through the transformer per step
        int32_t max_context = 0;      // 0: the model's context length
        // The fast numerics (kernels/matmul_int8.hpp) for Q8_0 and Q4_0 weights: faster, less exact.
        bool int8_activations = false;
        // cuda: the forward pass runs on the GPU (kernels/cuda); its results match the CPU's to
        // rounding, not bit for bit, and are batch-invariant like them.
        ComputeDevice device = ComputeDevice::cpu;
    };

    // `spec` is "gguf:PATH" or a path ending in ".gguf".
    static std::unique_ptr<Engine> load(const std::string& spec, const Options& options);
    static std::unique_ptr<Engine> load(const std::string& spec) { return load(spec, Options{}); }
    ~Engine();

    const ModelConfig& config() const;
    const Tokenizer& tokenizer() const;
    const gguf::File& file() const;
    int32_t max_context() const;
    // Parameter counts from the tensors: all, and those outside the token embedding table.
    int64_t parameter_count() const;
    int64_t non_embedding_parameter_count() const;

    // Scores many requests; requests with identical contexts compute that context once.
    std::vector<ScoreResult> score(const std::vector<ScoreRequest>& requests, ComputeUsage* usage = nullptr);
    // One pass over `tokens` (at most max_context of them), scoring the tokens after position `first`.
    SequenceScore score_sequence(std::span<const TokenId> tokens, ComputeUsage* usage = nullptr, size_t first = 0);
    GenerationResult generate(const GenerationRequest& request, ComputeUsage* usage = nullptr);
    // Generates for several requests together: each prompt is prefilled, then every decode step
    // pushes one token of each unfinished request through the transformer at once; `more` (when
    // set) adds requests while others run. Each result is identical to generate() on that request
    // alone (batch invariance; each has its own sampler). Results are in the order requests came.
    std::vector<GenerationResult> generate(std::span<const GenerationRequest> requests, const GenerationObserver& observer,
                                           ComputeUsage* usage = nullptr, const GenerationSource& more = {});

private:
    struct Impl;
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// "gguf:PATH" or "*.gguf" -> PATH; anything else throws Error explaining the accepted forms.
std::string gguf_path_from_spec(const std::string& spec);

}  // namespace flopwise

#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "flopwise/compute_device.hpp"
#include "flopwise/language_model.hpp"

namespace flopwise {

// Remote API backends (docs/remote-backends.md).
struct RemoteOptions {
    std::string base_url;                  // empty: the API's public endpoint
    std::string api_key_env;               // empty: OPENAI_API_KEY or ANTHROPIC_API_KEY
    double request_timeout_seconds = 600;  // per attempt
    int32_t max_concurrency = 16;          // calls in flight
    double requests_per_minute = 0;        // 0: no limit
    double tokens_per_minute = 0;          // 0: no limit
    int32_t max_retries = 6;
    double retry_base_delay_seconds = 1.0;  // first backoff; doubles with each retry
    std::string system_prompt;             // chat-style APIs
    // How chat-style APIs get few-shot examples: as user/assistant turns, or the whole flat
    // prompt as one user message. Unset: turns.
    enum class ChatFewshot { turns, flat };
    std::optional<ChatFewshot> chat_fewshot;
    std::string card;                      // model card for the FLOPs estimate; empty: found by model name or alias
    std::string prices_file;               // user price table, ahead of pricing/prices.yaml; empty: $FLOPWISE_PRICES if set
};

struct ModelOptions {
    int32_t threads = 0;         // local engine: 0 = all cores
    int32_t batch_tokens = 512;  // local engine: tokens per forward step
    int32_t max_context = 0;     // local engine: 0 = the model's context length
    bool int8_activations = false;  // local engine: the fast numerics of kernels/matmul_int8.hpp
    ComputeDevice device = ComputeDevice::cpu;  // local engine: where the forward pass runs
    RemoteOptions remote;
};

// Opens a model by its spec: "gguf:PATH" or "PATH.gguf" for the local engine; "openai:MODEL",
// "openai-chat:MODEL", "anthropic:MODEL", "openai-responses:MODEL" for remote APIs. Unknown forms
// throw Error listing the accepted ones.
std::unique_ptr<LanguageModel> open_language_model(const std::string& spec, const ModelOptions& options);
// Whether a spec names a model for the local engine ("gguf:PATH", "PATH.gguf").
bool is_local_model_spec(const std::string& spec);

}  // namespace flopwise

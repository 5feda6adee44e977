#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "flopwise/language_model.hpp"

namespace flopwise {

struct ModelOptions {
    int32_t threads = 0;         // local engine: 0 = all cores
    int32_t batch_tokens = 512;  // local engine: tokens per forward step
    int32_t max_context = 0;     // local engine: 0 = the model's context length
};

// Opens a model by its spec: "gguf:PATH" or "PATH.gguf" for the local engine. Unknown forms throw
// Error listing the accepted ones.
std::unique_ptr<LanguageModel> open_language_model(const std::string& spec, const ModelOptions& options);

}  // namespace flopwise

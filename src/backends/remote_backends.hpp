#pragma once
#include <memory>
#include <string>

#include "flopwise/backends.hpp"

namespace flopwise {

// One constructor per API; `model` is the part of the spec after the backend's prefix.
std::unique_ptr<LanguageModel> make_openai_completions_model(const std::string& spec, const std::string& model, const ModelOptions& options);
std::unique_ptr<LanguageModel> make_openai_chat_model(const std::string& spec, const std::string& model, const ModelOptions& options);
std::unique_ptr<LanguageModel> make_anthropic_model(const std::string& spec, const std::string& model, const ModelOptions& options);
std::unique_ptr<LanguageModel> make_openai_responses_model(const std::string& spec, const std::string& model, const ModelOptions& options);

// The Authorization header of the OpenAI-style APIs.
std::vector<std::string> bearer_auth(const std::string& key);

}  // namespace flopwise

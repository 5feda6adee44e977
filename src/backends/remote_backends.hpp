#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "flopwise/backends.hpp"

namespace flopwise {

// One constructor per API; `model` is the part of the spec after the backend's prefix.
std::unique_ptr<LanguageModel> make_openai_completions_model(const std::string& spec, const std::string& model, const ModelOptions& options);
std::unique_ptr<LanguageModel> make_openai_chat_model(const std::string& spec, const std::string& model, const ModelOptions& options);
std::unique_ptr<LanguageModel> make_anthropic_model(const std::string& spec, const std::string& model, const ModelOptions& options);
std::unique_ptr<LanguageModel> make_openai_responses_model(const std::string& spec, const std::string& model, const ModelOptions& options);

// The Authorization header of the OpenAI-style APIs.
std::vector<std::string> bearer_auth(const std::string& key);

// The generation settings the Completions and Chat Completions APIs share, added to a request
// body: max_tokens and temperature always, top_p and seed when they are not the API's defaults,
// and the first four stop sequences (the API takes no more; the rest are applied to the text
// afterwards). Anthropic's and the Responses API's rules differ and live with their backends.
void add_openai_generation_settings(nlohmann::json& body, const GenerateRequest& request);

}  // namespace flopwise

#include <utility>
#include <vector>

#include "engine_model.hpp"
#include "flopwise/backends.hpp"
#include "flopwise/error.hpp"
#include "remote_backends.hpp"

namespace flopwise {

std::vector<std::string> bearer_auth(const std::string& key) { return {"Authorization: Bearer " + key}; }

bool is_local_model_spec(const std::string& spec) {
    return spec.rfind("gguf:", 0) == 0 || (spec.size() > 5 && spec.compare(spec.size() - 5, 5, ".gguf") == 0);
}

std::unique_ptr<LanguageModel> open_language_model(const std::string& spec, const ModelOptions& options) {
    if (is_local_model_spec(spec)) return std::make_unique<EngineModel>(spec, options);
    using Factory = std::unique_ptr<LanguageModel> (*)(const std::string&, const std::string&, const ModelOptions&);
    const std::vector<std::pair<std::string, Factory>> remote = {{"openai:", make_openai_completions_model},
                                                                 {"openai-chat:", make_openai_chat_model},
                                                                 {"anthropic:", make_anthropic_model},
                                                                 {"openai-responses:", make_openai_responses_model}};
    for (const auto& [prefix, make] : remote)
        if (spec.rfind(prefix, 0) == 0) return make(spec, spec.substr(prefix.size()), options);
    throw Error("model '" + spec +
                "': expected 'gguf:PATH' or a path ending in '.gguf', or a remote model: 'openai:MODEL', 'openai-chat:MODEL', "
                "'anthropic:MODEL', 'openai-responses:MODEL'");
}

}  // namespace flopwise

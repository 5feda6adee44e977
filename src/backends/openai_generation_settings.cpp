#include <algorithm>

#include "remote_backends.hpp"

namespace flopwise {

void add_openai_generation_settings(nlohmann::json& body, const GenerateRequest& r) {
    body["max_tokens"] = r.max_tokens;
    body["temperature"] = r.sampling.temperature;
    if (r.sampling.top_p < 1.0) body["top_p"] = r.sampling.top_p;
    if (r.sampling.seed != 0) body["seed"] = r.sampling.seed;
    const std::vector<std::string> stop(r.stop.begin(), r.stop.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(r.stop.size(), 4)));
    if (!stop.empty()) body["stop"] = stop;
}

}  // namespace flopwise

#include "flopwise/serve/protocol.hpp"

#include <functional>
#include <map>

namespace flopwise::serve {
namespace {

using json = nlohmann::json;

const char* type_name(const json& value) {
    switch (value.type()) {
        case json::value_t::null: return "null";
        case json::value_t::boolean: return "a boolean";
        case json::value_t::string: return "a string";
        case json::value_t::array: return "an array";
        case json::value_t::object: return "an object";
        case json::value_t::number_float: return "a number with a fraction";
        default: return "an integer";
    }
}

ApiError wrong_type(const std::string& field, const char* expected, const json& value) {
    return invalid_request(field, "'" + field + "' must be " + expected + ", got " + type_name(value), "invalid_type");
}

json parse_object(std::string_view body) {
    json value;
    try {
        value = json::parse(body);
    } catch (const json::parse_error& e) {
        throw invalid_request("", std::string("the request body is not valid JSON: ") + e.what(), "invalid_json");
    }
    if (!value.is_object()) throw invalid_request("", std::string("the request body must be a JSON object, got ") + type_name(value), "invalid_json");
    return value;
}

int64_t integer_in(const std::string& field, const json& value, int64_t min, int64_t max) {
    if (!value.is_number_integer()) throw wrong_type(field, "an integer", value);
    // Unsigned values above INT64_MAX would wrap; compare as unsigned first.
    if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(max))
        throw invalid_request(field, "'" + field + "' must be at most " + std::to_string(max) + ", got " + value.dump());
    const int64_t n = value.get<int64_t>();
    if (n < min || n > max)
        throw invalid_request(field, "'" + field + "' must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                         ", got " + std::to_string(n));
    return n;
}

double number_in(const std::string& field, const json& value, double min, double max) {
    if (!value.is_number()) throw wrong_type(field, "a number", value);
    const double x = value.get<double>();
    if (!(x >= min && x <= max))
        throw invalid_request(field, "'" + field + "' must be between " + json(min).dump() + " and " + json(max).dump() +
                                         ", got " + value.dump());
    return x;
}

bool boolean(const std::string& field, const json& value) {
    if (!value.is_boolean()) throw wrong_type(field, "a boolean", value);
    return value.get<bool>();
}

std::string string(const std::string& field, const json& value) {
    if (!value.is_string()) throw wrong_type(field, "a string", value);
    return value.get<std::string>();
}

std::vector<std::string> stop_strings(const json& value) {
    if (value.is_string()) return {value.get<std::string>()};
    if (!value.is_array()) throw wrong_type("stop", "a string or an array of strings", value);
    if (value.size() > kMaxStopStrings)
        throw invalid_request("stop", "'stop' may hold at most " + std::to_string(kMaxStopStrings) + " strings, got " +
                                          std::to_string(value.size()));
    std::vector<std::string> out;
    for (size_t i = 0; i < value.size(); ++i) out.push_back(string("stop[" + std::to_string(i) + "]", value[i]));
    return out;
}

std::vector<TokenId> token_ids(const std::string& field, const json& value) {
    std::vector<TokenId> out;
    for (size_t i = 0; i < value.size(); ++i)
        out.push_back(static_cast<TokenId>(integer_in(field + "[" + std::to_string(i) + "]", value[i], 0, INT32_MAX)));
    return out;
}

// A string, an array of strings, an array of token ids, or an array of arrays of token ids.
std::vector<Prompt> prompts(const json& value) {
    if (value.is_string()) return {value.get<std::string>()};
    const char* expected = "a string, an array of strings, an array of token ids or an array of arrays of token ids";
    if (!value.is_array() || value.empty()) {
        if (value.is_array()) throw invalid_request("prompt", "'prompt' is an empty array");
        throw wrong_type("prompt", expected, value);
    }
    if (value.front().is_number_integer()) return {token_ids("prompt", value)};
    if (value.size() > kMaxPrompts)
        throw invalid_request("prompt", "'prompt' may hold at most " + std::to_string(kMaxPrompts) + " prompts, got " +
                                            std::to_string(value.size()));
    std::vector<Prompt> out;
    for (size_t i = 0; i < value.size(); ++i) {
        const std::string field = "prompt[" + std::to_string(i) + "]";
        if (value[i].is_string()) out.emplace_back(value[i].get<std::string>());
        else if (value[i].is_array() && !value[i].empty()) out.emplace_back(token_ids(field, value[i]));
        else throw wrong_type(field, "a string or a non-empty array of token ids", value[i]);
    }
    return out;
}

std::string message_content(const std::string& field, const json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (!value.is_array()) throw wrong_type(field, "a string or an array of text parts", value);
    std::string text;
    for (size_t i = 0; i < value.size(); ++i) {
        const std::string part_field = field + "[" + std::to_string(i) + "]";
        const json& part = value[i];
        if (!part.is_object()) throw wrong_type(part_field, "an object", part);
        if (!part.contains("type") || part["type"] != "text")
            throw invalid_request(part_field + ".type", "only text content parts ({\"type\": \"text\", ...}) are supported");
        if (!part.contains("text")) throw invalid_request(part_field + ".text", "'" + part_field + ".text' is missing", "missing_required_parameter");
        text += string(part_field + ".text", part["text"]);
    }
    return text;
}

std::vector<ChatMessage> messages(const json& value) {
    if (!value.is_array()) throw wrong_type("messages", "an array of messages", value);
    if (value.empty()) throw invalid_request("messages", "'messages' is empty");
    std::vector<ChatMessage> out;
    for (size_t i = 0; i < value.size(); ++i) {
        const std::string field = "messages[" + std::to_string(i) + "]";
        const json& m = value[i];
        if (!m.is_object()) throw wrong_type(field, "an object", m);
        ChatMessage message;
        for (const auto& [key, v] : m.items()) {
            if (key == "role") message.role = string(field + ".role", v);
            else if (key == "content") message.content = message_content(field + ".content", v);
            else if (key == "name" && v.is_string()) continue;
            else throw invalid_request(field + "." + key, "unrecognized message field '" + key + "' in " + field, "unknown_parameter");
        }
        if (!m.contains("role")) throw invalid_request(field + ".role", "'" + field + ".role' is missing", "missing_required_parameter");
        if (!m.contains("content")) throw invalid_request(field + ".content", "'" + field + ".content' is missing", "missing_required_parameter");
        if (message.role == "developer") message.role = "system";
        if (message.role != "system" && message.role != "user" && message.role != "assistant")
            throw invalid_request(field + ".role", "'" + field + ".role' must be 'system', 'user' or 'assistant', got '" + message.role + "'");
        out.push_back(std::move(message));
    }
    return out;
}

using FieldParser = std::function<void(const json&)>;

// Applies each field's parser; null means "the default", as in the OpenAI API. A field nobody
// parses is rejected rather than silently ignored.
void parse_fields(const json& body, const std::map<std::string, FieldParser>& parsers, const std::vector<std::string>& required) {
    for (const auto& name : required)
        if (!body.contains(name) || body[name].is_null())
            throw invalid_request(name, "'" + name + "' is a required field", "missing_required_parameter");
    for (const auto& [key, value] : body.items()) {
        const auto parser = parsers.find(key);
        if (parser == parsers.end())
            throw invalid_request(key, "unrecognized request field '" + key + "'", "unknown_parameter");
        if (!value.is_null()) parser->second(value);
    }
}

// Accepted only at the value that means "off", so a request relying on them fails loudly.
FieldParser only_default(const std::string& field, json neutral) {
    return [field, neutral](const json& value) {
        if (value != neutral)
            throw invalid_request(field, "'" + field + "' is only supported at its default " + neutral.dump() + ", got " + value.dump(),
                                  "unsupported_value");
    };
}

std::map<std::string, FieldParser> sampling_parsers(SamplingFields& f, int32_t min_tokens) {
    return {
        {"model", [&f](const json& v) { f.model = string("model", v); }},
        {"max_tokens", [&f, min_tokens](const json& v) { f.max_tokens = static_cast<int32_t>(integer_in("max_tokens", v, min_tokens, INT32_MAX)); }},
        {"stop", [&f](const json& v) { f.stop = stop_strings(v); }},
        {"temperature", [&f](const json& v) { f.temperature = number_in("temperature", v, 0.0, 100.0); }},
        {"top_p", [&f](const json& v) {
             f.top_p = number_in("top_p", v, 0.0, 1.0);
             if (f.top_p == 0.0) throw invalid_request("top_p", "'top_p' must be greater than 0");
         }},
        {"top_k", [&f](const json& v) {
             const int64_t k = integer_in("top_k", v, -1, INT32_MAX);
             f.top_k = k < 0 ? 0 : static_cast<int32_t>(k);
         }},
        {"seed", [&f](const json& v) { f.seed = static_cast<uint64_t>(integer_in("seed", v, INT64_MIN, INT64_MAX)); }},
        {"stream", [&f](const json& v) { f.stream = boolean("stream", v); }},
        {"stream_options", [&f](const json& v) {
             if (!v.is_object()) throw wrong_type("stream_options", "an object", v);
             for (const auto& [key, option] : v.items()) {
                 if (key != "include_usage")
                     throw invalid_request("stream_options." + key, "unrecognized stream option '" + key + "'", "unknown_parameter");
                 f.include_usage = boolean("stream_options.include_usage", option);
             }
         }},
        {"n", only_default("n", 1)},
        {"frequency_penalty", only_default("frequency_penalty", 0)},
        {"presence_penalty", only_default("presence_penalty", 0)},
        {"user", [](const json& v) { string("user", v); }},
    };
}

void check_stream_options(const SamplingFields& f) {
    if (f.include_usage && !f.stream)
        throw invalid_request("stream_options", "'stream_options' is only allowed when 'stream' is true");
}

}  // namespace

ApiError invalid_request(const std::string& param, const std::string& message, const std::string& code) {
    return ApiError(400, "invalid_request_error", code, param, message);
}

nlohmann::json error_body(const ApiError& error) {
    return {{"error",
             {{"message", error.what()},
              {"type", error.type},
              {"param", error.param.empty() ? json(nullptr) : json(error.param)},
              {"code", error.code.empty() ? json(nullptr) : json(error.code)}}}};
}

CompletionRequest parse_completion_request(std::string_view body) {
    const json object = parse_object(body);
    CompletionRequest r;
    auto parsers = sampling_parsers(r.fields, 0);
    parsers["prompt"] = [&r](const json& v) { r.prompts = prompts(v); };
    parsers["logprobs"] = [&r](const json& v) {
        r.logprobs = static_cast<int32_t>(integer_in("logprobs", v, 0, kMaxTopLogprobs));
    };
    parsers["echo"] = [&r](const json& v) { r.echo = boolean("echo", v); };
    parsers["best_of"] = only_default("best_of", 1);
    parsers["suffix"] = only_default("suffix", nullptr);
    parsers["logit_bias"] = only_default("logit_bias", json::object());
    parse_fields(object, parsers, {"model", "prompt"});
    check_stream_options(r.fields);
    if (r.fields.stream && (r.echo || r.logprobs))
        throw invalid_request(r.echo ? "echo" : "logprobs", "'echo' and 'logprobs' are not supported with 'stream'", "unsupported_value");
    return r;
}

ChatRequest parse_chat_request(std::string_view body) {
    const json object = parse_object(body);
    ChatRequest r;
    auto parsers = sampling_parsers(r.fields, 1);
    parsers["max_completion_tokens"] = parsers["max_tokens"];
    parsers["messages"] = [&r](const json& v) { r.messages = messages(v); };
    parsers["logprobs"] = [&r](const json& v) { r.logprobs = boolean("logprobs", v); };
    parsers["top_logprobs"] = [&r](const json& v) {
        r.top_logprobs = static_cast<int32_t>(integer_in("top_logprobs", v, 0, kMaxTopLogprobs));
    };
    parsers["logit_bias"] = only_default("logit_bias", json::object());
    parse_fields(object, parsers, {"model", "messages"});
    check_stream_options(r.fields);
    if (r.top_logprobs > 0 && !r.logprobs)
        throw invalid_request("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
    if (r.fields.stream && r.logprobs)
        throw invalid_request("logprobs", "'logprobs' is not supported with 'stream'", "unsupported_value");
    return r;
}

}  // namespace flopwise::serve

#include "flopwise/eval/requests.hpp"

#include <cmath>
#include <limits>

#include "flopwise/error.hpp"
#include "flopwise/eval/digest.hpp"

namespace flopwise {

std::string to_string(RequestKind kind) {
    switch (kind) {
        case RequestKind::loglikelihood: return "loglikelihood";
        case RequestKind::rolling: return "loglikelihood_rolling";
        case RequestKind::generation: return "generate_until";
    }
    return "?";
}

}  // namespace flopwise

namespace flopwise::eval {

Request Request::make_loglikelihood(std::string context, std::string continuation) {
    Request r;
    r.kind = RequestKind::loglikelihood;
    r.loglikelihood = {std::move(context), std::move(continuation)};
    return r;
}

Request Request::make_rolling(std::string text) {
    Request r;
    r.kind = RequestKind::rolling;
    r.rolling.text = std::move(text);
    return r;
}

Request Request::make_generation(std::string context, std::vector<std::string> stop, int32_t max_tokens) {
    Request r;
    r.kind = RequestKind::generation;
    r.generation.context = std::move(context);
    r.generation.stop = std::move(stop);
    r.generation.max_tokens = max_tokens;
    return r;
}

size_t Request::length() const {
    switch (kind) {
        case RequestKind::loglikelihood: return loglikelihood.context.size() + loglikelihood.continuation.size();
        case RequestKind::rolling: return rolling.text.size();
        case RequestKind::generation: return generation.context.size();
    }
    return 0;
}

const std::optional<std::string>& Response::error() const {
    switch (kind) {
        case RequestKind::loglikelihood: return loglikelihood.error;
        case RequestKind::rolling: return rolling.error;
        case RequestKind::generation: return generation.error;
    }
    return loglikelihood.error;
}

const ComputeUsage& Response::usage() const {
    switch (kind) {
        case RequestKind::loglikelihood: return loglikelihood.usage;
        case RequestKind::rolling: return rolling.usage;
        case RequestKind::generation: return generation.usage;
    }
    return loglikelihood.usage;
}

namespace {

// JSON has no infinities: a log-probability of -inf (a token the model rules out) is stored as text.
nlohmann::ordered_json number(double v) {
    if (std::isfinite(v)) return v;
    return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
}

double number_from(const nlohmann::ordered_json& j) {
    if (j.is_number()) return j.get<double>();
    const std::string text = j.get<std::string>();
    if (text == "-inf") return -std::numeric_limits<double>::infinity();
    if (text == "inf") return std::numeric_limits<double>::infinity();
    if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
    throw Error("'" + text + "' is not a number");
}

nlohmann::ordered_json conversation_json(const Conversation& c) {
    auto turns = nlohmann::ordered_json::array();
    for (const ChatTurn& t : c.turns) turns.push_back({{"role", to_string(t.role)}, {"content", t.content}});
    return {{"description", c.description}, {"turns", turns}, {"target_delimiter", c.target_delimiter}, {"fewshot_delimiter", c.fewshot_delimiter}};
}

// A conversation read back must say what its request's context says, in turns that alternate
// from a user turn to a user turn, as the chat APIs take them.
Conversation conversation_from_json(const nlohmann::ordered_json& j, const std::string& context) {
    Conversation c;
    c.description = j.at("description").get<std::string>();
    c.target_delimiter = j.at("target_delimiter").get<std::string>();
    c.fewshot_delimiter = j.at("fewshot_delimiter").get<std::string>();
    for (const auto& t : j.at("turns")) {
        const std::string role = t.at("role").get<std::string>();
        const auto expected = c.turns.size() % 2 == 0 ? ChatTurn::Role::user : ChatTurn::Role::assistant;
        if (role != to_string(expected))
            throw Error("request is malformed: conversation turn " + std::to_string(c.turns.size() + 1) + " has role '" + role + "', expected '" + to_string(expected) + "'");
        c.turns.push_back({expected, t.at("content").get<std::string>()});
    }
    if (c.turns.size() % 2 == 0) throw Error("request is malformed: its conversation does not end with a user turn");
    if (c.flattened() != context) throw Error("request is malformed: its conversation does not join to its context");
    return c;
}

}  // namespace

nlohmann::ordered_json to_json(const Request& r) {
    nlohmann::ordered_json j;
    j["kind"] = to_string(r.kind);
    switch (r.kind) {
        case RequestKind::loglikelihood:
            j["context"] = r.loglikelihood.context;
            j["continuation"] = r.loglikelihood.continuation;
            break;
        case RequestKind::rolling:
            j["text"] = r.rolling.text;
            break;
        case RequestKind::generation: {
            const auto& g = r.generation;
            j["context"] = g.context;
            j["stop"] = g.stop;
            j["max_tokens"] = g.max_tokens;
            j["sampling"] = {{"temperature", g.sampling.temperature}, {"top_p", g.sampling.top_p}, {"top_k", g.sampling.top_k},
                             {"seed", g.sampling.seed}};
            if (g.conversation) j["conversation"] = conversation_json(*g.conversation);
            break;
        }
    }
    return j;
}

std::string request_key(const std::string& model_key, const Request& request) {
    return sha256_hex(model_key + "\n" + to_json(request).dump());
}

nlohmann::ordered_json to_json(const ModelIdentity& m) {
    nlohmann::ordered_json j = {{"backend", m.backend},
            {"spec", m.spec},
            {"name", m.name},
            {"file_sha256", m.file_sha256},
            {"architecture", m.architecture},
            {"quantization", m.quantization},
            {"parameters", m.parameters},
            {"non_embedding_parameters", m.non_embedding_parameters},
            {"flops", m.flops_counted ? "counted" : "estimated"},
            {"details", nlohmann::ordered_json(m.details)}};
    if (!m.service.empty()) j["service"] = nlohmann::ordered_json(m.service);
    return j;
}

std::string model_key(const ModelIdentity& identity) {
    nlohmann::ordered_json j = to_json(identity);
    j.erase("spec");
    j.erase("service");
    return sha256_hex(j.dump());
}

namespace {

nlohmann::ordered_json flops_to_json(const FlopCounts& f) {
    return {{"linear", f.linear}, {"attention", f.attention}, {"lm_head", f.lm_head}};
}

FlopCounts flops_from_json(const nlohmann::ordered_json& f) {
    return {f.at("linear").get<uint64_t>(), f.at("attention").get<uint64_t>(), f.at("lm_head").get<uint64_t>()};
}

}  // namespace

nlohmann::ordered_json to_json(const ComputeUsage& u) {
    return {{"prompt_tokens", u.prompt_tokens},
            {"generated_tokens", u.generated_tokens},
            {"reasoning_tokens", u.reasoning_tokens},
            {"reused_tokens", u.reused_tokens},
            {"flops", flops_to_json(u.flops)},
            {"generation_flops", flops_to_json(u.generation_flops)},
            {"reasoning_flops", u.reasoning_flops}};
}

ComputeUsage usage_from_json(const nlohmann::ordered_json& j) {
    ComputeUsage u;
    u.prompt_tokens = j.at("prompt_tokens").get<int64_t>();
    u.generated_tokens = j.at("generated_tokens").get<int64_t>();
    u.reasoning_tokens = j.value("reasoning_tokens", int64_t{0});  // absent in caches written before remote backends
    u.reused_tokens = j.at("reused_tokens").get<int64_t>();
    u.flops = flops_from_json(j.at("flops"));
    // Caches written before these fields existed hold no generation or reasoning split.
    if (j.contains("generation_flops")) u.generation_flops = flops_from_json(j.at("generation_flops"));
    u.reasoning_flops = j.value("reasoning_flops", uint64_t{0});
    return u;
}

nlohmann::ordered_json to_json(const Response& r) {
    nlohmann::ordered_json j;
    switch (r.kind) {
        case RequestKind::loglikelihood: {
            const auto& l = r.loglikelihood;
            auto token_logprobs = nlohmann::ordered_json::array();
            for (double v : l.token_logprobs) token_logprobs.push_back(number(v));
            j = {{"logprob", number(l.logprob)},
                 {"greedy", l.greedy},
                 {"token_logprobs", token_logprobs},
                 {"context_tokens", l.context_tokens},
                 {"continuation_tokens", l.continuation_tokens}};
            break;
        }
        case RequestKind::rolling:
            j = {{"logprob", number(r.rolling.logprob)}, {"tokens", r.rolling.tokens}};
            break;
        case RequestKind::generation: {
            const auto& g = r.generation;
            j = {{"text", g.text}, {"finish_reason", g.finish_reason}, {"prompt_tokens", g.prompt_tokens}, {"generated_tokens", g.generated_tokens}};
            break;
        }
    }
    j["usage"] = to_json(r.usage());
    if (r.error()) j["error"] = *r.error();
    return j;
}

Response response_from_json(RequestKind kind, const nlohmann::ordered_json& j) {
    Response r;
    r.kind = kind;
    try {
        switch (kind) {
            case RequestKind::loglikelihood: {
                auto& l = r.loglikelihood;
                l.logprob = number_from(j.at("logprob"));
                l.greedy = j.at("greedy").get<bool>();
                for (const auto& v : j.at("token_logprobs")) l.token_logprobs.push_back(number_from(v));
                l.context_tokens = j.at("context_tokens").get<int64_t>();
                l.continuation_tokens = j.at("continuation_tokens").get<int64_t>();
                l.usage = usage_from_json(j.at("usage"));
                break;
            }
            case RequestKind::rolling:
                r.rolling.logprob = number_from(j.at("logprob"));
                r.rolling.tokens = j.at("tokens").get<int64_t>();
                r.rolling.usage = usage_from_json(j.at("usage"));
                break;
            case RequestKind::generation: {
                auto& g = r.generation;
                g.text = j.at("text").get<std::string>();
                g.finish_reason = j.at("finish_reason").get<std::string>();
                g.prompt_tokens = j.at("prompt_tokens").get<int64_t>();
                g.generated_tokens = j.at("generated_tokens").get<int64_t>();
                g.usage = usage_from_json(j.at("usage"));
                break;
            }
        }
        if (const auto error = j.find("error"); error != j.end()) {
            switch (kind) {
                case RequestKind::loglikelihood: r.loglikelihood.error = error->get<std::string>(); break;
                case RequestKind::rolling: r.rolling.error = error->get<std::string>(); break;
                case RequestKind::generation: r.generation.error = error->get<std::string>(); break;
            }
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error("stored " + to_string(kind) + " result is malformed: " + e.what());
    }
    return r;
}

Request request_from_json(const nlohmann::ordered_json& j) {
    try {
        const std::string kind = j.at("kind").get<std::string>();
        if (kind == to_string(RequestKind::loglikelihood))
            return Request::make_loglikelihood(j.at("context").get<std::string>(), j.at("continuation").get<std::string>());
        if (kind == to_string(RequestKind::rolling)) return Request::make_rolling(j.at("text").get<std::string>());
        if (kind == to_string(RequestKind::generation)) {
            Request r = Request::make_generation(j.at("context").get<std::string>(), j.at("stop").get<std::vector<std::string>>(),
                                                 j.at("max_tokens").get<int32_t>());
            const auto& s = j.at("sampling");
            r.generation.sampling.temperature = s.at("temperature").get<double>();
            r.generation.sampling.top_p = s.at("top_p").get<double>();
            r.generation.sampling.top_k = s.at("top_k").get<int32_t>();
            r.generation.sampling.seed = s.at("seed").get<uint64_t>();
            if (const auto c = j.find("conversation"); c != j.end()) r.generation.conversation = conversation_from_json(*c, r.generation.context);
            return r;
        }
        throw Error("request kind '" + kind + "' is unknown");
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("request is malformed: ") + e.what());
    }
}

}  // namespace flopwise::eval

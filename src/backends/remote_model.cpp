#include "remote_model.hpp"

#include <algorithm>
#include <cstdlib>

#include "flopwise/remote/pricing.hpp"

namespace flopwise {

namespace {

std::string without_trailing_slash(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

remote::ClientOptions client_options(const RemoteOptions& o) {
    remote::ClientOptions c;
    c.max_concurrency = o.max_concurrency;
    c.timeout_seconds = o.request_timeout_seconds;
    c.requests_per_minute = o.requests_per_minute;
    c.tokens_per_minute = o.tokens_per_minute;
    c.retry.max_retries = o.max_retries;
    c.retry.base_delay_seconds = o.retry_base_delay_seconds;
    return c;
}

}  // namespace

const nlohmann::json& usage_of(const nlohmann::json& body) {
    static const nlohmann::json none;
    return body.is_object() && body.contains("usage") ? body["usage"] : none;
}

int64_t reported_tokens(const nlohmann::json& usage, const char* field) {
    return usage.is_object() && usage.contains(field) && usage[field].is_number_integer() ? usage[field].get<int64_t>() : -1;
}

std::string cut_at_stop(const std::string& text, const std::vector<std::string>& stop) {
    size_t end = text.size();
    for (const auto& s : stop)
        if (!s.empty()) end = std::min(end, text.find(s));
    return text.substr(0, end);
}

double rough_token_count(const std::string& text) { return static_cast<double>(text.size()) / 4.0 + 1.0; }

std::string quote_start(const std::string& text) {
    std::string start = text.substr(0, 40);
    for (char& c : start)
        if (c == '\n' || c == '\t' || c == '\r') c = ' ';
    return "'" + start + (text.size() > 40 ? "...'" : "'");
}

RemoteModel::RemoteModel(const std::string& spec, const std::string& model, const ApiSettings& api, const ModelOptions& options)
    : model_(model),
      system_prompt_(options.remote.system_prompt),
      base_url_(without_trailing_slash(options.remote.base_url.empty() ? api.public_base_url : options.remote.base_url)) {
    if (model_.empty()) throw Error("model '" + spec + "': name the model after '" + api.backend + ":'");
    const RemoteOptions& o = options.remote;
    const std::string variable = o.api_key_env.empty() ? api.key_variable : o.api_key_env;
    const char* key = std::getenv(variable.c_str());
    const bool has_key = key && *key;
    // A local server (vLLM, llama.cpp, flopwise serve) usually needs no key; the public API does.
    if (!has_key && (!o.api_key_env.empty() || o.base_url.empty()))
        throw Error("model '" + spec + "': the API key is read from the environment variable " + variable +
                    ", which is not set (name another variable with --api-key-env)");
    if (o.chat_fewshot && !api.chat)
        throw Error("model '" + spec + "': --chat-fewshot applies to the chat APIs (openai-chat:, anthropic:, openai-responses:), not to " + api.backend + ":");
    reads_conversation_ = api.chat && o.chat_fewshot.value_or(RemoteOptions::ChatFewshot::turns) == RemoteOptions::ChatFewshot::turns;
    url_ = base_url_ + api.path;
    headers_ = {"Content-Type: application/json", "Accept: application/json"};
    client_ = std::make_unique<remote::HttpClient>(client_options(o));
    if (has_key) {
        for (auto& h : api.auth_headers(key)) headers_.push_back(std::move(h));
        client_->add_secret(key);
    }

    identity_.backend = api.backend;
    identity_.spec = spec;
    identity_.name = model_;
    identity_.flops_counted = false;
    if (!system_prompt_.empty()) identity_.details["system_prompt"] = system_prompt_;
    if (api.chat) identity_.details["chat_fewshot"] = reads_conversation_ ? "turns" : "flat";
    identity_.service["base_url"] = base_url_;
    identity_.service["api_key_env"] = has_key ? nlohmann::json(variable) : nlohmann::json();
    flops_ = find_card_flops(model_, o.card);
    identity_.service["flops_estimate"] = flops_ ? flops_->description() : nlohmann::json();
    const auto price = remote::PriceTable::load(remote::price_files(o.prices_file)).find(api.backend, model_);
    identity_.service["price"] = price ? nlohmann::json(price->to_json()) : nlohmann::json();
}

std::vector<LoglikelihoodResult> RemoteModel::loglikelihood(std::span<const LoglikelihoodRequest>) {
    throw Error(identity_.spec + ": the " + identity_.backend + " API gives no prompt log-probabilities; use openai:MODEL for loglikelihood tasks");
}

std::vector<RollingResult> RemoteModel::loglikelihood_rolling(std::span<const RollingRequest>) {
    throw Error(identity_.spec + ": the " + identity_.backend + " API gives no prompt log-probabilities; use openai:MODEL for perplexity tasks");
}

remote::HttpRequest RemoteModel::make_request(const nlohmann::json& body, double estimated_tokens) const {
    remote::HttpRequest r;
    r.url = url_;
    r.headers = headers_;
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    r.estimated_tokens = estimated_tokens;
    return r;
}

std::vector<remote::HttpOutcome> RemoteModel::send(const std::vector<remote::HttpRequest>& requests,
                                                   const std::function<double(size_t, const nlohmann::json&)>& read) {
    return client_->perform(requests, [&](size_t index, const remote::HttpResponse& response) {
        remote::Acceptance verdict;
        const auto body = nlohmann::json::parse(response.body, nullptr, false);
        if (body.is_discarded()) {
            verdict.problem = "not JSON (" + std::to_string(response.body.size()) + " bytes, starting " + quote_start(response.body) + ")";
            return verdict;
        }
        try {
            verdict.tokens_used = read(index, body);
        } catch (const MalformedResponse& e) {
            verdict.problem = e.what();
        } catch (const nlohmann::json::exception& e) {
            verdict.problem = std::string("unexpected JSON: ") + e.what();
        }
        return verdict;
    });
}

std::string RemoteModel::failure(const remote::HttpOutcome& outcome, size_t index, size_t count, const std::string& what) const {
    return identity_.spec + " at " + url_ + ": request " + std::to_string(index + 1) + " of " + std::to_string(count) + " (" + what + ") failed: " + outcome.error;
}

ComputeUsage RemoteModel::usage(int64_t prompt_tokens, int64_t output_tokens, int64_t reasoning_tokens) const {
    ComputeUsage u;
    u.prompt_tokens = std::max<int64_t>(prompt_tokens, 0);
    u.reasoning_tokens = std::max<int64_t>(reasoning_tokens, 0);
    u.generated_tokens = std::max<int64_t>(output_tokens - u.reasoning_tokens, 0);
    if (flops_) {
        // Reasoning comes first, then the visible answer after it.
        const FlopCounts reasoning = flops_->generation(u.prompt_tokens, u.reasoning_tokens);
        u.generation_flops = reasoning;
        u.generation_flops += flops_->generation(u.prompt_tokens + u.reasoning_tokens, u.generated_tokens);
        u.flops = flops_->prompt(u.prompt_tokens, false);
        u.flops += u.generation_flops;
        u.reasoning_flops = reasoning.total();
    }
    return u;
}

ComputeUsage RemoteModel::prompt_only_usage(int64_t prompt_tokens) const {
    ComputeUsage u;
    u.prompt_tokens = std::max<int64_t>(prompt_tokens, 0);
    if (flops_) u.flops = flops_->prompt(u.prompt_tokens, true);
    return u;
}

RemoteModel::ChatMessages RemoteModel::chat_messages(const GenerateRequest& r) const {
    if (reads_conversation_ && r.conversation) return {r.conversation->system_message(system_prompt_), r.conversation->turns};
    return {system_prompt_, {{ChatTurn::Role::user, r.context}}};
}

nlohmann::json RemoteModel::messages_json(const std::vector<ChatTurn>& turns) {
    nlohmann::json messages = nlohmann::json::array();
    for (const ChatTurn& t : turns) messages.push_back({{"role", to_string(t.role)}, {"content", t.content}});
    return messages;
}

std::vector<GenerateResult> RemoteModel::generate(std::span<const GenerateRequest> requests) {
    std::vector<remote::HttpRequest> calls;
    calls.reserve(requests.size());
    for (const auto& r : requests) calls.push_back(make_request(generation_body(r), rough_token_count(system_prompt_ + r.context) + r.max_tokens));
    std::vector<GenerateResult> out(requests.size());
    const auto outcomes = send(calls, [&](size_t i, const nlohmann::json& body) {
        const Generation g = parse_generation(body);
        GenerateResult& r = out[i];
        r.text = cut_at_stop(g.text, requests[i].stop);
        r.finish_reason = g.finish_reason;
        r.usage = usage(g.prompt_tokens, g.output_tokens, g.reasoning_tokens);
        r.prompt_tokens = r.usage.prompt_tokens;
        r.generated_tokens = r.usage.generated_tokens;
        return g.prompt_tokens >= 0 && g.output_tokens >= 0 ? static_cast<double>(g.prompt_tokens + g.output_tokens) : -1.0;
    });
    for (size_t i = 0; i < out.size(); ++i)
        if (!outcomes[i].ok) out[i] = failed_result<GenerateResult>(failure(outcomes[i], i, out.size(), "generation from " + quote_start(requests[i].context)));
    return out;
}

nlohmann::json RemoteModel::statistics() const {
    nlohmann::json j = client_->statistics().to_json();
    j["backend"] = identity_.backend;
    return j;
}

}  // namespace flopwise

// openai:MODEL, the Completions API (/v1/completions) of OpenAI and of the servers that copy it
// (vLLM, llama.cpp's server, flopwise serve). Log-likelihoods come from `echo` with `logprobs`:
// the server scores the prompt itself and returns a log-probability for each prompt token.
#include <cmath>

#include "remote_backends.hpp"
#include "remote_model.hpp"

namespace flopwise {

namespace {

// Characters as the API counts them in text_offset (Unicode code points, Python's len).
int64_t code_points(const std::string& text) {
    int64_t n = 0;
    for (unsigned char c : text) n += (c & 0xC0) != 0x80;
    return n;
}

const nlohmann::json& first_choice(const nlohmann::json& body) {
    if (!body.is_object() || !body.contains("choices") || !body["choices"].is_array() || body["choices"].empty())
        throw MalformedResponse("no 'choices' in the response");
    const auto& choice = body["choices"][0];
    if (!choice.is_object()) throw MalformedResponse("'choices[0]' is not an object");
    return choice;
}

// The prompt tokens of an echoed prompt with their log-probabilities, checked: a server that
// ignores `echo` or leaves the prompt unscored would otherwise yield chance-level results.
struct ScoredPrompt {
    std::vector<std::string> tokens;
    std::vector<std::optional<double>> logprobs;
    std::vector<bool> textless;       // no text of the prompt (a BOS token)
    std::vector<bool> after_context;  // ends past the context: holds continuation text
    std::vector<nlohmann::json> top;
};

// Where each token ends, in bytes, when the tokens spell the prompt exactly (after at most one
// leading textless token such as BOS): then the split is exact whatever unit the server's
// text_offset counts in (code points for OpenAI and vLLM, bytes for some servers).
std::optional<std::vector<int64_t>> spelled_ends(const nlohmann::json& tokens, const std::string& prompt) {
    for (size_t skip = 0; skip <= 1 && skip < tokens.size(); ++skip) {
        std::vector<int64_t> ends(skip, 0);
        size_t position = 0;
        for (size_t t = skip; t < tokens.size() && position < prompt.size(); ++t) {
            if (!tokens[t].is_string()) return std::nullopt;
            const std::string& piece = tokens[t].get_ref<const std::string&>();
            if (piece.empty() || prompt.compare(position, piece.size(), piece) != 0) break;
            position += piece.size();
            ends.push_back(static_cast<int64_t>(position));
        }
        if (position == prompt.size()) return ends;
    }
    return std::nullopt;
}

class OpenAICompletions : public RemoteModel {
public:
    OpenAICompletions(const std::string& spec, const std::string& model, const ModelOptions& options)
        : RemoteModel(spec, model, settings(), options) {}

    bool supports(RequestKind) const override { return true; }

    std::vector<LoglikelihoodResult> loglikelihood(std::span<const LoglikelihoodRequest> requests) override {
        std::vector<remote::HttpRequest> calls;
        for (const auto& r : requests) calls.push_back(make_request(echo_body(r.context + r.continuation), rough_token_count(r.context + r.continuation)));
        std::vector<LoglikelihoodResult> out(requests.size());
        const auto outcomes = send(calls, [&](size_t i, const nlohmann::json& body) {
            const auto& r = requests[i];
            const ScoredPrompt p = scored_prompt(body, r.context, r.context + r.continuation);
            LoglikelihoodResult& result = out[i];
            result = {};
            result.greedy = true;
            for (size_t t = 0; t < p.tokens.size(); ++t) {
                // A token that spans the boundary holds continuation text and is scored with it.
                if (!p.after_context[t]) {
                    ++result.context_tokens;
                    continue;
                }
                if (!p.logprobs[t]) throw unscored("the continuation token '" + p.tokens[t] + "' has no log-probability", r.context);
                result.token_logprobs.push_back(*p.logprobs[t]);
                result.logprob += *p.logprobs[t];
                ++result.continuation_tokens;
                result.greedy = result.greedy && most_likely(p.top[t], r.context) == p.tokens[t];
            }
            if (result.continuation_tokens == 0) throw unscored("no prompt token covers the continuation " + quote_start(r.continuation), r.context);
            const int64_t prompt_tokens = reported_tokens(usage_of(body), "prompt_tokens");
            result.usage = prompt_only_usage(prompt_tokens >= 0 ? prompt_tokens : static_cast<int64_t>(p.tokens.size()));
            return static_cast<double>(result.usage.prompt_tokens);
        });
        for (size_t i = 0; i < out.size(); ++i)
            if (!outcomes[i].ok)
                out[i] = failed_result<LoglikelihoodResult>(failure(outcomes[i], i, out.size(), "loglikelihood of " + quote_start(requests[i].continuation)));
        return out;
    }

    // The whole text scored in one call; its first token is scored only when the server puts a
    // beginning-of-sequence token before it (llama.cpp and vLLM do for models that use one).
    std::vector<RollingResult> loglikelihood_rolling(std::span<const RollingRequest> requests) override {
        std::vector<remote::HttpRequest> calls;
        for (const auto& r : requests) calls.push_back(make_request(echo_body(r.text), rough_token_count(r.text)));
        std::vector<RollingResult> out(requests.size());
        const auto outcomes = send(calls, [&](size_t i, const nlohmann::json& body) {
            const ScoredPrompt p = scored_prompt(body, "", requests[i].text);
            RollingResult& result = out[i];
            result = {};
            size_t unscored_tokens = 0;
            for (size_t t = 0; t < p.tokens.size(); ++t) {
                if (p.textless[t]) continue;
                if (!p.logprobs[t]) {
                    ++unscored_tokens;
                    continue;
                }
                result.logprob += *p.logprobs[t];
                ++result.tokens;
            }
            if (unscored_tokens > 1 || result.tokens == 0)
                throw unscored(std::to_string(unscored_tokens) + " of the text's tokens have no log-probability", requests[i].text);
            const int64_t prompt_tokens = reported_tokens(usage_of(body), "prompt_tokens");
            result.usage = prompt_only_usage(prompt_tokens >= 0 ? prompt_tokens : static_cast<int64_t>(p.tokens.size()));
            return static_cast<double>(result.usage.prompt_tokens);
        });
        for (size_t i = 0; i < out.size(); ++i)
            if (!outcomes[i].ok) out[i] = failed_result<RollingResult>(failure(outcomes[i], i, out.size(), "rolling loglikelihood of " + quote_start(requests[i].text)));
        return out;
    }

protected:
    nlohmann::json generation_body(const GenerateRequest& r) const override {
        nlohmann::json body = {{"model", model_}, {"prompt", r.context}};
        add_openai_generation_settings(body, r);
        return body;
    }

    Generation parse_generation(const nlohmann::json& body) const override {
        const auto& choice = first_choice(body);
        if (!choice.contains("text") || !choice["text"].is_string()) throw MalformedResponse("no 'text' in 'choices[0]'");
        Generation g;
        g.text = choice["text"].get<std::string>();
        g.finish_reason = choice.value("finish_reason", nlohmann::json()).is_string() ? choice["finish_reason"].get<std::string>() : "";
        g.prompt_tokens = reported_tokens(usage_of(body), "prompt_tokens");
        g.output_tokens = reported_tokens(usage_of(body), "completion_tokens");
        return g;
    }

private:
    static ApiSettings settings() { return {"openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "/completions", bearer_auth}; }

    nlohmann::json echo_body(const std::string& prompt) const {
        return {{"model", model_}, {"prompt", prompt}, {"max_tokens", 0}, {"echo", true}, {"logprobs", 1}, {"temperature", 0}};
    }

    Error unscored(const std::string& what, const std::string& prompt) const {
        return Error(identity_.spec + " at " + base_url_ + " answered an echo request for " + quote_start(prompt) +
                     " without log-probabilities for the prompt (" + what +
                     "): this server cannot score loglikelihood requests, and scoring anyway would give chance-level results. "
                     "Use a server that returns prompt log-probabilities with echo (vLLM, llama.cpp's server, flopwise serve) "
                     "or generation tasks.");
    }

    std::string most_likely(const nlohmann::json& top, const std::string& prompt) const {
        if (!top.is_object() || top.empty()) throw unscored("a continuation token has no top log-probabilities", prompt);
        std::string best;
        double best_logprob = -INFINITY;
        for (const auto& [token, logprob] : top.items()) {
            if (!logprob.is_number()) throw MalformedResponse("a top log-probability is not a number");
            if (logprob.get<double>() > best_logprob) {
                best_logprob = logprob.get<double>();
                best = token;
            }
        }
        return best;
    }

    ScoredPrompt scored_prompt(const nlohmann::json& body, const std::string& context, const std::string& prompt) const {
        const auto& choice = first_choice(body);
        if (!choice.contains("text") || !choice["text"].is_string()) throw MalformedResponse("no 'text' in 'choices[0]'");
        // An echo request returns the prompt in the text; a server that ignored `echo` does not.
        if (choice["text"].get<std::string>().rfind(prompt, 0) != 0) throw unscored("the prompt is not echoed", prompt);
        const auto& lp = choice.contains("logprobs") ? choice["logprobs"] : nlohmann::json();
        if (!lp.is_object()) throw unscored("'logprobs' is missing", prompt);
        const auto& tokens = lp.contains("tokens") ? lp["tokens"] : nlohmann::json();
        const auto& logprobs = lp.contains("token_logprobs") ? lp["token_logprobs"] : nlohmann::json();
        if (!tokens.is_array() || !logprobs.is_array() || tokens.size() != logprobs.size())
            throw unscored("'tokens' and 'token_logprobs' are missing or differ in length", prompt);
        for (const auto& t : tokens)
            if (!t.is_string()) throw MalformedResponse("a token is not a string");
        const auto& top = lp.contains("top_logprobs") ? lp["top_logprobs"] : nlohmann::json();

        // Token ends and the context's length in one unit: bytes when the tokens spell the prompt,
        // else code points from text_offset.
        std::vector<int64_t> ends;
        int64_t context_length = 0;
        if (auto spelled = spelled_ends(tokens, prompt)) {
            ends = std::move(*spelled);
            context_length = static_cast<int64_t>(context.size());
        } else {
            const auto& offsets = lp.contains("text_offset") ? lp["text_offset"] : nlohmann::json();
            if (!offsets.is_array() || offsets.size() != tokens.size())
                throw unscored("the tokens do not spell the prompt and 'text_offset' is missing", prompt);
            const int64_t prompt_length = code_points(prompt);
            for (size_t t = 0; t < tokens.size(); ++t) {
                if (!offsets[t].is_number_integer()) throw MalformedResponse("a text offset is not an integer");
                if (offsets[t].get<int64_t>() >= prompt_length) break;
                ends.push_back(t + 1 < tokens.size() && offsets[t + 1].is_number_integer() ? std::min(offsets[t + 1].get<int64_t>(), prompt_length) : prompt_length);
            }
            context_length = code_points(context);
        }
        ScoredPrompt p;
        for (size_t t = 0; t < ends.size(); ++t) {
            p.tokens.push_back(tokens[t].get<std::string>());
            if (logprobs[t].is_number()) p.logprobs.emplace_back(logprobs[t].get<double>());
            else if (logprobs[t].is_null()) p.logprobs.emplace_back();
            else throw MalformedResponse("a token log-probability is neither a number nor null");
            p.textless.push_back(ends[t] == (t == 0 ? 0 : ends[t - 1]));
            p.after_context.push_back(ends[t] > context_length);
            p.top.push_back(top.is_array() && t < top.size() ? top[t] : nlohmann::json());
        }
        if (p.tokens.empty()) throw unscored("no token of the prompt is returned", prompt);
        return p;
    }
};

}  // namespace

std::unique_ptr<LanguageModel> make_openai_completions_model(const std::string& spec, const std::string& model, const ModelOptions& options) {
    return std::make_unique<OpenAICompletions>(spec, model, options);
}

}  // namespace flopwise

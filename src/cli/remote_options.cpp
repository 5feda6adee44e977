#include "remote_options.hpp"

#include <sstream>

#include "flopwise/error.hpp"

namespace flopwise::cli {

RemoteOptions remote_options(Args& args) {
    RemoteOptions o;
    o.base_url = args.value("base-url").value_or("");
    o.api_key_env = args.value("api-key-env").value_or("");
    o.request_timeout_seconds = args.number("request-timeout", o.request_timeout_seconds, 0.001, 86400);
    o.max_concurrency = static_cast<int32_t>(args.integer("max-concurrency", o.max_concurrency, 1, 4096));
    o.requests_per_minute = args.number("rpm", 0, 0, 1e9);
    o.tokens_per_minute = args.number("tpm", 0, 0, 1e12);
    o.max_retries = static_cast<int32_t>(args.integer("max-retries", o.max_retries, 0, 100));
    o.retry_base_delay_seconds = args.number("retry-delay", o.retry_base_delay_seconds, 0, 3600);
    o.system_prompt = args.value("system-prompt").value_or("");
    if (const auto fewshot = args.value("chat-fewshot")) {
        if (*fewshot == "turns") o.chat_fewshot = RemoteOptions::ChatFewshot::turns;
        else if (*fewshot == "flat") o.chat_fewshot = RemoteOptions::ChatFewshot::flat;
        else throw Error("flopwise " + args.command() + ": --chat-fewshot must be 'turns' or 'flat', not '" + *fewshot + "'");
    }
    o.card = args.value("card").value_or("");
    o.prices_file = args.value("prices").value_or("");
    return o;
}

std::vector<std::string> remote_flags(const RemoteOptions& o) {
    const RemoteOptions defaults;
    std::vector<std::string> words;
    const auto add = [&](const char* flag, const std::string& value) {
        words.push_back(std::string("--") + flag);
        words.push_back(value);
    };
    const auto number = [](double v) {
        std::ostringstream s;
        s << v;
        return s.str();
    };
    if (!o.base_url.empty()) add("base-url", o.base_url);
    if (!o.api_key_env.empty()) add("api-key-env", o.api_key_env);
    if (o.request_timeout_seconds != defaults.request_timeout_seconds) add("request-timeout", number(o.request_timeout_seconds));
    if (o.max_concurrency != defaults.max_concurrency) add("max-concurrency", std::to_string(o.max_concurrency));
    if (o.requests_per_minute > 0) add("rpm", number(o.requests_per_minute));
    if (o.tokens_per_minute > 0) add("tpm", number(o.tokens_per_minute));
    if (o.max_retries != defaults.max_retries) add("max-retries", std::to_string(o.max_retries));
    if (o.retry_base_delay_seconds != defaults.retry_base_delay_seconds) add("retry-delay", number(o.retry_base_delay_seconds));
    if (!o.system_prompt.empty()) add("system-prompt", o.system_prompt);
    if (o.chat_fewshot) add("chat-fewshot", *o.chat_fewshot == RemoteOptions::ChatFewshot::turns ? "turns" : "flat");
    if (!o.card.empty()) add("card", o.card);
    if (!o.prices_file.empty()) add("prices", o.prices_file);
    return words;
}

}  // namespace flopwise::cli

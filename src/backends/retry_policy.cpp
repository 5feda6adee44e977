#include "flopwise/remote/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <curl/curl.h>

namespace flopwise::remote {

bool RetryPolicy::retryable_status(long status) { return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599); }

double RetryPolicy::delay_seconds(int32_t retry, std::optional<double> retry_after, std::mt19937_64& rng) const {
    const double exponential = base_delay_seconds * std::ldexp(1.0, std::clamp(retry, 1, 62) - 1);
    const double ceiling = std::min(max_delay_seconds, exponential);
    const double jittered = ceiling * std::uniform_real_distribution<double>(0.5, 1.0)(rng);
    if (!retry_after) return jittered;
    return std::max(jittered, std::min(*retry_after, max_retry_after_seconds));
}

namespace {

std::optional<double> non_negative_number(const std::string& value) {
    if (value.empty()) return std::nullopt;
    char* end = nullptr;
    const double parsed = std::strtod(value.c_str(), &end);
    while (end && (*end == ' ' || *end == '\t')) ++end;
    if (!end || *end != '\0' || !std::isfinite(parsed) || parsed < 0) return std::nullopt;
    return parsed;
}

}  // namespace

std::optional<double> parse_retry_after(const std::string& value, std::chrono::system_clock::time_point now) {
    if (const auto seconds = non_negative_number(value)) return seconds;
    const time_t when = curl_getdate(value.c_str(), nullptr);
    if (when < 0) return std::nullopt;
    const double wait = std::difftime(when, std::chrono::system_clock::to_time_t(now));
    return std::max(wait, 0.0);
}

std::optional<double> parse_retry_after_ms(const std::string& value) {
    const auto ms = non_negative_number(value);
    if (!ms) return std::nullopt;
    return *ms / 1000.0;
}

}  // namespace flopwise::remote

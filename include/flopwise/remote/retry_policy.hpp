#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace flopwise::remote {

// When and how soon a failed API call is tried again. Transient failures (rate limits, server
// errors, timeouts, dropped connections, unusable bodies) are retried with exponential backoff and
// jitter, so many clients that failed together do not come back together; a server's Retry-After
// is a floor on the wait. Other client errors (400, 401, 403, 404, 422, ...) mean the request
// itself is wrong and are never retried.
struct RetryPolicy {
    int32_t max_retries = 6;
    double base_delay_seconds = 1.0;
    double max_delay_seconds = 60.0;
    double max_retry_after_seconds = 600.0;  // a longer Retry-After is cut to this

    static bool retryable_status(long status);
    // The wait before retry number `retry` (1 for the first): a random point in the upper half of
    // min(max_delay, base * 2^(retry-1)), and at least `retry_after` when the server gave one.
    double delay_seconds(int32_t retry, std::optional<double> retry_after, std::mt19937_64& rng) const;
};

// Seconds to wait from a Retry-After value (delta-seconds or an HTTP date, relative to `now`) or a
// retry-after-ms value; nullopt when the value is neither.
std::optional<double> parse_retry_after(const std::string& value, std::chrono::system_clock::time_point now);
std::optional<double> parse_retry_after_ms(const std::string& value);

}  // namespace flopwise::remote

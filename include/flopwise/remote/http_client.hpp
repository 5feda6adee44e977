#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopwise/remote/rate_limiter.hpp"
#include "flopwise/remote/retry_policy.hpp"

namespace flopwise::remote {

struct HttpRequest {
    std::string url;
    std::vector<std::string> headers;  // "Name: value"; may carry credentials, which are never logged
    std::string body;                  // sent with POST; empty: GET
    double estimated_tokens = 0;       // what the call counts against a tokens-per-minute limit
};

struct HttpResponse {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string header(const std::string& lower_case_name) const;
};

// What the caller makes of a 2xx response. A `problem` (a body that is not the JSON expected,
// or cut short) makes the call count as failed and be retried like any transient fault.
struct Acceptance {
    std::optional<std::string> problem;
    double tokens_used = -1;  // the server's token count, when known, to settle the rate limiter's estimate
};
using AcceptResponse = std::function<Acceptance(size_t index, const HttpResponse& response)>;

struct HttpOutcome {
    bool ok = false;
    int32_t attempts = 0;
    std::string error;  // why the call finally failed, with the server's request id when it sent one
};

struct ClientOptions {
    int32_t max_concurrency = 16;
    double timeout_seconds = 600;  // per attempt, the whole exchange
    double connect_timeout_seconds = 30;
    double requests_per_minute = 0;  // 0: no limit
    double tokens_per_minute = 0;
    RetryPolicy retry;
    uint64_t jitter_seed = 0;  // 0: seeded from the clock
};

// Counts over the life of a client.
struct ClientStatistics {
    int64_t requests = 0;  // calls asked for
    int64_t attempts = 0;  // HTTP exchanges tried
    int64_t retries = 0;
    int64_t failed = 0;    // calls that failed after their last attempt
    std::map<std::string, int64_t> retries_by_reason;  // "http_429", "http_503", "timeout", "connection", "malformed_body", ...
    double wait_seconds = 0;  // time spent waiting for rate limits and backoff with nothing in flight
    nlohmann::ordered_json to_json() const;
};

// Many HTTP calls at once over libcurl's multi interface, on the calling thread: at most
// `max_concurrency` in flight over reused connections, started no faster than the rate limits
// allow, each retried per the policy. A call that finally fails is reported in its outcome, never
// thrown; an exception from `accept` stops everything and is rethrown.
class HttpClient {
public:
    explicit HttpClient(ClientOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Outcomes in request order; `accept` sees each 2xx response (index into `requests`).
    std::vector<HttpOutcome> perform(const std::vector<HttpRequest>& requests, const AcceptResponse& accept);
    // Text that must never appear in an error message (an API key a server might echo back).
    void add_secret(const std::string& secret);
    const ClientStatistics& statistics() const;
    const ClientOptions& options() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flopwise::remote

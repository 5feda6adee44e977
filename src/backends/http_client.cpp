#include "flopwise/remote/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <deque>
#include <mutex>
#include <queue>
#include <unordered_map>

#include <curl/curl.h>

#include "flopwise/error.hpp"

namespace flopwise::remote {

namespace {

using Clock = std::chrono::steady_clock;

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error("libcurl failed to initialise");
    });
}

// Transport failures worth another attempt: the network or the server misbehaved. A malformed
// URL, an unsupported scheme or a certificate that fails verification will not get better.
bool retryable_transport(CURLcode code) {
    switch (code) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_NOT_BUILT_IN:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_BAD_FUNCTION_ARGUMENT:
        case CURLE_OUT_OF_MEMORY:
            return false;
        default:
            return true;
    }
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(const std::string& s) {
    const size_t begin = s.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return "";
    return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

// The error message an API put in its body ({"error": {"message": ...}} for OpenAI and
// Anthropic, {"error": "..."} for some servers), else the start of the body.
std::string message_in_body(const std::string& body) {
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_object() && json.contains("error")) {
        const auto& e = json["error"];
        if (e.is_string()) return e.get<std::string>();
        if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
    }
    std::string start = body.substr(0, 300);
    for (char& c : start)
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    return body.size() > 300 ? start + "..." : start;
}

std::string request_id_of(const HttpResponse& r) {
    for (const char* name : {"x-request-id", "request-id", "openai-request-id", "cf-ray"}) {
        const std::string id = r.header(name);
        if (!id.empty()) return id;
    }
    return "";
}

struct Transfer {
    size_t index = 0;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpResponse response;
    char error_buffer[CURL_ERROR_SIZE] = {};
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    static_cast<Transfer*>(user)->response.body.append(data, size * count);
    return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::string line(data, size * count);
    if (line.rfind("HTTP/", 0) == 0) {
        t->response.headers.clear();  // a new response (after 100 Continue or a redirect)
    } else if (const size_t colon = line.find(':'); colon != std::string::npos) {
        t->response.headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    }
    return size * count;
}

// What one attempt came to.
struct Attempt {
    bool ok = false;
    bool retryable = false;
    std::string reason;   // statistics key
    std::string message;  // for the final error
    std::optional<double> retry_after;
};

struct CallState {
    int32_t attempts = 0;
    double estimated_tokens = 0;
};

}  // namespace

std::string HttpResponse::header(const std::string& lower_case_name) const {
    const auto it = headers.find(lower_case_name);
    return it == headers.end() ? std::string() : it->second;
}

nlohmann::ordered_json ClientStatistics::to_json() const {
    nlohmann::ordered_json by_reason = nlohmann::ordered_json::object();
    for (const auto& [reason, n] : retries_by_reason) by_reason[reason] = n;
    return {{"requests", requests}, {"attempts", attempts},          {"retries", retries},
            {"failed", failed},     {"retries_by_reason", by_reason}, {"wait_seconds", wait_seconds}};
}

struct HttpClient::Impl {
    ClientOptions options;
    CURLM* multi = nullptr;
    std::vector<CURL*> idle;
    RateLimiter limiter;
    std::mt19937_64 rng;
    ClientStatistics statistics;
    std::vector<std::string> secrets;

    explicit Impl(ClientOptions o)
        : options(std::move(o)),
          limiter(options.requests_per_minute, options.tokens_per_minute),
          rng(options.jitter_seed ? options.jitter_seed : static_cast<uint64_t>(Clock::now().time_since_epoch().count())) {
        global_init();
        multi = curl_multi_init();
        if (!multi) throw Error("libcurl: cannot create a multi handle");
        const long connections = std::max<long>(1, options.max_concurrency);
        curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, connections);
        curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, connections);
        curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, connections);
    }

    ~Impl() {
        for (CURL* e : idle) curl_easy_cleanup(e);
        curl_multi_cleanup(multi);
    }

    std::string scrub(std::string text) const {
        for (const auto& secret : secrets) {
            if (secret.empty()) continue;
            for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) text.replace(at, secret.size(), "[redacted]");
        }
        return text;
    }

    std::unique_ptr<Transfer> start(size_t index, const HttpRequest& request) {
        auto t = std::make_unique<Transfer>();
        t->index = index;
        if (idle.empty()) {
            t->easy = curl_easy_init();
            if (!t->easy) throw Error("libcurl: cannot create a handle");
        } else {
            t->easy = idle.back();
            idle.pop_back();
            curl_easy_reset(t->easy);
        }
        CURL* e = t->easy;
        for (const auto& h : request.headers) t->headers = curl_slist_append(t->headers, h.c_str());
        // No "Expect: 100-continue" round trip before larger bodies. No Accept-Encoding either:
        // answers are small JSON, and compressing them costs both ends more CPU than it saves.
        t->headers = curl_slist_append(t->headers, "Expect:");
        curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
        if (!request.body.empty()) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, request.body.data());
        }
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_buffer);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout_seconds * 1000));
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(options.connect_timeout_seconds, options.timeout_seconds) * 1000));
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
        if (curl_multi_add_handle(multi, e) != CURLM_OK) throw Error("libcurl: cannot start a transfer to " + request.url);
        return t;
    }

    void release(Transfer& t) {
        curl_multi_remove_handle(multi, t.easy);
        curl_slist_free_all(t.headers);
        t.headers = nullptr;
        idle.push_back(t.easy);
        t.easy = nullptr;
    }

    Attempt judge(Transfer& t, CURLcode code, const AcceptResponse& accept, CallState& call) {
        Attempt a;
        if (code != CURLE_OK) {
            a.retryable = retryable_transport(code);
            a.reason = code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "connection";
            a.message = std::string(curl_easy_strerror(code));
            if (t.error_buffer[0]) a.message += std::string(" (") + t.error_buffer + ")";
            return a;
        }
        curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &t.response.status);
        const long status = t.response.status;
        const std::string id = request_id_of(t.response);
        const std::string id_note = id.empty() ? "" : " (request id " + id + ")";
        if (status >= 200 && status < 300) {
            const Acceptance verdict = accept(t.index, t.response);
            if (!verdict.problem) {
                if (verdict.tokens_used >= 0) limiter.settle(call.estimated_tokens, verdict.tokens_used);
                a.ok = true;
                return a;
            }
            a.retryable = true;
            a.reason = "malformed_body";
            a.message = "HTTP " + std::to_string(status) + id_note + " with an unusable body: " + *verdict.problem;
            return a;
        }
        a.retryable = RetryPolicy::retryable_status(status);
        a.reason = "http_" + std::to_string(status);
        a.message = "HTTP " + std::to_string(status) + id_note + ": " + message_in_body(t.response.body);
        if (const auto ms = parse_retry_after_ms(t.response.header("retry-after-ms"))) a.retry_after = ms;
        else if (const auto s = parse_retry_after(t.response.header("retry-after"), std::chrono::system_clock::now())) a.retry_after = s;
        return a;
    }

    std::vector<HttpOutcome> perform(const std::vector<HttpRequest>& requests, const AcceptResponse& accept) {
        const size_t n = requests.size();
        std::vector<HttpOutcome> outcomes(n);
        std::vector<CallState> calls(n);
        statistics.requests += static_cast<int64_t>(n);
        std::deque<size_t> ready;
        for (size_t i = 0; i < n; ++i) ready.push_back(i);
        using Timed = std::pair<Clock::time_point, size_t>;
        std::priority_queue<Timed, std::vector<Timed>, std::greater<Timed>> waiting;
        std::unordered_map<CURL*, std::unique_ptr<Transfer>> in_flight;
        size_t finished = 0;
        const size_t concurrency = static_cast<size_t>(std::max(1, options.max_concurrency));

        const auto abandon_all = [&] {
            for (auto& [easy, t] : in_flight) release(*t);
            in_flight.clear();
        };
        try {
            while (finished < n) {
                auto now = Clock::now();
                while (!waiting.empty() && waiting.top().first <= now) {
                    ready.push_back(waiting.top().second);
                    waiting.pop();
                }
                double limit_wait = 0;
                while (in_flight.size() < concurrency && !ready.empty()) {
                    const size_t i = ready.front();
                    limit_wait = limiter.wait(requests[i].estimated_tokens, now);
                    if (limit_wait > 0) break;
                    limiter.take(requests[i].estimated_tokens, now);
                    calls[i].estimated_tokens = requests[i].estimated_tokens;
                    ready.pop_front();
                    auto t = start(i, requests[i]);
                    CURL* easy = t->easy;
                    in_flight.emplace(easy, std::move(t));
                }
                int running = 0;
                curl_multi_perform(multi, &running);
                int left = 0;
                while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
                    if (message->msg != CURLMSG_DONE) continue;
                    const auto it = in_flight.find(message->easy_handle);
                    if (it == in_flight.end()) continue;
                    std::unique_ptr<Transfer> t = std::move(it->second);
                    in_flight.erase(it);
                    const CURLcode code = message->data.result;
                    CallState& call = calls[t->index];
                    ++call.attempts;
                    ++statistics.attempts;
                    Attempt attempt;
                    try {
                        attempt = judge(*t, code, accept, call);
                    } catch (...) {
                        release(*t);
                        throw;
                    }
                    release(*t);
                    HttpOutcome& outcome = outcomes[t->index];
                    outcome.attempts = call.attempts;
                    if (attempt.ok) {
                        outcome.ok = true;
                        ++finished;
                    } else if (attempt.retryable && call.attempts <= options.retry.max_retries) {
                        ++statistics.retries;
                        ++statistics.retries_by_reason[attempt.reason];
                        const double delay = options.retry.delay_seconds(call.attempts, attempt.retry_after, rng);
                        waiting.emplace(Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(delay)), t->index);
                    } else {
                        outcome.error = scrub(attempt.message);
                        if (attempt.retryable) outcome.error += "; gave up after " + std::to_string(call.attempts) + " attempts";
                        ++statistics.failed;
                        ++finished;
                    }
                }
                if (finished == n) break;
                // Sleep until there is network activity, a retry falls due or the rate limit allows the next call.
                now = Clock::now();
                double sleep = 1.0;
                if (!waiting.empty()) sleep = std::min(sleep, std::chrono::duration<double>(waiting.top().first - now).count());
                if (limit_wait > 0) sleep = std::min(sleep, limit_wait);
                const bool startable = !ready.empty() && in_flight.size() < concurrency && limit_wait <= 0;
                if (startable) continue;
                sleep = std::max(sleep, 0.0);
                if (in_flight.empty()) statistics.wait_seconds += sleep;
                curl_multi_poll(multi, nullptr, 0, static_cast<int>(sleep * 1000) + 1, nullptr);
            }
        } catch (...) {
            abandon_all();
            throw;
        }
        return outcomes;
    }
};

HttpClient::HttpClient(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() = default;

std::vector<HttpOutcome> HttpClient::perform(const std::vector<HttpRequest>& requests, const AcceptResponse& accept) {
    return impl_->perform(requests, accept);
}

void HttpClient::add_secret(const std::string& secret) { impl_->secrets.push_back(secret); }
const ClientStatistics& HttpClient::statistics() const { return impl_->statistics; }
const ClientOptions& HttpClient::options() const { return impl_->options; }

}  // namespace flopwise::remote

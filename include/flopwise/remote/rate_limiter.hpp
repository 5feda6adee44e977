#pragma once
#include <chrono>

namespace flopwise::remote {

using SteadyTime = std::chrono::steady_clock::time_point;

// A token bucket refilled at `per_minute / 60` per second, holding at most ten seconds' worth
// (at least one request's worth), so a limit holds on average over each minute without a burst
// of a whole minute's budget at once. A cost above the capacity waits for a full bucket and leaves
// it in debt, which delays the calls after it. Time is passed in, so tests need no clock.
class TokenBucket {
public:
    explicit TokenBucket(double per_minute);  // 0: unlimited
    bool unlimited() const { return rate_ <= 0; }
    // Seconds until `cost` may be taken (0: now).
    double wait(double cost, SteadyTime now);
    void take(double cost, SteadyTime now);
    // Settles an estimate once the true cost is known (the difference may leave the bucket in debt).
    void settle(double estimated, double actual);
    double level(SteadyTime now);

private:
    void refill(SteadyTime now);
    double rate_ = 0;  // per second
    double capacity_ = 0;
    double level_ = 0;
    SteadyTime updated_{};
};

// Requests-per-minute and tokens-per-minute limits together: a call starts when both allow it.
class RateLimiter {
public:
    RateLimiter(double requests_per_minute, double tokens_per_minute);
    double wait(double tokens, SteadyTime now);
    void take(double tokens, SteadyTime now);
    void settle(double estimated_tokens, double actual_tokens);

private:
    TokenBucket requests_;
    TokenBucket tokens_;
};

}  // namespace flopwise::remote

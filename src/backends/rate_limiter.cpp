#include "flopwise/remote/rate_limiter.hpp"

#include <algorithm>

namespace flopwise::remote {

TokenBucket::TokenBucket(double per_minute) {
    if (per_minute <= 0) return;
    rate_ = per_minute / 60.0;
    capacity_ = std::max(1.0, rate_ * 10.0);
    level_ = capacity_;
}

void TokenBucket::refill(SteadyTime now) {
    if (updated_ == SteadyTime{}) updated_ = now;
    const double elapsed = std::chrono::duration<double>(now - updated_).count();
    if (elapsed > 0) {
        level_ = std::min(capacity_, level_ + elapsed * rate_);
        updated_ = now;
    }
}

double TokenBucket::level(SteadyTime now) {
    refill(now);
    return level_;
}

double TokenBucket::wait(double cost, SteadyTime now) {
    if (unlimited()) return 0;
    refill(now);
    const double needed = std::min(cost, capacity_);
    return level_ >= needed ? 0.0 : (needed - level_) / rate_;
}

void TokenBucket::take(double cost, SteadyTime now) {
    if (unlimited()) return;
    refill(now);
    level_ -= cost;
}

void TokenBucket::settle(double estimated, double actual) {
    if (unlimited()) return;
    level_ = std::min(capacity_, level_ - (actual - estimated));
}

RateLimiter::RateLimiter(double requests_per_minute, double tokens_per_minute) : requests_(requests_per_minute), tokens_(tokens_per_minute) {}

double RateLimiter::wait(double tokens, SteadyTime now) { return std::max(requests_.wait(1, now), tokens_.wait(tokens, now)); }

void RateLimiter::take(double tokens, SteadyTime now) {
    requests_.take(1, now);
    tokens_.take(tokens, now);
}

void RateLimiter::settle(double estimated_tokens, double actual_tokens) { tokens_.settle(estimated_tokens, actual_tokens); }

}  // namespace flopwise::remote

#pragma once
// A deterministic stand-in for a language model: scores derive from a hash of the request, so
// every run gives the same answers, and it records what it was asked.
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "flopwise/language_model.hpp"

namespace flopwise::test {

class FakeModel : public LanguageModel {
public:
    FakeModel() {
        identity_.backend = "fake";
        identity_.spec = "fake:model";
        identity_.name = "fake";
        identity_.architecture = "hash";
        identity_.parameters = 1000;
        identity_.flops_counted = false;
        identity_.service["flops_estimate"] = {{"method", "a fixed cost per token"}};
    }

    const ModelIdentity& identity() const override { return identity_; }
    bool supports(RequestKind kind) const override { return kind != unsupported; }
    bool reads_conversation() const override { return chat; }

    std::vector<LoglikelihoodResult> loglikelihood(std::span<const LoglikelihoodRequest> requests) override {
        begin_batch();
        std::vector<LoglikelihoodResult> out;
        batches.push_back({});
        for (const auto& r : requests) {
            asked.push_back("ll|" + r.context + "|" + r.continuation);
            batches.back().push_back(r.context);
            LoglikelihoodResult result;
            const uint64_t h = hash(r.context + "\x1f" + r.continuation);
            result.logprob = -static_cast<double>(h % 1000) / 100.0 - 0.05 * static_cast<double>(r.continuation.size());
            result.greedy = h % 3 == 0;
            result.token_logprobs = {result.logprob};
            result.context_tokens = static_cast<int64_t>(r.context.size() / 4 + 1);
            result.continuation_tokens = static_cast<int64_t>(r.continuation.size() / 4 + 1);
            result.usage.prompt_tokens = result.context_tokens + result.continuation_tokens;
            result.usage.flops.linear = static_cast<uint64_t>(result.usage.prompt_tokens) * 1000;
            if (fail_when && fail_when(r.context + r.continuation)) result.error = "fake failure";
            out.push_back(result);
        }
        return out;
    }

    std::vector<RollingResult> loglikelihood_rolling(std::span<const RollingRequest> requests) override {
        begin_batch();
        std::vector<RollingResult> out;
        for (const auto& r : requests) {
            asked.push_back("rolling|" + r.text);
            RollingResult result;
            result.logprob = -0.7 * static_cast<double>(r.text.size()) - static_cast<double>(hash(r.text) % 100) / 10.0;
            result.tokens = static_cast<int64_t>(r.text.size() / 4 + 1);
            result.usage.prompt_tokens = result.tokens;
            result.usage.flops.linear = static_cast<uint64_t>(result.tokens) * 1000;
            out.push_back(result);
        }
        return out;
    }

    std::vector<GenerateResult> generate(std::span<const GenerateRequest> requests) override {
        begin_batch();
        std::vector<GenerateResult> out;
        for (const auto& r : requests) {
            asked.push_back("gen|" + r.context);
            if (r.conversation) conversations.push_back(*r.conversation);
            GenerateResult result;
            const uint64_t h = hash(r.context);
            result.text = " She has " + std::to_string(h % 7) + " left, so she makes $" + std::to_string(h % 30) + ".\n#### " + std::to_string(h % 30);
            result.finish_reason = "stop";
            result.prompt_tokens = static_cast<int64_t>(r.context.size() / 4 + 1);
            result.generated_tokens = 12;
            result.usage.prompt_tokens = result.prompt_tokens;
            result.usage.generated_tokens = 12;
            result.usage.flops.linear = static_cast<uint64_t>(result.prompt_tokens + 12) * 1000;
            out.push_back(result);
        }
        return out;
    }

    static uint64_t hash(const std::string& s) {
        uint64_t h = 1469598103934665603ull;  // FNV-1a
        for (unsigned char c : s) {
            h ^= c;
            h *= 1099511628211ull;
        }
        return h;
    }

    std::vector<std::string> asked;                 // every request, in order
    std::vector<std::vector<std::string>> batches;  // contexts of each log-likelihood batch
    int batches_before_crash = -1;                  // throw when this many batches were answered
    int batches_answered = 0;
    RequestKind unsupported = static_cast<RequestKind>(-1);
    std::function<bool(const std::string&)> fail_when;
    bool chat = false;                        // reads the conversation of generation requests
    std::vector<Conversation> conversations;  // those it was given

private:
    void begin_batch() {
        if (batches_before_crash >= 0 && batches_answered >= batches_before_crash) throw std::runtime_error("fake model killed");
        ++batches_answered;
    }
    ModelIdentity identity_;
};

}  // namespace flopwise::test

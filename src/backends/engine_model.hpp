#pragma once
#include "flopwise/backends.hpp"

namespace flopwise {

// The local reference engine behind the LanguageModel contract. Text is tokenized the way
// lm-evaluation-harness does it (see continuation_split.hpp), perplexity uses its rolling windows,
// and FLOPs are counted by the kernels.
class EngineModel : public LanguageModel {
public:
    EngineModel(const std::string& spec, const ModelOptions& options);

    const ModelIdentity& identity() const override { return identity_; }
    bool supports(RequestKind) const override { return true; }
    std::vector<LoglikelihoodResult> loglikelihood(std::span<const LoglikelihoodRequest> requests) override;
    std::vector<RollingResult> loglikelihood_rolling(std::span<const RollingRequest> requests) override;
    std::vector<GenerateResult> generate(std::span<const GenerateRequest> requests) override;

    Engine& engine() { return *engine_; }

private:
    std::unique_ptr<Engine> engine_;
    ModelIdentity identity_;
};

}  // namespace flopwise

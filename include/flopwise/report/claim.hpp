#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopwise/report/model_entry.hpp"
#include "flopwise/report/paired_statistics.hpp"

namespace flopwise::report {

// A claim in the grammar of docs/report.md:
//
//   claim  := MODEL OP MODEL "on" tasks [ "within" margin ] [ "at" bound ]
//   OP     := ">=" | ">"
//   tasks  := "all" | task { "," task }        task := NAME [ ":" METRIC ]
//   margin := NUMBER [ "pt" ]                   (a fraction, or percentage points with "pt")
//   bound  := ( "<=" | "<" ) NUMBER "x" ( "flops" | "train_flops" )
//
// e.g. "gemma-3-270m >= llama-3.2-1b on arc_easy,piqa within 5pt at <= 0.1x flops".
struct ClaimTask {
    std::string task;
    std::string metric;  // empty: chosen as docs/report.md describes
};

struct ComputeBound {
    bool inclusive = true;   // "<=" rather than "<"
    double factor = 1.0;
    bool training = false;   // train_flops (training compute) rather than flops (inference, per token)
};

struct Claim {
    std::string text;
    std::string subject;
    std::string reference;
    bool strictly_greater = false;  // ">" rather than ">="
    bool all_tasks = false;
    std::vector<ClaimTask> tasks;
    double margin = 0.0;
    std::optional<ComputeBound> bound;
};

// Error naming the claim, the position and what was expected.
Claim parse_claim(const std::string& text);

enum class Verdict { holds, does_not_hold, insufficient };
std::string to_string(Verdict verdict);
int exit_code(Verdict verdict);  // 0 holds, 1 does not hold, 2 insufficient evidence

// One side of a per-task comparison: where the figure comes from is always stated.
struct ClaimFigure {
    std::optional<double> value;
    std::optional<double> stderr_value;
    bool reported = false;  // published by the model's authors (else measured by flopwise)
    std::optional<int32_t> num_fewshot;
    std::string source;     // run directory, or where the figure was published
    std::string note;
};

struct TaskEvidence {
    std::string task;
    std::string metric;
    ClaimFigure subject, reference;
    std::optional<double> difference, ci_low, ci_high, p_value;
    std::string test;  // mcnemar_exact, paired_bootstrap, bootstrap_vs_fixed, normal_approximation
    int64_t documents = 0;
    Verdict verdict = Verdict::insufficient;
    std::vector<std::string> notes;
};

struct ComputeEvidence {
    std::string kind;  // "flops" (analytic inference FLOPs per token) or "train_flops"
    std::optional<double> subject, reference, ratio;
    std::string subject_basis, reference_basis;
    std::optional<double> counted_ratio;  // the engine's counted FLOPs per token, both runs, for reference
    Verdict verdict = Verdict::insufficient;
    std::vector<std::string> notes;
};

struct ClaimResult {
    Claim claim;
    std::string subject_label, reference_label;
    Verdict verdict = Verdict::insufficient;
    std::vector<TaskEvidence> tasks;
    std::optional<ComputeEvidence> compute;
    std::vector<std::string> notes;
};

ClaimResult check_claim(const Claim& claim, const ModelEntry& subject, const ModelEntry& reference, const BootstrapOptions& options);
// Resolves the claim's models among `entries` (adding the card of a name no entry has) and checks it.
ClaimResult check_claim(const Claim& claim, std::vector<ModelEntry>& entries, int64_t context, const BootstrapOptions& options);

std::string format_claim_result(const ClaimResult& result);
nlohmann::ordered_json claim_result_json(const ClaimResult& result);

}  // namespace flopwise::report

#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopwise/eval/template.hpp"

namespace flopwise::eval {

// What a task asks of the model (lm-evaluation-harness's output_type).
enum class OutputType { multiple_choice, loglikelihood, loglikelihood_rolling, generate_until };
std::string to_string(OutputType type);

// One metric a task reports, with the options of the metrics that take any.
struct MetricSpec {
    std::string name;  // acc, acc_norm, acc_bytes, mc2, perplexity, word_perplexity, byte_perplexity, bits_per_byte, exact_match
    // exact_match: applied to the answer and the reference before comparing them.
    bool ignore_case = false;
    bool ignore_punctuation = false;
    std::vector<std::string> regexes_to_ignore;
    // mc2: which choices are true (a list of 0/1, one per choice).
    std::optional<Template> labels;
};

// An answer extraction applied to generated text before exact_match (lm-evaluation-harness's
// "regex" filter followed by "take_first"): the match at `group_select` (negative counts from
// the end), its first non-empty group when the pattern has several, stripped; `fallback` when
// nothing matches.
struct AnswerFilter {
    std::string name;
    std::string regex;
    int group_select = 0;
    std::string fallback = "[invalid]";
};

struct FewshotSource {
    std::string split;               // a split of the task's dataset
    std::string sampler = "random";  // random: Python random.sample draws, lm-eval's default; first_n: in file order
};

struct GenerationSpec {
    std::vector<std::string> until;
    int32_t max_gen_toks = 256;
};

// A task as defined by its YAML file (see docs/tasks.md).
struct TaskConfig {
    std::string name;
    std::string file;        // the YAML file that defines it
    std::string version;
    std::string follows;     // the definition it reproduces, e.g. "lm-evaluation-harness hellaswag 1.0"
    std::string differences; // how it differs from that definition, and why
    std::string dataset;
    std::string subset;
    std::string split;
    std::string preprocessor;
    OutputType output_type = OutputType::multiple_choice;

    std::optional<Template> description;  // prompt prefix before the few-shot examples
    std::optional<Template> doc_to_text;
    std::optional<Template> doc_to_target;
    std::optional<Template> doc_to_choice;           // one template yielding the list of choices ...
    std::vector<Template> doc_to_choice_list;        // ... or one template per choice
    bool choices_in_context = false;                 // partial scoring: choices complete the context
    std::optional<Template> doc_to_gold;             // partial scoring: index of the right context
    std::string target_delimiter = " ";
    std::string fewshot_delimiter = "\n\n";
    int32_t num_fewshot = 0;
    std::optional<FewshotSource> fewshot;
    std::vector<MetricSpec> metrics;
    std::vector<AnswerFilter> filters;
    GenerationSpec generation;
    std::optional<Template> count_units_in;  // rolling: the text whose words and bytes normalize perplexity

    // Every setting that shapes prompts and scores, as canonical JSON: what results.json records
    // and what the config hash covers.
    nlohmann::ordered_json to_json() const;
};

// A named group of tasks and groups (a suite file). With `aggregate`, metrics that every member
// task reports as a mean are also reported over the group: micro (pooled over all documents)
// and macro (unweighted mean of the member tasks).
struct SuiteConfig {
    std::string name;
    std::string file;
    std::string version;
    std::string description;
    std::vector<std::string> members;  // task or suite names
    bool aggregate = false;
};

// Parses one task file (following `include:` to templates) or one suite file. Malformed YAML, a
// missing or unknown field, or a bad template throws Error naming the file, the line and the field.
TaskConfig load_task_file(const std::string& path);
SuiteConfig load_suite_file(const std::string& path);
// Whether a YAML file in a suites directory defines a suite ("group:") rather than a task.
bool is_suite_file(const std::string& path);

}  // namespace flopwise::eval

#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flopwise/eval/dataset.hpp"
#include "flopwise/eval/requests.hpp"
#include "flopwise/eval/task_config.hpp"

namespace flopwise::eval {

// One evaluated document: the requests it needs and what scoring them needs.
struct DocumentPlan {
    size_t doc_id = 0;                 // index in the evaluation split (after preprocessing)
    std::vector<Request> requests;     // multiple choice: one per choice, in choice order
    std::vector<std::string> choices;  // multiple choice: the choice texts (the contexts, with choices_in: context)
    int gold = -1;                     // multiple choice: index of the right choice
    std::vector<int> true_labels;      // mc2: 1 for each true choice
    std::string reference;             // generate_until: the reference answer
    int64_t words = 0;                 // loglikelihood_rolling: units of the counted text
    int64_t bytes = 0;
};

// The few-shot settings a task ran with.
struct FewshotPlan {
    int32_t num_fewshot = 0;
    std::string split;
    std::string sampler;
    uint64_t seed = 0;
    bool excludes_evaluated_document = false;  // examples come from the evaluated split
};

// A task ready to run: its documents loaded and verified, every prompt built.
struct TaskPlan {
    const TaskConfig* config = nullptr;
    std::string dataset_manifest;       // path of the manifest
    std::vector<DataFileUse> files;     // every data file read, with its verified hash
    size_t split_documents = 0;         // documents in the evaluation split
    FewshotPlan fewshot;
    std::vector<Doc> docs;              // the evaluated documents (the first --limit)
    std::vector<DocumentPlan> documents;
};

struct PlanOptions {
    std::optional<int64_t> limit;        // evaluate the first N documents
    std::optional<int32_t> num_fewshot;  // overrides the task's default
    uint64_t seed = 1234;                // few-shot draws (lm-evaluation-harness's default seed)
};

// Loads the task's data (verifying hashes), applies its preprocessor and builds every document's
// requests exactly as lm-evaluation-harness builds them: description, then each few-shot
// example as text + target_delimiter + answer + fewshot_delimiter, then the document's text;
// choices are scored as continuations target_delimiter + choice (or, with choices_in: context,
// each choice completes the context and the target is the continuation). A generation request
// also carries its prompt as a Conversation (few-shot examples as user/assistant turns) for chat
// APIs; its flattened() is the request's context. A document whose
// choices, gold index or labels do not fit throws Error naming the task and the document.
TaskPlan plan_task(const TaskConfig& config, const DatasetManifest& manifest, DataVerifier& verifier, const PlanOptions& options);

// Python's len(re.split(r"\s+", text)): whitespace runs + 1, the word count lm-evaluation-harness
// divides by for word perplexity.
int64_t count_words(const std::string& text);

}  // namespace flopwise::eval

#include "flopwise/eval/task_plan.hpp"

#include <algorithm>
#include <cctype>

#include "flopwise/error.hpp"
#include "flopwise/eval/preprocessors.hpp"
#include "flopwise/eval/python_random.hpp"

namespace flopwise::eval {

namespace {

// Python's str.isspace for one code point (what \s matches in a str pattern).
bool is_unicode_space(uint32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// The next code point of UTF-8 text (an invalid byte reads as itself).
uint32_t next_code_point(const std::string& s, size_t& i) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b = byte(i);
    size_t extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
    if (i + extra >= s.size()) extra = 0;  // truncated sequence
    uint32_t c = extra == 0 ? b : extra == 1 ? (b & 0x1F) : extra == 2 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = 1; k <= extra; ++k) c = (c << 6) | (byte(i + k) & 0x3F);
    i += extra + 1;
    return c;
}

// A value of doc_to_target / doc_to_gold read the way lm-evaluation-harness reads it: an
// integer, or text that is all digits, is an index when the task has choices.
std::optional<int> as_index(const Doc& value) {
    if (value.is_number_integer()) return static_cast<int>(value.get<int64_t>());
    if (value.is_string()) {
        const std::string s = value.get<std::string>();
        if (!s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            return std::stoi(s);
    }
    return std::nullopt;
}

class PromptBuilder {
public:
    explicit PromptBuilder(const TaskConfig& config) : c_(config) {}

    std::vector<std::string> choices(const Doc& doc) const {
        std::vector<std::string> out;
        if (c_.doc_to_choice) {
            const Doc value = c_.doc_to_choice->evaluate(doc);
            if (!value.is_array()) throw Error("doc_to_choice gave " + std::string(value.type_name()) + ", not a list of choices");
            for (const auto& v : value) out.push_back(value_to_text(v, "a choice"));
        } else {
            for (const auto& t : c_.doc_to_choice_list) out.push_back(t.render(doc));
        }
        if (out.empty()) throw Error("the document has no choices");
        return out;
    }

    // The right choice: doc_to_target's index or text (doc_to_gold's index with choices_in: context).
    int gold(const Doc& doc, const std::vector<std::string>& choices) const {
        const Doc value = (c_.choices_in_context ? *c_.doc_to_gold : *c_.doc_to_target).evaluate(doc);
        int index = -1;
        if (const auto i = as_index(value)) {
            index = *i;
        } else if (value.is_string() && !c_.choices_in_context) {
            const auto it = std::find(choices.begin(), choices.end(), value.get<std::string>());
            if (it == choices.end()) throw Error("the answer '" + value.get<std::string>() + "' is not one of the choices");
            index = static_cast<int>(it - choices.begin());
        } else {
            throw Error("the answer " + value.dump() + " is neither an index nor a choice");
        }
        if (index < 0 || index >= static_cast<int>(choices.size()))
            throw Error("answer index " + std::to_string(index) + " is out of range for " + std::to_string(choices.size()) + " choices");
        return index;
    }

    // The answer as text, as a few-shot example shows it.
    std::string answer_text(const Doc& doc) const {
        if (c_.output_type == OutputType::multiple_choice && !c_.choices_in_context) {
            const auto cs = choices(doc);
            return cs[static_cast<size_t>(gold(doc, cs))];
        }
        const Doc value = c_.doc_to_target->evaluate(doc);
        if (value.is_array()) return value.empty() ? "" : value_to_text(value.front(), "the answer");
        return value_to_text(value, "the answer");
    }

    // The question part of a document (with choices_in: context, the right context).
    std::string question(const Doc& doc) const {
        if (c_.choices_in_context) {
            const auto cs = choices(doc);
            return cs[static_cast<size_t>(gold(doc, cs))];
        }
        return c_.doc_to_text ? c_.doc_to_text->render(doc) : "";
    }

    // The prompt for `last_question` after the description and the examples: the one source of
    // both the flat prompt (flattened()) and the chat turns.
    Conversation conversation(const Doc& doc, const std::vector<const Doc*>& examples, const std::string& last_question) const {
        Conversation c;
        c.description = c_.description ? c_.description->render(doc) : "";
        c.target_delimiter = c_.target_delimiter;
        c.fewshot_delimiter = c_.fewshot_delimiter;
        std::string asked;  // questions of examples without an answer run into the next question
        for (const Doc* example : examples) {
            asked += question(*example);
            std::string answer = answer_text(*example);
            if (answer.empty()) continue;
            c.turns.push_back({ChatTurn::Role::user, std::move(asked)});
            c.turns.push_back({ChatTurn::Role::assistant, std::move(answer)});
            asked.clear();
        }
        c.turns.push_back({ChatTurn::Role::user, asked + last_question});
        return c;
    }

    DocumentPlan document(size_t doc_id, const Doc& doc, const std::vector<const Doc*>& examples) const {
        DocumentPlan d;
        d.doc_id = doc_id;
        // Log-likelihood contexts: the flat prompt up to the document's own text.
        const auto head = [&] { return conversation(doc, examples, "").flattened(); };
        switch (c_.output_type) {
            case OutputType::multiple_choice: {
                d.choices = choices(doc);
                d.gold = gold(doc, d.choices);
                if (c_.choices_in_context) {
                    const std::string continuation = c_.target_delimiter + c_.doc_to_target->render(doc);
                    const std::string prefix = head();
                    for (const auto& context : d.choices) d.requests.push_back(Request::make_loglikelihood(prefix + context, continuation));
                } else {
                    const std::string context = head() + c_.doc_to_text->render(doc);
                    for (const auto& choice : d.choices) d.requests.push_back(Request::make_loglikelihood(context, c_.target_delimiter + choice));
                }
                for (const auto& m : c_.metrics)
                    if (m.labels) d.true_labels = labels(*m.labels, doc, d.choices.size());
                break;
            }
            case OutputType::loglikelihood:
                d.requests.push_back(Request::make_loglikelihood(head() + c_.doc_to_text->render(doc), c_.doc_to_target->render(doc)));
                break;
            case OutputType::loglikelihood_rolling: {
                const std::string text = c_.doc_to_target->render(doc);
                const std::string counted = c_.count_units_in ? c_.count_units_in->render(doc) : text;
                d.words = count_words(counted);
                d.bytes = static_cast<int64_t>(counted.size());
                d.requests.push_back(Request::make_rolling(text));
                break;
            }
            case OutputType::generate_until: {
                d.reference = answer_text(doc);
                Conversation prompt = conversation(doc, examples, c_.doc_to_text->render(doc));
                d.requests.push_back(Request::make_generation(prompt.flattened(), c_.generation.until, c_.generation.max_gen_toks));
                d.requests.back().generation.conversation = std::move(prompt);
                break;
            }
        }
        return d;
    }

private:
    static std::vector<int> labels(const Template& t, const Doc& doc, size_t choices) {
        const Doc value = t.evaluate(doc);
        if (!value.is_array() || value.size() != choices)
            throw Error("mc2 labels must be a list of " + std::to_string(choices) + " values (one per choice), got " + value.dump());
        std::vector<int> out;
        for (const auto& v : value) {
            const auto i = as_index(v);
            if (!i || *i > 1) throw Error("mc2 labels must be 0 or 1, got " + v.dump());
            out.push_back(*i);
        }
        return out;
    }

    const TaskConfig& c_;
};

std::vector<Doc> load_documents(const TaskConfig& config, const DatasetManifest& manifest, const std::string& split, DataVerifier& verifier,
                                std::vector<DataFileUse>& files) {
    LoadedSplit loaded = load_split(manifest, split, config.subset, verifier);
    files.insert(files.end(), loaded.files.begin(), loaded.files.end());
    if (config.preprocessor.empty()) return std::move(loaded.docs);
    try {
        return find_preprocessor(config.preprocessor)(std::move(loaded.docs));
    } catch (const Error& e) {
        throw Error("task '" + config.name + "' (" + config.file + "): " + e.what());
    }
}

}  // namespace

int64_t count_words(const std::string& text) {
    int64_t runs = 0;
    bool in_space = false;
    for (size_t i = 0; i < text.size();) {
        const bool space = is_unicode_space(next_code_point(text, i));
        if (space && !in_space) ++runs;
        in_space = space;
    }
    return runs + 1;
}

TaskPlan plan_task(const TaskConfig& config, const DatasetManifest& manifest, DataVerifier& verifier, const PlanOptions& options) {
    const std::string task = "task '" + config.name + "' (" + config.file + ")";
    if (manifest.name != config.dataset) throw Error(task + ": needs dataset '" + config.dataset + "', got manifest '" + manifest.name + "'");
    TaskPlan plan;
    plan.config = &config;
    plan.dataset_manifest = manifest.path;
    std::vector<Doc> docs = load_documents(config, manifest, config.split, verifier, plan.files);
    plan.split_documents = docs.size();

    FewshotPlan& fewshot = plan.fewshot;
    fewshot.num_fewshot = options.num_fewshot.value_or(config.num_fewshot);
    fewshot.seed = options.seed;
    std::vector<Doc> separate_pool;
    const std::vector<Doc>* pool = nullptr;
    if (fewshot.num_fewshot > 0) {
        if (!config.fewshot) throw Error(task + ": has no few-shot source (fewshot: {split: ...}), so it runs 0-shot only");
        if (config.output_type == OutputType::loglikelihood_rolling) throw Error(task + ": perplexity tasks take no few-shot examples");
        fewshot.split = config.fewshot->split;
        fewshot.sampler = config.fewshot->sampler;
        fewshot.excludes_evaluated_document = fewshot.split == config.split;
        if (fewshot.excludes_evaluated_document) {
            pool = &docs;
        } else {
            separate_pool = load_documents(config, manifest, fewshot.split, verifier, plan.files);
            pool = &separate_pool;
        }
        const size_t needed = static_cast<size_t>(fewshot.num_fewshot) + (fewshot.excludes_evaluated_document ? 1 : 0);
        if (pool->size() < needed)
            throw Error(task + ": " + std::to_string(fewshot.num_fewshot) + "-shot needs " + std::to_string(needed) + " documents in split '" +
                        fewshot.split + "', which has " + std::to_string(pool->size()));
    }

    const size_t count = options.limit ? std::min(docs.size(), static_cast<size_t>(std::max<int64_t>(0, *options.limit))) : docs.size();
    const PromptBuilder builder(config);
    PythonRandom random(options.seed);
    for (size_t i = 0; i < count; ++i) {
        // Draws happen per document in document order, as in lm-evaluation-harness, so the k-th
        // document gets the same examples with or without --limit.
        std::vector<const Doc*> examples;
        if (fewshot.num_fewshot > 0) {
            const size_t k = static_cast<size_t>(fewshot.num_fewshot);
            if (fewshot.sampler == "first_n") {
                for (size_t j = 0; j < pool->size() && examples.size() < k; ++j)
                    if (!(fewshot.excludes_evaluated_document && (*pool)[j] == docs[i])) examples.push_back(&(*pool)[j]);
            } else {
                for (size_t j : random.sample(pool->size(), k + (fewshot.excludes_evaluated_document ? 1 : 0)))
                    if (!(fewshot.excludes_evaluated_document && (*pool)[j] == docs[i]) && examples.size() < k) examples.push_back(&(*pool)[j]);
            }
        }
        try {
            plan.documents.push_back(builder.document(i, docs[i], examples));
        } catch (const Error& e) {
            throw Error(task + ", document " + std::to_string(i) + ": " + e.what());
        }
    }
    docs.resize(count);
    plan.docs = std::move(docs);
    return plan;
}

}  // namespace flopwise::eval

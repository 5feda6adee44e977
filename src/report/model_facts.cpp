#include "flopwise/report/model_facts.hpp"

#include <algorithm>
#include <filesystem>

#include "flopwise/compute/flops_estimate.hpp"
#include "flopwise/compute/model_card.hpp"
#include "flopwise/error.hpp"
#include "flopwise/gguf.hpp"
#include "flopwise/model_config.hpp"

namespace flopwise::report {

namespace {

ModelFacts facts_from_card(const compute::ModelCard& card, int64_t context, const std::string& basis) {
    ModelFacts f;
    f.card_name = card.path.empty() ? "" : card.name;
    f.display_name = card.display_name.empty() ? card.name : card.display_name;
    f.baseline = card.baseline;
    if (!card.path.empty()) f.aliases = card.aliases;
    f.card_path = card.path;
    for (const auto& s : card.published) f.reported.push_back({s.task, s.metric, s.value, s.num_fewshot, s.source, s.note});
    const compute::FlopsEstimate estimate = compute::estimate_flops(card, context);
    f.params_total = estimate.params_total;
    f.params_active = estimate.params_active;
    f.flops_per_token = estimate.decode.total();
    f.context = context;
    f.flops_basis = basis;
    f.training_flops = compute::training_flops(card);
    return f;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// The registry, read once per cards folder: reports look many names up.
const std::vector<compute::ModelCard>& all_cards() {
    static std::string loaded_from;
    static std::vector<compute::ModelCard> cards;
    const std::string dir = compute::cards_dir();
    if (dir != loaded_from || cards.empty()) {
        std::error_code error;
        cards = std::filesystem::is_directory(dir, error) ? compute::load_all_model_cards() : std::vector<compute::ModelCard>{};
        loaded_from = dir;
    }
    return cards;
}

const compute::ModelCard* find_card(const std::string& name_or_alias) {
    const std::string wanted = lower(name_or_alias);
    for (const auto& card : all_cards()) {
        if (lower(card.name) == wanted) return &card;
        for (const auto& alias : card.aliases)
            if (lower(alias) == wanted) return &card;
    }
    return nullptr;
}

// Candidate card names for a run's model: its name and the model file's stem, each also with
// trailing "-part"s removed ("gemma-3-270m-q4_k_m" -> "gemma-3-270m").
std::vector<std::string> card_candidates(const Run& run) {
    std::vector<std::string> out;
    const auto add_with_prefixes = [&](std::string name) {
        std::replace(name.begin(), name.end(), ' ', '-');
        name = lower(name);
        while (!name.empty()) {
            out.push_back(name);
            const size_t dash = name.find_last_of("-_.");
            if (dash == std::string::npos) break;
            name.resize(dash);
        }
    };
    out.push_back(run.model_name);
    add_with_prefixes(run.model_name);
    std::string spec = run.spec;
    if (spec.rfind("gguf:", 0) == 0) spec = spec.substr(5);
    add_with_prefixes(std::filesystem::path(spec).stem().string());
    return out;
}

// The shape results.json records (model.details) for architectures without per-layer windows.
std::optional<ModelConfig> config_from_details(const Run& run) {
    const auto& d = run.model_details;
    if (run.architecture != "llama" && run.architecture != "qwen2") return std::nullopt;
    for (const char* key : {"n_layer", "n_embd", "n_head", "n_head_kv", "head_dim", "n_ff", "n_vocab"})
        if (!d.contains(key) || !d.at(key).is_number_integer()) return std::nullopt;
    ModelConfig c;
    c.architecture = run.architecture == "llama" ? Architecture::llama : Architecture::qwen2;
    c.architecture_name = run.architecture;
    c.name = run.model_name;
    c.n_layer = d.at("n_layer").get<int32_t>();
    c.n_embd = d.at("n_embd").get<int32_t>();
    c.n_head = d.at("n_head").get<int32_t>();
    c.n_head_kv = d.at("n_head_kv").get<int32_t>();
    c.head_dim = d.at("head_dim").get<int32_t>();
    c.n_ff = d.at("n_ff").get<int32_t>();
    c.n_vocab = d.at("n_vocab").get<int32_t>();
    c.tied_embeddings = d.value("tied_embeddings", false);
    c.qkv_bias = run.architecture == "qwen2";
    c.layer_window.assign(static_cast<size_t>(std::max(0, c.n_layer)), 0);
    if (c.n_layer <= 0 || c.n_embd <= 0 || c.n_head <= 0 || c.n_head_kv <= 0 || c.head_dim <= 0 || c.n_ff <= 0 || c.n_vocab <= 0) return std::nullopt;
    return c;
}

}  // namespace

const ReportedScore* ModelFacts::reported_score(const std::string& task, const std::string& metric) const {
    for (const auto& s : reported)
        if (s.task == task && s.metric == metric) return &s;
    return nullptr;
}

const ReportedScore* ModelFacts::reported_score(const std::string& task) const {
    for (const auto& s : reported)
        if (s.task == task) return &s;
    return nullptr;
}

std::optional<ModelFacts> card_facts(const std::string& name_or_alias, int64_t context) {
    const compute::ModelCard* card = find_card(name_or_alias);
    if (!card) return std::nullopt;
    return facts_from_card(*card, context, "card " + card->name);
}

std::vector<ModelFacts> baseline_facts(int64_t context) {
    std::vector<ModelFacts> out;
    for (const auto& card : all_cards())
        if (card.baseline) out.push_back(facts_from_card(card, context, "card " + card.name));
    return out;
}

std::optional<ModelFacts> run_facts(const Run& run, int64_t context) {
    for (const auto& name : card_candidates(run))
        if (auto facts = card_facts(name, context)) return facts;
    std::string path = run.spec.rfind("gguf:", 0) == 0 ? run.spec.substr(5) : run.spec;
    if (run.backend == "engine" && std::filesystem::is_regular_file(path)) {
        try {
            const auto file = gguf::File::open(path);
            const ModelConfig config = ModelConfig::from_gguf(*file);
            auto facts = facts_from_card(compute::model_card_from_config(config, run.model_name), context, "model file " + path);
            facts.display_name = run.model_name;
            return facts;
        } catch (const Error&) {
            // The file at that path is no longer the model of the run (or not a model): fall through.
        }
    }
    if (const auto config = config_from_details(run)) {
        auto facts = facts_from_card(compute::model_card_from_config(*config, run.model_name), context, "the run's recorded model shape");
        facts.display_name = run.model_name;
        return facts;
    }
    return std::nullopt;
}

}  // namespace flopwise::report

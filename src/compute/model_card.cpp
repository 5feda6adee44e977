#include "flopwise/compute/model_card.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "flopwise/error.hpp"
#include "flopwise/eval/yaml_map.hpp"

namespace flopwise::compute {
namespace {

namespace fs = std::filesystem;
using eval::YamlMap;

constexpr int64_t kMaxSize = int64_t{1} << 40;

bool holds_yaml(const fs::path& dir) {
    std::error_code error;
    if (!fs::is_directory(dir, error)) return false;
    for (const auto& entry : fs::directory_iterator(dir, error))
        if (entry.path().extension() == ".yaml") return true;
    return false;
}

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

double number(const YamlMap& map, const std::string& key) {
    const std::string text = map.required_string(key);
    size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || !std::isfinite(value)) throw map.error(key, "must be a number, got '" + text + "'");
    return value;
}

int64_t required_size(const YamlMap& map, const std::string& key) {
    if (!map.has(key)) throw map.error(key, "is required");
    return map.integer_or(key, 0, 1, kMaxSize);
}

FfnType parse_ffn(const YamlMap& map, CardArchitecture& a) {
    map.reject_unknown({"type", "size"});
    a.ffn_size = required_size(map, "size");
    const std::string type = map.required_string("type");
    if (type == "gated") return FfnType::gated;
    if (type == "plain") return FfnType::plain;
    throw map.error("type", "must be 'gated' (gate, up and down matrices) or 'plain' (up and down), got '" + type + "'");
}

std::vector<LayerAttention> parse_attention(const YamlMap& map, int32_t layers) {
    map.reject_unknown({"pattern", "sliding_window", "chunk_size"});
    const std::vector<std::string> pattern = map.string_list("pattern");
    if (pattern.empty()) throw map.error("pattern", "is required: a list of global, sliding or chunked, repeated over the layers");
    const int64_t window = map.has("sliding_window") ? map.integer_or("sliding_window", 0, 1, kMaxSize) : 0;
    const int64_t chunk = map.has("chunk_size") ? map.integer_or("chunk_size", 0, 1, kMaxSize) : 0;
    std::vector<LayerAttention> kinds;
    for (const auto& word : pattern) {
        if (word == "global") kinds.push_back({AttentionKind::global, 0});
        else if (word == "sliding") kinds.push_back({AttentionKind::sliding, window});
        else if (word == "chunked") kinds.push_back({AttentionKind::chunked, chunk});
        else throw map.error("pattern", "unknown layer kind '" + word + "' (known: global, sliding, chunked)");
    }
    const auto uses = [&](AttentionKind kind) {
        return std::any_of(kinds.begin(), kinds.end(), [&](const LayerAttention& l) { return l.kind == kind; });
    };
    if (uses(AttentionKind::sliding) != (window > 0))
        throw map.error("sliding_window", window > 0 ? "is given but no layer of the pattern is 'sliding'" : "is required by the 'sliding' layers of the pattern");
    if (uses(AttentionKind::chunked) != (chunk > 0))
        throw map.error("chunk_size", chunk > 0 ? "is given but no layer of the pattern is 'chunked'" : "is required by the 'chunked' layers of the pattern");
    if (static_cast<int64_t>(kinds.size()) > layers)
        throw map.error("pattern", "has " + std::to_string(kinds.size()) + " entries, more than the " + std::to_string(layers) + " layers");
    std::vector<LayerAttention> out;
    for (int32_t il = 0; il < layers; ++il) out.push_back(kinds[static_cast<size_t>(il) % kinds.size()]);
    return out;
}

MixtureOfExperts parse_moe(const YamlMap& map, int32_t layers) {
    map.reject_unknown({"experts", "experts_per_token", "shared_experts", "expert_ffn_size", "layer_step"});
    MixtureOfExperts m;
    m.experts = static_cast<int32_t>(required_size(map, "experts"));
    if (!map.has("experts_per_token")) throw map.error("experts_per_token", "is required");
    m.experts_per_token = static_cast<int32_t>(map.integer_or("experts_per_token", 0, 1, m.experts));
    m.shared_experts = static_cast<int32_t>(map.integer_or("shared_experts", 0, 0, 1024));
    m.expert_ffn_size = required_size(map, "expert_ffn_size");
    m.layer_step = static_cast<int32_t>(map.integer_or("layer_step", 1, 1, layers));
    return m;
}

CardArchitecture parse_architecture(const YamlMap& map) {
    map.reject_unknown({"layers", "hidden_size", "heads", "kv_heads", "head_dim", "vocab_size", "ffn", "tied_embeddings", "qkv_bias",
                        "qk_norm", "post_norms", "attention", "moe"});
    CardArchitecture a;
    if (!map.has("layers")) throw map.error("layers", "is required");
    a.layers = static_cast<int32_t>(map.integer_or("layers", 0, 1, 100000));
    a.hidden_size = required_size(map, "hidden_size");
    if (!map.has("heads")) throw map.error("heads", "is required");
    a.heads = static_cast<int32_t>(map.integer_or("heads", 0, 1, 1 << 20));
    a.kv_heads = static_cast<int32_t>(map.integer_or("kv_heads", a.heads, 1, 1 << 20));
    if (a.heads % a.kv_heads != 0)
        throw map.error("kv_heads", std::to_string(a.kv_heads) + " does not divide heads (" + std::to_string(a.heads) + ")");
    if (map.has("head_dim")) {
        a.head_dim = map.integer_or("head_dim", 0, 1, kMaxSize);
    } else {
        if (a.hidden_size % a.heads != 0)
            throw map.error("head_dim", "is required: hidden_size " + std::to_string(a.hidden_size) + " is not a multiple of heads " + std::to_string(a.heads));
        a.head_dim = a.hidden_size / a.heads;
    }
    a.vocab_size = required_size(map, "vocab_size");
    a.ffn_type = parse_ffn(map.map("ffn"), a);
    if (!map.has("tied_embeddings")) throw map.error("tied_embeddings", "is required (true when the LM head reuses the embedding table)");
    a.tied_embeddings = map.boolean_or("tied_embeddings", false);
    a.qkv_bias = map.boolean_or("qkv_bias", false);
    a.qk_norm = map.boolean_or("qk_norm", false);
    a.post_norms = map.boolean_or("post_norms", false);
    if (map.has("attention")) a.layer_attention = parse_attention(map.map("attention"), a.layers);
    else a.layer_attention.assign(static_cast<size_t>(a.layers), LayerAttention{});
    if (map.has("moe")) a.moe = parse_moe(map.map("moe"), a.layers);
    return a;
}

PublishedScore parse_score(const YamlMap& map) {
    map.reject_unknown({"task", "metric", "value", "num_fewshot", "source", "note"});
    PublishedScore s;
    s.task = map.required_string("task");
    s.metric = map.required_string("metric");
    const auto is_name = [](const std::string& text) {
        return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'; });
    };
    if (!is_name(s.task)) throw map.error("task", "must be a flopwise task name (lower case, digits, '_'), got '" + s.task + "'");
    if (!is_name(s.metric)) throw map.error("metric", "must be a flopwise metric name (lower case, digits, '_'), got '" + s.metric + "'");
    const double value = number(map, "value");
    if (value < 0 || value > 100) throw map.error("value", "must be a fraction in [0, 1] or a percentage in (1, 100]");
    s.value = value > 1 ? value / 100 : value;
    if (map.has("num_fewshot")) s.num_fewshot = static_cast<int32_t>(map.integer_or("num_fewshot", 0, 0, 1000));
    s.source = map.required_string("source");
    s.note = map.string_or("note", "");
    return s;
}

int64_t attention_params(const CardArchitecture& a) {
    const int64_t q = int64_t{a.heads} * a.head_dim, kv = int64_t{a.kv_heads} * a.head_dim;
    return a.hidden_size * (q + 2 * kv) + q * a.hidden_size + (a.qkv_bias ? q + 2 * kv : 0) + (a.qk_norm ? 2 * a.head_dim : 0);
}

int64_t ffn_params(const CardArchitecture& a, int64_t size) { return (a.ffn_type == FfnType::gated ? 3 : 2) * a.hidden_size * size; }

// Parameters of the layers and the final norm; `active`: only the routed experts one token goes through.
int64_t layer_params(const CardArchitecture& a, bool active) {
    const int64_t norms = (a.post_norms ? 4 : 2) * a.hidden_size;
    int64_t total = 0;
    for (int32_t il = 0; il < a.layers; ++il) {
        total += attention_params(a) + norms;
        if (a.is_moe_layer(il)) {
            const MixtureOfExperts& m = *a.moe;
            const int64_t routed = active ? m.experts_per_token : m.experts;
            total += a.hidden_size * m.experts + (routed + m.shared_experts) * ffn_params(a, m.expert_ffn_size);
        } else {
            total += ffn_params(a, a.ffn_size);
        }
    }
    return total + a.hidden_size;  // the final norm
}

}  // namespace

bool CardArchitecture::is_moe_layer(int32_t layer) const { return moe && (layer + 1) % moe->layer_step == 0; }

int64_t ModelCard::params_embedding() const {
    const CardArchitecture& a = architecture;
    return a.vocab_size * a.hidden_size * (a.tied_embeddings ? 1 : 2);
}
int64_t ModelCard::params_total() const { return params_embedding() + layer_params(architecture, false); }
int64_t ModelCard::params_active() const { return params_embedding() + layer_params(architecture, true); }

std::string to_string(FfnType type) { return type == FfnType::gated ? "gated" : "plain"; }
std::string to_string(AttentionKind kind) {
    switch (kind) {
        case AttentionKind::global: return "global";
        case AttentionKind::sliding: return "sliding";
        case AttentionKind::chunked: return "chunked";
    }
    return "unknown";
}

std::string cards_dir() {
    if (const char* env = std::getenv("FLOPWISE_CARDS_DIR"); env && *env) return env;
    if (holds_yaml("cards")) return fs::absolute("cards").lexically_normal().string();
    std::error_code error;
    fs::path dir = fs::read_symlink("/proc/self/exe", error).parent_path();
    for (; !error && !dir.empty(); dir = dir.parent_path()) {
        if (holds_yaml(dir / "cards")) return (dir / "cards").string();
        if (dir == dir.root_path()) break;
    }
    return "cards";
}

ModelCard load_model_card(const std::string& name_or_path) {
    const bool is_path = name_or_path.find('/') != std::string::npos || fs::path(name_or_path).extension() == ".yaml";
    const std::string path = is_path ? name_or_path : cards_dir() + "/" + name_or_path + ".yaml";
    if (!fs::exists(path)) {
        std::string known;
        std::error_code error;
        if (!is_path)
            for (const auto& entry : fs::directory_iterator(cards_dir(), error))
                if (entry.path().extension() == ".yaml") known += (known.empty() ? "" : ", ") + entry.path().stem().string();
        throw Error("model card '" + name_or_path + "': no file " + path + (known.empty() ? "" : " (known cards: " + known + ")"));
    }
    const YamlMap map(eval::load_yaml_file(path), path, "model card");
    map.reject_unknown({"display_name", "family", "baseline", "aliases", "architecture", "architecture_source", "training_tokens",
                        "training_tokens_source", "published"});
    ModelCard card;
    card.path = path;
    card.name = fs::path(path).stem().string();
    card.display_name = map.required_string("display_name");
    card.family = map.required_string("family");
    card.baseline = map.boolean_or("baseline", false);
    card.aliases = map.string_list("aliases");
    card.architecture = parse_architecture(map.map("architecture"));
    card.architecture_source = map.required_string("architecture_source");
    if (map.has("training_tokens")) {
        const double tokens = number(map, "training_tokens");
        if (!(tokens > 0)) throw map.error("training_tokens", "must be positive");
        card.training_tokens = tokens;
        card.training_tokens_source = map.required_string("training_tokens_source");
    } else if (map.has("training_tokens_source")) {
        throw map.error("training_tokens_source", "is given without training_tokens");
    }
    if (const YamlMap::Field* f = map.find("published"); f && !f->value.IsNull()) {
        if (!f->value.IsSequence()) throw map.error("published", "must be a list of {task, metric, value, num_fewshot, source, note}");
        for (size_t i = 0; i < f->value.size(); ++i)
            card.published.push_back(parse_score(YamlMap(f->value[i], path, "published[" + std::to_string(i) + "]")));
    }
    return card;
}

std::vector<ModelCard> load_all_model_cards() {
    const std::string dir = cards_dir();
    std::error_code error;
    if (!fs::is_directory(dir, error)) throw Error("model cards: no directory " + dir + " (set FLOPWISE_CARDS_DIR)");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, error))
        if (entry.path().extension() == ".yaml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    std::vector<ModelCard> cards;
    std::map<std::string, std::string> owner;  // lower-cased name, display name or alias -> card file
    for (const auto& file : files) {
        cards.push_back(load_model_card(file.string()));
        std::vector<std::string> names = cards.back().aliases;
        names.push_back(cards.back().name);
        names.push_back(cards.back().display_name);
        for (const auto& n : names) {
            auto [it, fresh] = owner.emplace(lower(n), file.string());
            if (!fresh && it->second != file.string())
                throw Error(file.string() + ": name, display name or alias '" + n + "' is also claimed by " + it->second);
        }
    }
    return cards;
}

std::optional<ModelCard> find_model_card(const std::string& name_or_alias) {
    std::error_code error;
    if (!fs::is_directory(cards_dir(), error)) return std::nullopt;
    const std::string wanted = lower(name_or_alias);
    for (auto& card : load_all_model_cards()) {
        if (lower(card.name) == wanted || lower(card.display_name) == wanted) return card;
        for (const auto& alias : card.aliases)
            if (lower(alias) == wanted) return card;
    }
    return std::nullopt;
}

ModelCard model_card_from_config(const ModelConfig& config, const std::string& name) {
    ModelCard card;
    card.name = name;
    card.display_name = config.name.empty() ? name : config.name;
    card.family = config.architecture_name;
    card.architecture_source = "GGUF metadata";
    CardArchitecture& a = card.architecture;
    a.layers = config.n_layer;
    a.hidden_size = config.n_embd;
    a.heads = config.n_head;
    a.kv_heads = config.n_head_kv;
    a.head_dim = config.head_dim;
    a.vocab_size = config.n_vocab;
    a.ffn_type = FfnType::gated;  // every architecture the engine runs has gate, up and down matrices
    a.ffn_size = config.n_ff;
    a.tied_embeddings = config.tied_embeddings;
    a.qkv_bias = config.qkv_bias;
    a.qk_norm = config.qk_norm;
    a.post_norms = config.post_norms;
    for (int32_t il = 0; il < config.n_layer; ++il) {
        const int32_t window = config.layer_window.at(static_cast<size_t>(il));
        a.layer_attention.push_back(window > 0 ? LayerAttention{AttentionKind::sliding, window} : LayerAttention{});
    }
    return card;
}

}  // namespace flopwise::compute

#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flopwise/model_config.hpp"

namespace flopwise::compute {

// A figure reported by the model's authors, never measured by us.
struct PublishedScore {
    std::string task;    // flopwise task or group name: "hellaswag", "mmlu", "arc_challenge", ...
    std::string metric;  // flopwise metric name: "acc", "acc_norm", "exact_match", ...
    double value = 0.0;  // a fraction in [0,1] (card YAML may write 66.7 or 0.667; stored as fraction)
    std::optional<int32_t> num_fewshot;
    std::string source;  // URL or citation of where the figure was published
    std::string note;    // e.g. "instruction-tuned model", "macro average"
};

enum class FfnType { gated, plain };  // gated: gate, up and down matrices (SwiGLU, GeGLU); plain: up and down
enum class AttentionKind { global, sliding, chunked };

// Which keys a layer's queries see: all earlier ones (global), the last `span` (sliding window, the
// query included), or those in the query's own block of `span` positions (chunked, Llama 4).
struct LayerAttention {
    AttentionKind kind = AttentionKind::global;
    int64_t span = 0;  // window or chunk length in tokens; 0 for global
};

struct MixtureOfExperts {
    int32_t experts = 0;            // routed experts in each MoE layer
    int32_t experts_per_token = 0;  // routed experts each token goes through
    int32_t shared_experts = 0;     // experts every token goes through
    int64_t expert_ffn_size = 0;    // hidden size of each routed and shared expert
    int32_t layer_step = 1;         // layer il is a MoE layer when (il + 1) % layer_step == 0
};

struct CardArchitecture {
    int32_t layers = 0;
    int64_t hidden_size = 0;
    int32_t heads = 0;
    int32_t kv_heads = 0;
    int64_t head_dim = 0;
    int64_t vocab_size = 0;
    FfnType ffn_type = FfnType::gated;
    int64_t ffn_size = 0;  // hidden size of the dense MLP (dense layers of a MoE model)
    bool tied_embeddings = false;
    bool qkv_bias = false;
    bool qk_norm = false;     // per-head norm weights on queries and keys (Gemma 3)
    bool post_norms = false;  // norms after attention and after the MLP (Gemma 2/3)
    std::vector<LayerAttention> layer_attention;  // one per layer
    std::optional<MixtureOfExperts> moe;

    bool is_moe_layer(int32_t layer) const;
};

struct ModelCard {
    std::string name;          // file stem, e.g. "llama-3.1-8b"
    std::string display_name;  // "Llama 3.1 8B"
    std::string family;        // "llama", "gemma", "qwen"
    bool baseline = false;     // a Llama baseline offered to reports and claims
    CardArchitecture architecture;
    std::string architecture_source;  // where the architecture numbers were published (config.json, paper)
    std::optional<double> training_tokens;
    std::string training_tokens_source;
    std::vector<PublishedScore> published;
    std::vector<std::string> aliases;  // other names that identify the model, e.g. API model ids
    std::string path;                  // the YAML file it came from ("" for a card built from a GGUF file)

    int64_t params_total() const;
    int64_t params_active() const;     // per token (MoE: routed experts actually used)
    int64_t params_embedding() const;  // token embedding table, plus the LM head when it is not tied
};

std::string cards_dir();  // $FLOPWISE_CARDS_DIR, else cards/ in the current directory or the project root
ModelCard load_model_card(const std::string& name_or_path);  // Error naming file/field on bad YAML
std::vector<ModelCard> load_all_model_cards();
// By name, alias or display name (a GGUF file's general.name, e.g. "Gemma 3 270m"), without regard to case.
std::optional<ModelCard> find_model_card(const std::string& name_or_alias);

// The card of a model the engine has loaded (its hyper-parameters; no published figures).
ModelCard model_card_from_config(const ModelConfig& config, const std::string& name);

std::string to_string(FfnType type);
std::string to_string(AttentionKind kind);

}  // namespace flopwise::compute

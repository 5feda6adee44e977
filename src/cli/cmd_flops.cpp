#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "flopwise/compute/flops_estimate.hpp"
#include "flopwise/compute/model_card.hpp"
#include "flopwise/engine.hpp"
#include "flopwise/error.hpp"

namespace flopwise::cli {
namespace {

using compute::FlopsBreakdown;
using compute::ModelCard;
using json = nlohmann::ordered_json;

constexpr const char* kConvention =
    "a multiply-add is 2 FLOPs; linear layers (attention projections, MLP or router + experts, LM head) count 2 x rows x "
    "columns per token; attention scores and value products count 4 x head_dim x heads per key a query sees (itself "
    "included), at the context length, per layer, windowed or chunked where the layer is; the embedding is a table "
    "lookup (0); element-wise work (norms, activations, RoPE, softmax, biases, residual adds) is excluded; prefill is the "
    "per-token average over a prompt of L tokens with logits at every position, decode is one token after L tokens";

std::string human(double value) {
    const char* units[] = {"", "K", "M", "G", "T", "P", "E", "Z", "Y"};
    int unit = 0;
    while (value >= 1000 && unit < 8) {
        value /= 1000;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f" : "%.3g%s", value, units[unit]);
    return text;
}

std::string params_text(int64_t n) {
    char text[32];
    const double value = static_cast<double>(n);
    std::snprintf(text, sizeof text, value >= 999.5e6 ? "%.3gB" : "%.3gM", value >= 999.5e6 ? value / 1e9 : value / 1e6);
    return text;
}

json breakdown_json(const FlopsBreakdown& f) {
    return {{"embedding", f.embedding}, {"attention_projections", f.attention_projections}, {"attention_scores", f.attention_scores},
            {"mlp", f.mlp}, {"lm_head", f.lm_head}, {"total", f.total()}};
}

ModelCard card_of_model(const std::string& spec) {
    auto engine = Engine::load(spec);
    ModelCard card = compute::model_card_from_config(engine->config(), std::filesystem::path(gguf_path_from_spec(spec)).stem().string());
    card.path = gguf_path_from_spec(spec);
    card.architecture_source = "GGUF metadata of " + card.path;
    return card;
}

// A registry card by name or alias, or a card file of the user's.
ModelCard card_by_name_or_file(const std::string& name) {
    if (auto found = compute::find_model_card(name)) return *found;
    if (std::filesystem::path(name).extension() == ".yaml") return compute::load_model_card(name);
    std::string known;
    std::error_code error;
    if (std::filesystem::is_directory(compute::cards_dir(), error))
        for (const auto& c : compute::load_all_model_cards()) known += (known.empty() ? "" : ", ") + c.name;
    throw Error("flopwise flops: no model card named or aliased '" + name + "' in " + compute::cards_dir() +
                (known.empty() ? "" : " (known cards: " + known + ")"));
}

int list_cards(bool as_json) {
    const auto cards = compute::load_all_model_cards();
    json out = json::array();
    if (!as_json)
        std::printf("%-22s %-24s %-7s %-8s %10s %10s %10s %9s\n", "card", "model", "family", "baseline", "params", "active", "train tok",
                    "published");
    for (const auto& c : cards) {
        if (as_json) {
            out.push_back({{"name", c.name}, {"display_name", c.display_name}, {"family", c.family}, {"baseline", c.baseline},
                           {"params_total", c.params_total()}, {"params_active", c.params_active()},
                           {"training_tokens", c.training_tokens ? json(*c.training_tokens) : json()},
                           {"published", c.published.size()}, {"aliases", c.aliases}, {"path", c.path}});
            continue;
        }
        std::printf("%-22s %-24s %-7s %-8s %10s %10s %10s %9zu\n", c.name.c_str(), c.display_name.c_str(), c.family.c_str(),
                    c.baseline ? "yes" : "", params_text(c.params_total()).c_str(), params_text(c.params_active()).c_str(),
                    c.training_tokens ? human(*c.training_tokens).c_str() : "-", c.published.size());
    }
    if (as_json) std::printf("%s\n", json({{"cards_dir", compute::cards_dir()}, {"cards", out}}).dump(2).c_str());
    return 0;
}

int run(Args& args) {
    const bool list = args.flag("list");
    const auto card_name = args.value("card");
    const auto model = args.value("model");
    const int64_t context = args.integer("context", 2048, 1, int64_t{1} << 34);
    const bool as_json = args.flag("json");
    args.finish();
    if (list) {
        if (card_name || model) throw Error("flopwise flops: --list takes no --card or --model");
        return list_cards(as_json);
    }
    if (card_name.has_value() == model.has_value()) throw Error("flopwise flops: give exactly one of --card NAME and --model M");
    ModelCard card;
    if (card_name) {
        card = card_by_name_or_file(*card_name);
    } else {
        card = card_of_model(*model);
    }

    const compute::FlopsEstimate e = compute::estimate_flops(card, context);
    const double kaplan = compute::kaplan_forward_flops(card, context);
    const double comparable = e.prefill.total() - e.prefill.lm_head - e.prefill.embedding;
    const auto training = compute::training_flops(card);
    const int64_t non_embedding = card.params_active() - card.params_embedding();

    if (as_json) {
        json out = {{"model", card.name}, {"display_name", card.display_name}, {"card", card.path},
                    {"architecture_source", card.architecture_source}, {"context", context},
                    {"params_total", e.params_total}, {"params_active", e.params_active},
                    {"params_embedding", card.params_embedding()},
                    {"flops_per_token", {{"prefill", e.prefill.total()}, {"decode", e.decode.total()}}},
                    {"breakdown", {{"prefill", breakdown_json(e.prefill)}, {"decode", breakdown_json(e.decode)}}},
                    {"kaplan", {{"formula", "2N + 2 n_layer n_ctx d_attn"}, {"n_non_embedding", non_embedding},
                                {"forward_flops_per_token", kaplan}, {"flopwise_prefill_without_lm_head", comparable},
                                {"ratio", comparable / kaplan}}},
                    {"training", training ? json({{"tokens", *card.training_tokens}, {"source", card.training_tokens_source},
                                                  {"params_active", e.params_active}, {"flops_6nd", *training}})
                                          : json()},
                    {"convention", kConvention}};
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    std::printf("%s  (%s)\n", card.display_name.c_str(), card.path.c_str());
    std::printf("parameters: %s total, %s active per token, %s in embeddings/LM head\n", params_text(e.params_total).c_str(),
                params_text(e.params_active).c_str(), params_text(card.params_embedding()).c_str());
    std::printf("\nFLOPs per token at context L = %lld   prefill (average over L)   decode (after L)\n", static_cast<long long>(context));
    const auto row = [](const char* label, double prefill, double decode) {
        std::printf("  %-36s %22s %18s\n", label, human(prefill).c_str(), human(decode).c_str());
    };
    row("embedding (lookup)", e.prefill.embedding, e.decode.embedding);
    row("attention projections", e.prefill.attention_projections, e.decode.attention_projections);
    row("attention scores + values", e.prefill.attention_scores, e.decode.attention_scores);
    row(card.architecture.moe ? "MLP / experts (router included)" : "MLP", e.prefill.mlp, e.decode.mlp);
    row("LM head", e.prefill.lm_head, e.decode.lm_head);
    row("total", e.prefill.total(), e.decode.total());
    std::printf("\ncross-check, Kaplan et al. 2N + 2 n_layer n_ctx d_attn (N = %s non-embedding): %s per token;\n"
                "  the prefill count without the LM head is %s (ratio %.3f)\n",
                params_text(non_embedding).c_str(), human(kaplan).c_str(), human(comparable).c_str(), comparable / kaplan);
    const auto& layers = card.architecture.layer_attention;
    if (std::any_of(layers.begin(), layers.end(), [](const compute::LayerAttention& l) { return l.kind != compute::AttentionKind::global; }))
        std::printf("  (below 1 where sliding-window or chunked layers see fewer keys than Kaplan's n_ctx)\n");
    if (training)
        std::printf("training compute ~ 6 N D = 6 x %s x %s tokens = %.3g FLOPs (%s)\n", params_text(e.params_active).c_str(),
                    human(*card.training_tokens).c_str(), *training, card.training_tokens_source.c_str());
    else
        std::printf("training compute: no published training tokens for this model\n");
    std::printf("\nconvention: %s\n", kConvention);
    return 0;
}

const CommandRegistration registration({"flops", "(--card NAME | --model M) [--context L] [--json] | --list [--json]",
                                        "forward FLOPs per token and parameter counts from a model card or a GGUF model", run});

}  // namespace
}  // namespace flopwise::cli

#include "engine_model.hpp"

#include <algorithm>
#include <map>

#include "flopwise/continuation_split.hpp"
#include "flopwise/error.hpp"
#include "flopwise/file_hash.hpp"

namespace flopwise {
namespace {

// The most common weight type among the 2-D tensors, by element count: what a file without
// `general.file_type` is labelled by (a Q4_K_M file's largest matrices need not be Q4_K).
std::string dominant_weight_type(const gguf::File& file) {
    std::map<std::string, uint64_t> elements;
    for (const auto& t : file.tensors())
        if (t.shape.size() == 2) elements[std::string(name(t.type))] += t.elements();
    std::string best;
    uint64_t most = 0;
    for (const auto& [type, count] : elements)
        if (count > most) {
            most = count;
            best = type;
        }
    return best;
}

// lm-evaluation-harness's rolling windows with a context of one token: the text is cut into
// windows of at most `window` predicted tokens, each predicted from as much preceding text as fits.
std::vector<ScoreRequest> rolling_windows(const std::vector<TokenId>& tokens, TokenId prefix, int32_t window) {
    std::vector<ScoreRequest> out;
    const size_t n = tokens.size(), w = static_cast<size_t>(window);
    size_t predicted = 0;
    while (predicted < n) {
        const size_t length = std::min(w, n - predicted);
        const size_t end = predicted + length;
        ScoreRequest r;
        if (predicted == 0) {
            r.context = {prefix};
        } else {
            const size_t context_start = end > w + 1 ? end - w - 1 : 0;
            r.context.assign(tokens.begin() + static_cast<std::ptrdiff_t>(context_start),
                             tokens.begin() + static_cast<std::ptrdiff_t>(predicted));
            if (r.context.empty()) r.context = {prefix};
        }
        r.continuation.assign(tokens.begin() + static_cast<std::ptrdiff_t>(predicted), tokens.begin() + static_cast<std::ptrdiff_t>(end));
        out.push_back(std::move(r));
        predicted = end;
    }
    return out;
}

}  // namespace

EngineModel::EngineModel(const std::string& spec, const ModelOptions& options) {
    Engine::Options engine_options;
    engine_options.threads = options.threads;
    engine_options.batch_tokens = options.batch_tokens;
    engine_options.max_context = options.max_context;
    engine_options.int8_activations = options.int8_activations;
    engine_options.device = options.device;
    engine_ = Engine::load(spec, engine_options);
    const ModelConfig& c = engine_->config();
    identity_.backend = "engine";
    identity_.spec = spec;
    identity_.name = c.name;
    identity_.architecture = c.architecture_name;
    identity_.file_sha256 = sha256_file(engine_->file().path());
    identity_.quantization = gguf::file_type_name(engine_->file()).value_or(dominant_weight_type(engine_->file()));
    identity_.parameters = engine_->parameter_count();
    identity_.non_embedding_parameters = engine_->non_embedding_parameter_count();
    identity_.flops_counted = true;
    identity_.details = {{"n_layer", c.n_layer},     {"n_embd", c.n_embd},       {"n_head", c.n_head},
                         {"n_head_kv", c.n_head_kv}, {"head_dim", c.head_dim},   {"n_ff", c.n_ff},
                         {"n_vocab", c.n_vocab},     {"context_length", engine_->max_context()},
                         {"tied_embeddings", c.tied_embeddings},
                         {"dominant_weight_type", dominant_weight_type(engine_->file())}};
    // Other numerics give other answers: part of the identity (and so of the cache key) when used.
    if (options.int8_activations) identity_.details["activations"] = "int8";
    if (options.device != ComputeDevice::cpu) identity_.details["device"] = std::string(name(options.device));
}

std::vector<LoglikelihoodResult> EngineModel::loglikelihood(std::span<const LoglikelihoodRequest> requests) {
    std::vector<ScoreRequest> scored;
    scored.reserve(requests.size());
    for (const auto& r : requests) scored.push_back(split_continuation(engine_->tokenizer(), r.context, r.continuation));
    // One engine call for the whole batch lets requests that share a context compute it once; the
    // cost of the batch is shared out by token count.
    ComputeUsage usage;
    const auto results = engine_->score(scored, &usage);
    int64_t total_tokens = 0;
    for (const auto& s : scored) total_tokens += static_cast<int64_t>(s.context.size() + s.continuation.size());
    std::vector<LoglikelihoodResult> out(requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
        LoglikelihoodResult& r = out[i];
        r.logprob = results[i].logprob;
        r.greedy = results[i].greedy;
        r.token_logprobs = results[i].token_logprobs;
        r.context_tokens = static_cast<int64_t>(scored[i].context.size());
        r.continuation_tokens = static_cast<int64_t>(scored[i].continuation.size());
        const double share = total_tokens > 0 ? static_cast<double>(r.context_tokens + r.continuation_tokens) / static_cast<double>(total_tokens) : 0.0;
        r.usage.prompt_tokens = r.context_tokens + r.continuation_tokens;
        r.usage.flops.linear = static_cast<uint64_t>(static_cast<double>(usage.flops.linear) * share);
        r.usage.flops.attention = static_cast<uint64_t>(static_cast<double>(usage.flops.attention) * share);
        r.usage.flops.lm_head = static_cast<uint64_t>(static_cast<double>(usage.flops.lm_head) * share);
    }
    return out;
}

std::vector<RollingResult> EngineModel::loglikelihood_rolling(std::span<const RollingRequest> requests) {
    const Tokenizer& tokenizer = engine_->tokenizer();
    const TokenId prefix = tokenizer.bos() >= 0 ? tokenizer.bos() : tokenizer.eos();
    if (prefix < 0) throw Error(identity_.spec + ": the vocabulary has neither BOS nor EOS to start a rolling window");
    std::vector<RollingResult> out;
    for (const auto& request : requests) {
        EncodeOptions options;
        options.add_bos = false;
        const auto tokens = tokenizer.encode(request.text, options);
        RollingResult r;
        r.tokens = static_cast<int64_t>(tokens.size());
        if (!tokens.empty()) {
            const auto windows = rolling_windows(tokens, prefix, engine_->max_context());
            for (const auto& score : engine_->score(windows, &r.usage)) r.logprob += score.logprob;
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<GenerateResult> EngineModel::generate(std::span<const GenerateRequest> requests) {
    std::vector<GenerateResult> out;
    for (const auto& request : requests) {
        GenerationRequest g;
        g.prompt = engine_->tokenizer().encode(request.context);
        g.max_tokens = request.max_tokens;
        g.stop = request.stop;
        g.sampling = request.sampling;
        GenerateResult r;
        const GenerationResult result = engine_->generate(g, &r.usage);
        r.text = result.text;
        r.finish_reason = result.finish_reason;
        r.prompt_tokens = r.usage.prompt_tokens;
        r.generated_tokens = r.usage.generated_tokens;
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace flopwise

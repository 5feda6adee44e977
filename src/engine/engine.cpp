#include <algorithm>
#include <map>

#include "cuda_transformer.hpp"
#include "engine_impl.hpp"
#include "flopwise/error.hpp"

namespace flopwise {

std::string gguf_path_from_spec(const std::string& spec) {
    if (spec.rfind("gguf:", 0) == 0 && spec.size() > 5) return spec.substr(5);
    if (spec.size() > 5 && spec.compare(spec.size() - 5, 5, ".gguf") == 0) return spec;
    throw Error("model '" + spec + "': expected 'gguf:PATH' or a path ending in '.gguf'");
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

std::unique_ptr<Engine> Engine::load(const std::string& spec, const Options& options) {
    if (options.threads < 0) throw Error("threads must be 0 (all cores) or positive, got " + std::to_string(options.threads));
    if (options.batch_tokens < 1) throw Error("batch_tokens must be positive, got " + std::to_string(options.batch_tokens));
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    if (options.threads > 0)
        impl->thread_limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(options.threads));
    impl->file = gguf::File::open(gguf_path_from_spec(spec));
    impl->config = ModelConfig::from_gguf(*impl->file);
    impl->weights = engine::ModelWeights::bind(*impl->file, impl->config);
    impl->tokenizer = Tokenizer::from_gguf(*impl->file);
    if (impl->tokenizer->vocab_size() > impl->config.n_vocab)
        throw Error(impl->file->describe("the tokenizer has " + std::to_string(impl->tokenizer->vocab_size()) +
                                         " tokens but the embedding table only " + std::to_string(impl->config.n_vocab)));
    impl->max_context = options.max_context > 0 ? std::min(options.max_context, impl->config.context_length)
                                                : impl->config.context_length;
    if (options.device == ComputeDevice::cuda) {
        if (options.int8_activations) throw Error("--int8-activations is a CPU kernel path; it does not run with --device cuda");
        impl->transformer = std::make_unique<engine::CudaTransformer>(impl->config, impl->weights);
    } else {
        impl->transformer = std::make_unique<engine::Transformer>(impl->config, impl->weights, options.int8_activations);
    }
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

const ModelConfig& Engine::config() const { return impl_->config; }
const Tokenizer& Engine::tokenizer() const { return *impl_->tokenizer; }
const gguf::File& Engine::file() const { return *impl_->file; }
int32_t Engine::max_context() const { return impl_->max_context; }
int64_t Engine::parameter_count() const { return impl_->weights.parameter_count; }
int64_t Engine::non_embedding_parameter_count() const {
    return impl_->weights.parameter_count - impl_->weights.embedding_parameter_count;
}

std::vector<engine::LogitResult> Engine::Impl::step(std::span<const engine::BatchSegment> segments,
                                                    std::span<const engine::LogitQuery> queries, ComputeUsage* usage) {
    FlopCounts flops;
    auto results = transformer->forward(segments, queries, flops);
    if (usage) {
        usage->flops += flops;
        for (const auto& s : segments) usage->prompt_tokens += static_cast<int64_t>(s.tokens.size());
    }
    return results;
}

std::optional<engine::LogitResult> Engine::Impl::prefill(engine::KvSequence& sequence, std::span<const TokenId> tokens,
                                                         std::vector<TokenId> targets, bool keep_logits,
                                                         int32_t top_k, ComputeUsage* usage) {
    if (tokens.empty()) return std::nullopt;
    if (sequence.length() + static_cast<int64_t>(tokens.size()) > max_context)
        throw Error("sequence of " + std::to_string(sequence.length() + tokens.size()) + " tokens exceeds the context length " +
                    std::to_string(max_context));
    sequence.reserve_more(static_cast<int32_t>(tokens.size()));
    const size_t chunk = static_cast<size_t>(options.batch_tokens);
    for (size_t start = 0; start < tokens.size(); start += chunk) {
        const size_t n = std::min(chunk, tokens.size() - start);
        engine::BatchSegment segment{&sequence, tokens.subspan(start, n)};
        const bool last = start + n == tokens.size();
        std::vector<engine::LogitQuery> queries;
        if (last) queries.push_back({static_cast<int64_t>(n) - 1, std::move(targets), keep_logits, top_k});
        auto results = step({&segment, 1}, queries, usage);
        if (last) return std::move(results.front());
    }
    return std::nullopt;
}

std::vector<engine::LogitResult> Engine::Impl::prefill_together(std::span<engine::KvSequence* const> sequences,
                                                                std::span<const std::span<const TokenId>> prompts,
                                                                std::span<const engine::LogitQuery> last_rows, ComputeUsage* usage) {
    for (size_t i = 0; i < sequences.size(); ++i) {
        if (sequences[i]->length() + static_cast<int64_t>(prompts[i].size()) > max_context)
            throw Error("sequence of " + std::to_string(sequences[i]->length() + prompts[i].size()) +
                        " tokens exceeds the context length " + std::to_string(max_context));
        sequences[i]->reserve_more(static_cast<int32_t>(prompts[i].size()));
    }
    std::vector<engine::LogitResult> out(sequences.size());
    const size_t step_rows = static_cast<size_t>(options.batch_tokens);
    size_t next = 0, done = 0;  // the prompt being packed and how much of it has been stepped
    while (next < sequences.size()) {
        std::vector<engine::BatchSegment> segments;
        std::vector<engine::LogitQuery> queries;
        std::vector<size_t> owners;  // the prompt each query ends
        size_t rows = 0;
        while (next < sequences.size() && rows < step_rows) {
            const size_t take = std::min(step_rows - rows, prompts[next].size() - done);
            segments.push_back({sequences[next], prompts[next].subspan(done, take)});
            rows += take;
            done += take;
            if (done == prompts[next].size()) {
                engine::LogitQuery query = last_rows[next];
                query.row = static_cast<int64_t>(rows) - 1;
                queries.push_back(std::move(query));
                owners.push_back(next);
                ++next;
                done = 0;
            }
        }
        auto results = step(segments, queries, usage);
        for (size_t q = 0; q < owners.size(); ++q) out[owners[q]] = std::move(results[q]);
    }
    return out;
}

std::vector<ScoreResult> Engine::score(const std::vector<ScoreRequest>& requests, ComputeUsage* usage) {
    Impl& m = *impl_;
    // Left-truncate each context so that context + continuation (less its last token) fits.
    std::vector<std::vector<TokenId>> contexts(requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
        const auto& r = requests[i];
        if (r.context.empty()) throw Error("score request " + std::to_string(i) + ": the context is empty (it needs at least a BOS token)");
        if (r.continuation.empty()) throw Error("score request " + std::to_string(i) + ": the continuation is empty");
        if (r.top_logprobs < 0)
            throw Error("score request " + std::to_string(i) + ": top_logprobs must be >= 0, got " + std::to_string(r.top_logprobs));
        const int64_t budget = int64_t{m.max_context} - static_cast<int64_t>(r.continuation.size()) + 1;
        if (budget < 1)
            throw Error("score request " + std::to_string(i) + ": the continuation has " + std::to_string(r.continuation.size()) +
                        " tokens, more than the context length " + std::to_string(m.max_context) + " allows");
        const size_t keep = std::min(r.context.size(), static_cast<size_t>(budget));
        contexts[i].assign(r.context.end() - static_cast<std::ptrdiff_t>(keep), r.context.end());
    }
    std::map<std::vector<TokenId>, std::vector<size_t>> groups;
    std::vector<const std::vector<TokenId>*> order;
    for (size_t i = 0; i < requests.size(); ++i) {
        auto [it, inserted] = groups.try_emplace(contexts[i]);
        if (inserted) order.push_back(&it->first);
        it->second.push_back(i);
    }

    std::vector<ScoreResult> results(requests.size());
    auto record = [&](size_t request, size_t index, double logprob, const engine::LogitResult& logits) {
        ScoreResult& r = results[request];
        const ScoreRequest& asked = requests[request];
        if (r.token_logprobs.empty()) {
            r.token_logprobs.assign(asked.continuation.size(), 0.0);
            if (asked.top_logprobs > 0) r.top_logprobs.resize(asked.continuation.size());
            r.greedy = true;
        }
        r.token_logprobs[index] = logprob;
        r.greedy = r.greedy && logits.argmax == asked.continuation[index];
        if (asked.top_logprobs > 0)
            r.top_logprobs[index].assign(logits.top.begin(),
                                         logits.top.begin() + std::min<std::ptrdiff_t>(asked.top_logprobs, std::ssize(logits.top)));
    };

    for (const auto* context : order) {
        const std::vector<size_t>& members = groups[*context];
        engine::KvSequence base(m.config);
        std::vector<TokenId> first_tokens;
        int32_t top_k = 0;
        for (size_t i : members) {
            first_tokens.push_back(requests[i].continuation.front());
            top_k = std::max(top_k, requests[i].top_logprobs);
        }
        auto last = m.prefill(base, *context, first_tokens, false, top_k, usage);
        for (size_t j = 0; j < members.size(); ++j) record(members[j], 0, last->target_logprobs[j], *last);
        if (usage) usage->reused_tokens += static_cast<int64_t>(context->size() * (members.size() - 1));

        // The rest of each continuation runs on its own copy of the context's keys and values,
        // packed with the others into steps of at most batch_tokens rows.
        std::vector<size_t> pending;
        for (size_t i : members)
            if (requests[i].continuation.size() > 1) pending.push_back(i);
        size_t next = 0;
        while (next < pending.size()) {
            std::vector<std::unique_ptr<engine::KvSequence>> sequences;
            std::vector<engine::BatchSegment> segments;
            std::vector<engine::LogitQuery> queries;
            std::vector<std::pair<size_t, size_t>> owners;  // (request, continuation index) per query
            int64_t rows = 0;
            while (next < pending.size()) {
                const auto& continuation = requests[pending[next]].continuation;
                const int64_t n = static_cast<int64_t>(continuation.size()) - 1;
                if (rows > 0 && rows + n > m.options.batch_tokens) break;
                auto sequence = std::make_unique<engine::KvSequence>(m.config);
                sequence->assign_prefix(base, base.length());
                sequence->reserve_more(static_cast<int32_t>(n));
                segments.push_back({sequence.get(), std::span<const TokenId>(continuation.data(), static_cast<size_t>(n))});
                for (int64_t t = 0; t < n; ++t) {
                    queries.push_back({rows + t, {continuation[static_cast<size_t>(t) + 1]}, false,
                                       requests[pending[next]].top_logprobs});
                    owners.emplace_back(pending[next], static_cast<size_t>(t) + 1);
                }
                sequences.push_back(std::move(sequence));
                rows += n;
                ++next;
            }
            auto logits = m.step(segments, queries, usage);
            for (size_t q = 0; q < logits.size(); ++q)
                record(owners[q].first, owners[q].second, logits[q].target_logprobs.front(), logits[q]);
        }
    }
    for (auto& r : results) {
        r.logprob = 0.0;
        for (double lp : r.token_logprobs) r.logprob += lp;
    }
    return results;
}

SequenceScore Engine::score_sequence(std::span<const TokenId> tokens, ComputeUsage* usage, size_t first) {
    Impl& m = *impl_;
    if (static_cast<int64_t>(tokens.size()) > m.max_context)
        throw Error("sequence of " + std::to_string(tokens.size()) + " tokens exceeds the context length " + std::to_string(m.max_context));
    SequenceScore out;
    out.first = first;
    if (tokens.size() < 2 || first + 1 >= tokens.size()) return out;
    engine::KvSequence sequence(m.config);
    sequence.reserve_more(static_cast<int32_t>(tokens.size()));
    const size_t chunk = static_cast<size_t>(m.options.batch_tokens);
    const size_t scored = tokens.size() - 1;
    for (size_t start = 0; start < scored; start += chunk) {
        const size_t n = std::min(chunk, scored - start);
        engine::BatchSegment segment{&sequence, tokens.subspan(start, n)};
        std::vector<engine::LogitQuery> queries;
        for (size_t t = 0; t < n; ++t)
            if (start + t >= first) queries.push_back({static_cast<int64_t>(t), {tokens[start + t + 1]}, false});
        for (auto& r : m.step({&segment, 1}, queries, usage)) {
            out.token_logprobs.push_back(r.target_logprobs.front());
            out.argmax.push_back(r.argmax);
        }
    }
    return out;
}

}  // namespace flopwise

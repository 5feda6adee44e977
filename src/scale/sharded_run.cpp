#include "flopwise/scale/sharded_run.hpp"

#include <chrono>
#include <memory>
#include <set>

#include "flopwise/error.hpp"
#include "flopwise/eval/request_cache.hpp"
#include "flopwise/scale/rank_cache.hpp"
#include "flopwise/scale/sharding.hpp"

namespace flopwise::scale {

namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

enum Tag : int { work = 1, work_end = 2, answers = 3, done = 4 };

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string text_of(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::strict); }

int64_t tokens_of(const std::vector<eval::Response>& responses) {
    int64_t tokens = 0;
    for (const auto& r : responses) tokens += r.usage().prompt_tokens + r.usage().generated_tokens;
    return tokens;
}

Json responses_json(size_t index, double seconds, const std::vector<eval::Response>& responses) {
    Json list = Json::array();
    for (const auto& r : responses) list.push_back(eval::to_json(r));
    return {{"index", index}, {"seconds", seconds}, {"responses", list}};
}

// What a rank answered, counted the same way on every rank.
void count(RankReport& report, const std::vector<eval::Response>& responses, double seconds) {
    ++report.batches;
    report.requests += static_cast<int64_t>(responses.size());
    report.tokens += tokens_of(responses);
    report.seconds += seconds;
}

// A batch as it travels to the rank that answers it, with the requests it owns.
struct ReceivedBatch {
    size_t index = 0;
    std::vector<eval::Request> requests;
    eval::RequestBatch batch;
};

}  // namespace

Json to_json(const RankReport& r) {
    return {{"rank", r.rank},
            {"host", r.host},
            {"threads", r.threads},
            {"batches", r.batches},
            {"requests", r.requests},
            {"tokens", r.tokens},
            {"seconds", r.seconds},
            {"requests_per_second", r.seconds > 0 ? Json(static_cast<double>(r.requests) / r.seconds) : Json()},
            {"tokens_per_second", r.seconds > 0 ? Json(static_cast<double>(r.tokens) / r.seconds) : Json()}};
}

RankReport rank_report_from_json(const Json& j) {
    RankReport r;
    r.rank = j.at("rank").get<int>();
    r.host = j.at("host").get<std::string>();
    r.threads = j.at("threads").get<int32_t>();
    r.batches = j.at("batches").get<int64_t>();
    r.requests = j.at("requests").get<int64_t>();
    r.tokens = j.at("tokens").get<int64_t>();
    r.seconds = j.at("seconds").get<double>();
    return r;
}

ShardedEvaluation evaluate_sharded(World& world, LanguageModel& model, std::vector<eval::TaskPlan> plans,
                                   const std::vector<eval::SelectedGroup>& groups, const eval::RunOptions& options, int32_t threads) {
    if (world.rank() != 0) throw Error("evaluate_sharded runs on rank 0");
    const int ranks = world.size();
    recover_rank_caches(options.cache_path);

    ShardedEvaluation out;
    out.ranks.resize(static_cast<size_t>(ranks));
    out.ranks[0].host = world.host();
    out.ranks[0].threads = threads;
    {
        eval::EvaluationRun run(model, std::move(plans), options);
        const std::vector<eval::RequestBatch>& batches = run.batches();
        std::vector<int64_t> costs;
        int64_t to_compute = 0;
        for (const auto& b : batches) {
            costs.push_back(b.cost());
            to_compute += static_cast<int64_t>(b.keys.size());
        }
        const auto shares = shard_by_cost(costs, ranks);
        std::vector<int> owner(batches.size(), 0);
        for (int r = 1; r < ranks; ++r) {
            for (size_t b : shares[static_cast<size_t>(r)]) {
                owner[b] = r;
                Json requests = Json::array();
                for (const eval::Request* request : batches[b].requests) requests.push_back(eval::to_json(*request));
                world.post(r, Tag::work, text_of({{"index", b}, {"keys", batches[b].keys}, {"requests", requests}}));
            }
            world.post(r, Tag::work_end, text_of({{"model_key", run.model_key()}, {"batches", shares[static_cast<size_t>(r)].size()}}));
        }
        world.flush();

        eval::Progress progress(stderr, options.progress);
        if (to_compute > 0) progress.start(std::to_string(ranks) + (ranks == 1 ? " rank" : " ranks"), to_compute);
        std::set<int> working;
        for (int r = 1; r < ranks; ++r) working.insert(r);
        const auto take = [&](const Message& m) {
            const std::string who = "rank " + std::to_string(m.source);
            try {
                const Json j = Json::parse(m.text);
                if (m.tag == Tag::answers) {
                    const size_t index = j.at("index").get<size_t>();
                    if (index >= batches.size() || owner[index] != m.source) throw Error("answers to batch " + std::to_string(index) + ", not one of its share");
                    std::vector<eval::Response> responses;
                    for (const auto& r : j.at("responses")) responses.push_back(eval::response_from_json(batches[index].kind, r));
                    const size_t n = responses.size();
                    run.record(index, std::move(responses), j.at("seconds").get<double>(), false);
                    progress.advance(static_cast<int64_t>(n));
                } else if (m.tag == Tag::done) {
                    out.ranks[static_cast<size_t>(m.source)] = rank_report_from_json(j);
                    if (out.ranks[static_cast<size_t>(m.source)].batches != static_cast<int64_t>(shares[static_cast<size_t>(m.source)].size()))
                        throw Error("finished after answering " + std::to_string(out.ranks[static_cast<size_t>(m.source)].batches) + " of its " +
                                    std::to_string(shares[static_cast<size_t>(m.source)].size()) + " batches");
                    working.erase(m.source);
                } else {
                    throw Error("unexpected message (tag " + std::to_string(m.tag) + ")");
                }
            } catch (const nlohmann::json::exception& e) {
                throw Error(who + " sent a malformed message: " + e.what());
            } catch (const Error& e) {
                throw Error(who + ": " + e.what());
            }
        };
        for (size_t b : shares[0]) {
            const auto started = Clock::now();
            std::vector<eval::Response> responses = eval::answer_batch(model, batches[b]);
            const double seconds = seconds_since(started);
            count(out.ranks[0], responses, seconds);
            run.record(b, std::move(responses), seconds);
            progress.advance(static_cast<int64_t>(batches[b].keys.size()));
            while (const auto m = world.try_receive()) take(*m);
        }
        while (!working.empty()) take(world.receive());
        if (to_compute > 0) progress.finish();
        out.evaluation = run.finish(groups);
    }
    // Every other rank closed its cache before reporting done.
    if (!options.cache_path.empty()) merge_rank_caches(options.cache_path);
    return out;
}

void answer_share(World& world, LanguageModel& model, const std::string& cache_path, int32_t threads) {
    if (world.rank() == 0) throw Error("answer_share runs on ranks other than 0");
    std::vector<ReceivedBatch> share;
    std::string model_key;
    for (bool receiving = true; receiving;) {
        const Message m = world.receive(0);
        try {
            const Json j = Json::parse(m.text);
            if (m.tag == Tag::work) {
                ReceivedBatch& b = share.emplace_back();
                b.index = j.at("index").get<size_t>();
                for (const auto& r : j.at("requests")) b.requests.push_back(eval::request_from_json(r));
                b.batch.keys = j.at("keys").get<std::vector<std::string>>();
                if (b.requests.empty() || b.requests.size() != b.batch.keys.size()) throw Error("batch " + std::to_string(b.index) + " is malformed");
                b.batch.kind = b.requests.front().kind;
            } else if (m.tag == Tag::work_end) {
                model_key = j.at("model_key").get<std::string>();
                if (j.at("batches").get<size_t>() != share.size()) throw Error("the share's batch count does not match the batches received");
                receiving = false;
            } else {
                throw Error("unexpected message from rank 0 (tag " + std::to_string(m.tag) + ")");
            }
        } catch (const nlohmann::json::exception& e) {
            throw Error(std::string("malformed message from rank 0: ") + e.what());
        }
    }
    if (model_key != eval::model_key(model.identity()))
        throw Error("'" + model.identity().spec + "' here is not the model rank 0 opened (their identity keys differ): every rank must open the same model file");
    // The batches point into their own requests only now that the share no longer grows.
    for (auto& b : share)
        for (const auto& r : b.requests) b.batch.requests.push_back(&r);

    RankReport report;
    report.rank = world.rank();
    report.host = world.host();
    report.threads = threads;
    {
        std::unique_ptr<eval::RequestCache> cache;
        if (!cache_path.empty()) cache = std::make_unique<eval::RequestCache>(rank_cache_path(cache_path, world.rank()));
        for (const auto& b : share) {
            const auto started = Clock::now();
            const std::vector<eval::Response> responses = eval::answer_batch(model, b.batch);
            const double seconds = seconds_since(started);
            if (cache) cache->store(eval::cache_entries(b.batch, responses));
            count(report, responses, seconds);
            world.post(0, Tag::answers, text_of(responses_json(b.index, seconds, responses)));
        }
    }
    world.post(0, Tag::done, text_of(to_json(report)));
    world.flush();
}

}  // namespace flopwise::scale

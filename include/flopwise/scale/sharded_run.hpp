#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopwise/eval/runner.hpp"
#include "flopwise/language_model.hpp"
#include "flopwise/scale/world.hpp"

namespace flopwise::scale {

// What one rank did: its share of the batches and how fast it answered them.
struct RankReport {
    int rank = 0;
    std::string host;
    int32_t threads = 0;
    int64_t batches = 0;
    int64_t requests = 0;
    int64_t tokens = 0;    // prompt and generated tokens of the requests it answered
    double seconds = 0.0;  // spent answering
};
nlohmann::ordered_json to_json(const RankReport& report);
RankReport rank_report_from_json(const nlohmann::ordered_json& json);

struct ShardedEvaluation {
    eval::Evaluation evaluation;
    std::vector<RankReport> ranks;  // by rank
};

// Rank 0's part of a sharded run. It merges rank caches left by an earlier run into the run's
// cache, plans exactly as one process does (so every batch is the batch a one-process run sends,
// and every answer the same bits), shares the batches out by cost (shard_by_cost), answers its
// own share while gathering the others' answers as they come (one progress line for the job),
// and scores. Every other rank must be in answer_share with the same model.
ShardedEvaluation evaluate_sharded(World& world, LanguageModel& model, std::vector<eval::TaskPlan> plans,
                                   const std::vector<eval::SelectedGroup>& groups, const eval::RunOptions& options, int32_t threads);

// Every other rank's part: receives its share from rank 0, checks that it opened the model rank 0
// plans for, answers batch by batch (keeping the answers in its own rank cache beside
// `cache_path`, none when empty) and sends each batch's answers to rank 0 as soon as it has them.
void answer_share(World& world, LanguageModel& model, const std::string& cache_path, int32_t threads);

}  // namespace flopwise::scale

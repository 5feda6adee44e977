#pragma once
#include <cstdint>
#include <string>

namespace flopwise::scale {

// Under MPI each rank other than 0 keeps the answers it computes in a request cache file of its
// own beside the run's cache (DIR/requests.sqlite -> DIR/requests.rank3.sqlite), so no two
// processes write one SQLite file; rank 0 merges them into the run's cache.
std::string rank_cache_path(const std::string& cache_path, int rank);

// Merges every rank cache beside `cache_path` (left by a finished or a killed run) into it and
// deletes them; returns how many answers were new to the run's cache.
int64_t merge_rank_caches(const std::string& cache_path);

// Before a run, sharded or not: merges the rank caches an interrupted sharded run left (so their
// answers are not computed again) and says how many answers that recovered.
void recover_rank_caches(const std::string& cache_path);

}  // namespace flopwise::scale

#include "flopwise/scale/launch.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sched.h>
#include <string>
#include <thread>

namespace flopwise::scale {

namespace {

int positive_from_environment(const char* name) {
    const char* value = std::getenv(name);
    if (!value) return 0;
    char* end = nullptr;
    const long n = std::strtol(value, &end, 10);
    return end != value && *end == '\0' && n > 0 && n < (1L << 30) ? static_cast<int>(n) : 0;
}

}  // namespace

int launched_ranks() {
    if (const int n = positive_from_environment("OMPI_COMM_WORLD_SIZE")) return n;
    if (const int n = positive_from_environment("PMI_SIZE")) return n;
    if (std::getenv("PMIX_RANK"))
        if (const int n = positive_from_environment("SLURM_STEP_NUM_TASKS")) return n;
    return 1;
}

int32_t threads_per_rank(int ranks_on_this_node) {
    cpu_set_t set;
    CPU_ZERO(&set);
    const int machine = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int allowed = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : machine;
    // Ranks bound alike (each to a core, a socket, or not at all) share their cores with about
    // ranks * allowed / machine others.
    const int sharing = std::max(1, static_cast<int>(std::lround(static_cast<double>(ranks_on_this_node) * allowed / machine)));
    return static_cast<int32_t>(std::max(1, allowed / sharing));
}

ModelOptions rank_model_options(ModelOptions job, int ranks_on_this_node, int ranks) {
    if (job.threads == 0) job.threads = threads_per_rank(ranks_on_this_node);
    job.remote.requests_per_minute /= ranks;
    job.remote.tokens_per_minute /= ranks;
    return job;
}

}  // namespace flopwise::scale

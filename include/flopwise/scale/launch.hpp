#pragma once
#include <cstdint>

#include "flopwise/backends.hpp"

namespace flopwise::scale {

// How many processes an MPI launcher started this one among, read from the launcher's
// environment before MPI is touched: Open MPI's mpirun (OMPI_COMM_WORLD_SIZE), PMI-based
// launchers such as srun --mpi=pmi2 and MPICH's (PMI_SIZE), srun --mpi=pmix (PMIX_RANK with
// SLURM_STEP_NUM_TASKS). 1 when started otherwise: a plain process never initialises MPI.
int launched_ranks();

// Threads for each rank when --threads is not given: the cores this process may run on, shared
// with the ranks of this node bound to the same cores (all of them when the launcher binds
// nothing, none when it bound each rank to cores of its own).
int32_t threads_per_rank(int ranks_on_this_node);

// The model options of one rank: the job's options with threads_per_rank when the user chose no
// thread count, and the remote-API rate limits (requests and tokens per minute) divided by the
// number of ranks, so the whole job keeps to the user's limit. This is the one place where the
// job's options become a rank's.
ModelOptions rank_model_options(ModelOptions job, int ranks_on_this_node, int ranks);

}  // namespace flopwise::scale

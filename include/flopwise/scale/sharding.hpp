#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flopwise::scale {

// Shares work items out among `ranks`, balanced by cost: the costliest first, each to the rank
// with the least so far (the lowest-numbered among equals). The split depends only on the costs
// and the number of ranks. Each rank's items come back in their original order.
std::vector<std::vector<size_t>> shard_by_cost(const std::vector<int64_t>& costs, int ranks);

}  // namespace flopwise::scale

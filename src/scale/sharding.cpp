#include "flopwise/scale/sharding.hpp"

#include <algorithm>
#include <numeric>

#include "flopwise/error.hpp"

namespace flopwise::scale {

std::vector<std::vector<size_t>> shard_by_cost(const std::vector<int64_t>& costs, int ranks) {
    if (ranks < 1) throw Error("cannot share work among " + std::to_string(ranks) + " ranks");
    std::vector<size_t> order(costs.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return costs[a] > costs[b]; });
    std::vector<std::vector<size_t>> shares(static_cast<size_t>(ranks));
    std::vector<int64_t> load(static_cast<size_t>(ranks), 0);
    for (size_t item : order) {
        const size_t lightest = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
        shares[lightest].push_back(item);
        load[lightest] += costs[item];
    }
    for (auto& share : shares) std::sort(share.begin(), share.end());
    return shares;
}

}  // namespace flopwise::scale

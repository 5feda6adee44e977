#include "flopwise/scale/rank_cache.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "flopwise/eval/request_cache.hpp"

namespace flopwise::scale {

namespace {

namespace fs = std::filesystem;

// "requests.sqlite" -> {"requests.rank", ".sqlite"}
std::pair<std::string, std::string> name_parts(const fs::path& cache) {
    return {cache.stem().string() + ".rank", cache.extension().string()};
}

bool is_rank_cache(const std::string& name, const std::pair<std::string, std::string>& parts) {
    const auto& [prefix, suffix] = parts;
    if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
        return false;
    const std::string number = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    return std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string rank_cache_path(const std::string& cache_path, int rank) {
    const fs::path cache(cache_path);
    const auto [prefix, suffix] = name_parts(cache);
    return (cache.parent_path() / (prefix + std::to_string(rank) + suffix)).string();
}

int64_t merge_rank_caches(const std::string& cache_path) {
    const fs::path cache(cache_path);
    const fs::path folder = cache.parent_path().empty() ? fs::path(".") : cache.parent_path();
    if (!fs::is_directory(folder)) return 0;
    const auto parts = name_parts(cache);
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(folder))
        if (entry.is_regular_file() && is_rank_cache(entry.path().filename().string(), parts)) found.push_back(entry.path());
    if (found.empty()) return 0;
    std::sort(found.begin(), found.end());
    int64_t added = 0;
    {
        eval::RequestCache main(cache_path);
        for (const auto& file : found) added += main.merge(file.string());
    }
    for (const auto& file : found)
        for (const char* part : {"", "-wal", "-shm"}) fs::remove(file.string() + part);
    return added;
}

void recover_rank_caches(const std::string& cache_path) {
    if (cache_path.empty()) return;
    if (const int64_t recovered = merge_rank_caches(cache_path); recovered > 0)
        std::fprintf(stderr, "%lld answers recovered from the rank caches of an earlier sharded run\n", static_cast<long long>(recovered));
}

}  // namespace flopwise::scale

#include "flopwise/eval/locations.hpp"

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace flopwise::eval {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> from_env(const char* name) {
    const char* value = std::getenv(name);
    if (value && *value) return std::string(value);
    return std::nullopt;
}

// The nearest ancestor of the running executable holding suites/ and datasets/.
std::optional<fs::path> project_root_of_executable() {
    std::error_code error;
    fs::path dir = fs::read_symlink("/proc/self/exe", error).parent_path();
    if (error) return std::nullopt;
    for (; !dir.empty(); dir = dir.parent_path()) {
        if (fs::is_directory(dir / "suites") && fs::is_directory(dir / "datasets")) return dir;
        if (dir == dir.root_path()) break;
    }
    return std::nullopt;
}

bool holds_yaml(const fs::path& dir) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error))
        if (entry.path().extension() == ".yaml") return true;
    return false;
}

// The first candidate that exists (and, for definition folders, holds *.yaml files).
std::string first_existing(const std::vector<fs::path>& candidates, bool definitions) {
    for (const auto& c : candidates)
        if (fs::is_directory(c) && (!definitions || holds_yaml(c))) return fs::absolute(c).lexically_normal().string();
    return candidates.front().string();
}

}  // namespace

Locations find_locations(const std::optional<std::string>& suites_flag, const std::optional<std::string>& datasets_flag,
                         const std::optional<std::string>& data_flag) {
    const auto root = project_root_of_executable();
    const auto pick = [&](const std::optional<std::string>& flag, const char* env, const fs::path& here, const std::optional<fs::path>& beside_root,
                          bool definitions) {
        if (flag) return *flag;
        if (auto e = from_env(env)) return *e;
        std::vector<fs::path> candidates = {here};
        if (beside_root) candidates.push_back(*beside_root);
        return first_existing(candidates, definitions);
    };
    Locations l;
    l.suites_dir = pick(suites_flag, "FLOPWISE_SUITES_DIR", "suites", root ? std::optional(*root / "suites") : std::nullopt, true);
    l.datasets_dir = pick(datasets_flag, "FLOPWISE_DATASETS_DIR", "datasets", root ? std::optional(*root / "datasets") : std::nullopt, true);
    l.data_dir = pick(data_flag, "FLOPWISE_DATA_DIR", fs::path("..") / "shared" / "datasets",
                      root ? std::optional(*root / ".." / "shared" / "datasets") : std::nullopt, false);
    return l;
}

}  // namespace flopwise::eval

#pragma once
#include <optional>
#include <string>

namespace flopwise::eval {

// Where a run finds its task suites, dataset manifests and data files.
struct Locations {
    std::string suites_dir;    // suites/*.yaml
    std::string datasets_dir;  // datasets/*.yaml (manifests)
    std::string data_dir;      // the data files the manifests describe
};

// Each directory is taken from its flag, else its environment variable (FLOPWISE_SUITES_DIR,
// FLOPWISE_DATASETS_DIR, FLOPWISE_DATA_DIR), else found: suites/ and datasets/ in the current
// directory or in the nearest ancestor of the executable's directory that has them (the project
// root of a build tree inside it); the data in ../shared/datasets from the current directory, or
// from that project root. When nothing is found the conventional path is returned, so the error
// that follows names where it looked.
Locations find_locations(const std::optional<std::string>& suites_flag, const std::optional<std::string>& datasets_flag,
                         const std::optional<std::string>& data_flag);

}  // namespace flopwise::eval

#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "flopwise/eval/dataset.hpp"

namespace flopwise::eval {

struct PullReport {
    int present = 0;     // already there with the right hash
    int downloaded = 0;  // fetched and verified
    std::vector<std::string> problems;  // files that could not be fetched or do not match
};

// Fetches the files of a dataset that are missing from the data directory. Each comes from
// `base_url`/<folder>/<name> when a base URL is given (a mirror laid out like the data
// directory), otherwise from the URL in the manifest; it is written beside its destination,
// checked against the manifest's sha256 and only then moved into place. Files already present
// are verified; one with the wrong hash is reported and left alone unless `replace_mismatched`.
PullReport pull_dataset(const DatasetManifest& manifest, const std::string& data_dir, const std::string& base_url, bool replace_mismatched,
                        std::FILE* log);

}  // namespace flopwise::eval

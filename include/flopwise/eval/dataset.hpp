#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flopwise/eval/template.hpp"

namespace flopwise::eval {

// One file of a dataset, named relative to the dataset's folder in the data directory.
struct DataFile {
    std::string name;    // e.g. "test/abstract_algebra_test.csv"
    std::string sha256;  // lower-case hex
    std::string url;     // where `datasets pull` fetches it
};

// A column read line by line from a second file, aligned with the records (PIQA's labels).
struct JoinedLines {
    std::string file;
    std::string field;
    std::string type = "string";  // "string", "int" or "float"
};

// How one split's records are read. `file` may contain "{subset}", filled in by the task
// (MMLU's subjects: one file per subject, one manifest).
struct SplitFormat {
    std::string file;
    std::string format;                          // jsonl | json | csv | line_records | text
    std::vector<std::string> fields;             // line_records: one name per line, "name[N]" collects N lines
    std::map<std::string, std::string> types;    // field -> "int" | "float" | "string" (csv, line_records)
    std::vector<JoinedLines> join_lines;
    std::optional<int64_t> records;              // expected record count, checked on load
};

// datasets/<name>.yaml: where a dataset's files come from, their hashes and how to read them.
struct DatasetManifest {
    std::string name;
    std::string path;         // the manifest file
    std::string folder;       // the dataset's folder under the data directory
    std::string description;
    std::string source;
    std::string license;
    std::vector<DataFile> files;
    std::map<std::string, SplitFormat> splits;

    // Throws Error naming the manifest when the file or split is not listed.
    const DataFile& file(const std::string& name) const;
    const SplitFormat& split(const std::string& name) const;
};

// Parses a manifest; malformed YAML and missing or unknown fields throw Error with file and line.
DatasetManifest load_dataset_manifest(const std::string& path);
// Every datasets/*.yaml, sorted by name; duplicate names are an error.
std::vector<DatasetManifest> load_dataset_manifests(const std::string& directory);
// The manifest of a dataset by name; an unknown name throws Error listing the known ones.
const DatasetManifest& find_manifest(const std::vector<DatasetManifest>& manifests, const std::string& name);

// A data file as used by a run: where it was read and its verified hash.
struct DataFileUse {
    std::string name;
    std::string path;
    std::string sha256;
};

struct LoadedSplit {
    std::vector<Doc> docs;
    std::vector<DataFileUse> files;
};

// Checks data files against their manifest hashes, hashing each file once per process.
class DataVerifier {
public:
    explicit DataVerifier(std::string data_dir) : data_dir_(std::move(data_dir)) {}
    std::string path_of(const DatasetManifest& manifest, const std::string& file) const;
    // The verified path of a listed file; a missing file or a hash mismatch throws Error saying
    // which file, what was expected and how to fetch it.
    DataFileUse verify(const DatasetManifest& manifest, const std::string& file);

private:
    std::string data_dir_;
    std::map<std::string, std::string> hashed_;  // path -> sha256
};

// Reads one split (with `subset` filled into its file name), verifying every file it touches.
LoadedSplit load_split(const DatasetManifest& manifest, const std::string& split, const std::string& subset, DataVerifier& verifier);

// Parses the records of one file in a given format (exposed for tests); `where` names the file in errors.
std::vector<Doc> read_records(const std::string& bytes, const SplitFormat& format, const std::string& where);

}  // namespace flopwise::eval

#include <algorithm>
#include <filesystem>

#include "flopwise/eval/dataset.hpp"
#include "flopwise/eval/yaml_map.hpp"

namespace flopwise::eval {

namespace {

bool is_sha256(const std::string& s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// File names stay inside the dataset folder: no absolute paths, no "..".
void check_relative(const YamlMap& map, const std::string& key, const std::string& name) {
    const std::filesystem::path p(name);
    if (name.empty() || p.is_absolute()) throw map.error(key, "'" + name + "' must be a path relative to the dataset folder");
    for (const auto& part : p)
        if (part == "..") throw map.error(key, "'" + name + "' must not leave the dataset folder");
}

const std::set<std::string> kFormats = {"jsonl", "json", "csv", "line_records", "text"};
const std::set<std::string> kTypes = {"string", "int", "float"};

SplitFormat parse_split(const YamlMap& map) {
    map.reject_unknown({"file", "format", "fields", "types", "join_lines", "records"});
    SplitFormat s;
    s.file = map.required_string("file");
    check_relative(map, "file", s.file);
    s.format = map.required_string("format");
    if (!kFormats.count(s.format)) throw map.error("format", "unknown format '" + s.format + "' (known: csv, json, jsonl, line_records, text)");
    s.fields = map.string_list("fields");
    if (s.format == "line_records" && s.fields.empty()) throw map.error("fields", "line_records needs the field of each line");
    if (s.format != "line_records" && !s.fields.empty()) throw map.error("fields", "is only used by format line_records");
    if (map.has("types")) {
        const YamlMap types = map.map("types");
        for (const auto& f : types.fields()) {
            const std::string type = types.required_string(f.key);
            if (!kTypes.count(type)) throw types.error(f.key, "unknown type '" + type + "' (known: float, int, string)");
            s.types[f.key] = type;
        }
    }
    if (const auto* join = map.find("join_lines")) {
        if (!join->value.IsSequence()) throw map.error("join_lines", "must be a list of {file, field, type}");
        for (const auto& item : join->value) {
            const YamlMap j(item, join->file, "join_lines item");
            j.reject_unknown({"file", "field", "type"});
            JoinedLines joined{j.required_string("file"), j.required_string("field"), j.string_or("type", "string")};
            check_relative(j, "file", joined.file);
            if (!kTypes.count(joined.type)) throw j.error("type", "unknown type '" + joined.type + "' (known: float, int, string)");
            s.join_lines.push_back(joined);
        }
    }
    if (map.has("records")) s.records = map.integer_or("records", 0, 0, int64_t{1} << 40);
    return s;
}

}  // namespace

const DataFile& DatasetManifest::file(const std::string& wanted) const {
    for (const auto& f : files)
        if (f.name == wanted) return f;
    throw Error(path + ": dataset '" + name + "' does not list the file '" + wanted + "'");
}

const SplitFormat& DatasetManifest::split(const std::string& wanted) const {
    const auto it = splits.find(wanted);
    if (it != splits.end()) return it->second;
    std::string known;
    for (const auto& [n, s] : splits) known += (known.empty() ? "" : ", ") + n;
    throw Error(path + ": dataset '" + name + "' has no split '" + wanted + "' (splits: " + known + ")");
}

DatasetManifest load_dataset_manifest(const std::string& path) {
    const YamlMap map(load_yaml_file(path), path, "dataset manifest");
    map.reject_unknown({"name", "folder", "description", "source", "license", "base_url", "files", "splits"});
    DatasetManifest m;
    m.path = path;
    m.name = map.required_string("name");
    m.folder = map.string_or("folder", m.name);
    check_relative(map, "folder", m.folder);
    m.description = map.string_or("description", "");
    m.source = map.required_string("source");
    m.license = map.string_or("license", "");
    const std::string base_url = map.string_or("base_url", "");

    const auto* files = map.find("files");
    if (!files || !files->value.IsSequence() || files->value.size() == 0) throw map.error("files", "must be a non-empty list of {name, sha256, url}");
    for (const auto& item : files->value) {
        const YamlMap f(item, path, "file entry");
        f.reject_unknown({"name", "sha256", "url"});
        DataFile file{f.required_string("name"), f.required_string("sha256"), f.string_or("url", "")};
        check_relative(f, "name", file.name);
        if (!is_sha256(file.sha256)) throw f.error("sha256", "must be 64 lower-case hex digits");
        if (file.url.empty()) {
            if (base_url.empty()) throw f.error("url", "is required when the manifest has no base_url");
            file.url = base_url + file.name;
        }
        for (const auto& other : m.files)
            if (other.name == file.name) throw f.error("name", "'" + file.name + "' is listed twice");
        m.files.push_back(file);
    }

    const YamlMap splits = map.map("splits");
    for (const auto& f : splits.fields()) {
        SplitFormat split = parse_split(splits.map(f.key));
        // A split's files must be listed (with hashes); "{subset}" names are checked when filled in.
        const bool templated = split.file.find("{subset}") != std::string::npos;
        if (!templated) m.file(split.file);
        for (const auto& j : split.join_lines)
            if (j.file.find("{subset}") == std::string::npos) m.file(j.file);
        m.splits[f.key] = std::move(split);
    }
    if (m.splits.empty()) throw map.error("splits", "must name at least one split");
    return m;
}

std::vector<DatasetManifest> load_dataset_manifests(const std::string& directory) {
    if (!std::filesystem::is_directory(directory)) throw Error(directory + ": dataset manifest directory not found (give --datasets-dir DIR or set FLOPWISE_DATASETS_DIR)");
    std::vector<std::string> paths;
    for (const auto& entry : std::filesystem::directory_iterator(directory))
        if (entry.path().extension() == ".yaml") paths.push_back(entry.path().string());
    std::sort(paths.begin(), paths.end());
    std::vector<DatasetManifest> out;
    for (const auto& p : paths) {
        DatasetManifest m = load_dataset_manifest(p);
        for (const auto& other : out)
            if (other.name == m.name) throw Error(p + ": dataset name '" + m.name + "' is also used by " + other.path);
        out.push_back(std::move(m));
    }
    return out;
}

const DatasetManifest& find_manifest(const std::vector<DatasetManifest>& manifests, const std::string& name) {
    std::string known;
    for (const auto& m : manifests) {
        if (m.name == name) return m;
        known += (known.empty() ? "" : ", ") + m.name;
    }
    throw Error("no dataset manifest named '" + name + "' (known: " + known + ")");
}

}  // namespace flopwise::eval

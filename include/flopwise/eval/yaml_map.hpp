#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "flopwise/error.hpp"

namespace flopwise::eval {

// Parses a YAML file; a syntax error throws Error with the file, line and column.
YAML::Node load_yaml_file(const std::string& path);

// A YAML mapping read field by field, so that every complaint names the file, the line and the
// field (`suites/x.yaml:12: field 'doc_to_text': ...`). Fields may come from different files
// (a task that includes a template), each remembered with its origin.
class YamlMap {
public:
    struct Field {
        std::string key;
        YAML::Node value;
        std::string file;
        int line = 0;  // of the key, counted from 1 (0: unknown)
    };

    YamlMap() = default;
    // `node` must be a mapping; `what` names it in errors ("task file", "split 'test'").
    YamlMap(const YAML::Node& node, const std::string& file, const std::string& what);
    // Fields of `overrides` replace fields of the same name.
    void merge(const YamlMap& overrides);

    bool has(const std::string& key) const { return find(key) != nullptr; }
    const Field* find(const std::string& key) const;
    const std::vector<Field>& fields() const { return fields_; }
    const std::string& file() const { return file_; }

    std::string required_string(const std::string& key) const;
    std::optional<std::string> string(const std::string& key) const;
    std::string string_or(const std::string& key, const std::string& fallback) const;
    int64_t integer_or(const std::string& key, int64_t fallback, int64_t min, int64_t max) const;
    bool boolean_or(const std::string& key, bool fallback) const;
    // A list of strings; a single string is accepted as a list of one.
    std::vector<std::string> string_list(const std::string& key) const;
    YamlMap map(const std::string& key) const;
    // Unknown fields are typos until proven otherwise: throws Error naming the first one.
    void reject_unknown(const std::set<std::string>& known) const;

    // An Error located at a field (or at the mapping itself when the field is absent).
    Error error(const std::string& key, const std::string& message) const;
    // The same location as text, "file:line".
    std::string where(const std::string& key) const;

private:
    std::string file_;
    std::string what_;
    int line_ = 0;
    std::vector<Field> fields_;
};

// "file:line" of a node (lines counted from 1).
std::string location(const std::string& file, const YAML::Node& node);

}  // namespace flopwise::eval

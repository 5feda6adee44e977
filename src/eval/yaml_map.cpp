#include "flopwise/eval/yaml_map.hpp"

#include <fstream>
#include <sstream>

namespace flopwise::eval {

YAML::Node load_yaml_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open file");
    std::stringstream text;
    text << in.rdbuf();
    try {
        return YAML::Load(text.str());
    } catch (const YAML::Exception& e) {
        throw Error(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
    }
}

std::string location(const std::string& file, const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return file;
    return file + ":" + std::to_string(mark.line + 1);
}

YamlMap::YamlMap(const YAML::Node& node, const std::string& file, const std::string& what) : file_(file), what_(what) {
    if (!node || !node.IsMap()) throw Error(location(file, node) + ": " + what + " must be a mapping of field: value");
    line_ = node.Mark().is_null() ? 0 : node.Mark().line + 1;
    for (const auto& entry : node) {
        const std::string key = entry.first.as<std::string>();
        for (const auto& f : fields_)
            if (f.key == key) throw Error(location(file, entry.first) + ": field '" + key + "' is given twice");
        fields_.push_back({key, entry.second, file, entry.first.Mark().is_null() ? 0 : entry.first.Mark().line + 1});
    }
}

void YamlMap::merge(const YamlMap& overrides) {
    for (const auto& f : overrides.fields_) {
        bool replaced = false;
        for (auto& mine : fields_)
            if (mine.key == f.key) {
                mine = f;
                replaced = true;
            }
        if (!replaced) fields_.push_back(f);
    }
    file_ = overrides.file_;
    line_ = overrides.line_;
}

const YamlMap::Field* YamlMap::find(const std::string& key) const {
    for (const auto& f : fields_)
        if (f.key == key) return &f;
    return nullptr;
}

std::string YamlMap::where(const std::string& key) const {
    const Field* f = find(key);
    if (f && f->line > 0) return f->file + ":" + std::to_string(f->line);
    if (f) return f->file;
    return line_ > 0 ? file_ + ":" + std::to_string(line_) : file_;
}

Error YamlMap::error(const std::string& key, const std::string& message) const {
    return Error(where(key) + ": " + (what_.empty() ? "" : what_ + ": ") + "field '" + key + "': " + message);
}

std::optional<std::string> YamlMap::string(const std::string& key) const {
    const Field* f = find(key);
    if (!f || f->value.IsNull()) return std::nullopt;
    if (!f->value.IsScalar()) throw error(key, "must be text");
    return f->value.as<std::string>();
}

std::string YamlMap::required_string(const std::string& key) const {
    auto value = string(key);
    if (!value) throw error(key, "is required");
    return *value;
}

std::string YamlMap::string_or(const std::string& key, const std::string& fallback) const {
    auto value = string(key);
    return value ? *value : fallback;
}

int64_t YamlMap::integer_or(const std::string& key, int64_t fallback, int64_t min, int64_t max) const {
    auto text = string(key);
    if (!text) return fallback;
    size_t used = 0;
    int64_t value = 0;
    try {
        value = std::stoll(*text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text->size() || value < min || value > max)
        throw error(key, "must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got '" + *text + "'");
    return value;
}

bool YamlMap::boolean_or(const std::string& key, bool fallback) const {
    auto text = string(key);
    if (!text) return fallback;
    if (*text == "true" || *text == "True" || *text == "yes") return true;
    if (*text == "false" || *text == "False" || *text == "no") return false;
    throw error(key, "must be true or false, got '" + *text + "'");
}

std::vector<std::string> YamlMap::string_list(const std::string& key) const {
    const Field* f = find(key);
    if (!f || f->value.IsNull()) return {};
    if (f->value.IsScalar()) return {f->value.as<std::string>()};
    if (!f->value.IsSequence()) throw error(key, "must be a list of texts");
    std::vector<std::string> out;
    for (const auto& item : f->value) {
        if (!item.IsScalar()) throw Error(location(f->file, item) + ": field '" + key + "': every item must be text");
        out.push_back(item.as<std::string>());
    }
    return out;
}

YamlMap YamlMap::map(const std::string& key) const {
    const Field* f = find(key);
    if (!f) throw error(key, "is required");
    if (!f->value.IsMap()) throw error(key, "must be a mapping of field: value");
    return YamlMap(f->value, f->file, (what_.empty() ? "" : what_ + ": ") + key);
}

void YamlMap::reject_unknown(const std::set<std::string>& known) const {
    for (const auto& f : fields_)
        if (!known.count(f.key)) {
            std::string list;
            for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
            throw error(f.key, "unknown field (known: " + list + ")");
        }
}

}  // namespace flopwise::eval

#include "flopwise/remote/pricing.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fnmatch.h>

#include <yaml-cpp/yaml.h>

#include "flopwise/error.hpp"

namespace flopwise::remote {

namespace fs = std::filesystem;

namespace {

double price_field(const YAML::Node& entry, const char* field, const std::string& where) {
    const YAML::Node node = entry[field];
    if (!node) throw Error(where + ": missing field '" + field + "' (US dollars per million tokens)");
    double value = 0;
    try {
        value = node.as<double>();
    } catch (const YAML::Exception&) {
        throw Error(where + ": field '" + field + "' must be a number of US dollars per million tokens");
    }
    if (!(value >= 0)) throw Error(where + ": field '" + field + "' must not be negative");
    return value;
}

std::optional<fs::path> built_in_prices() {
    const fs::path relative = fs::path("pricing") / "prices.yaml";
    if (fs::is_regular_file(relative)) return fs::absolute(relative);
    std::error_code error;
    fs::path dir = fs::read_symlink("/proc/self/exe", error).parent_path();
    for (; !error && !dir.empty(); dir = dir.parent_path()) {
        if (fs::is_regular_file(dir / relative)) return dir / relative;
        if (dir == dir.root_path()) break;
    }
    return std::nullopt;
}

}  // namespace

nlohmann::ordered_json Price::to_json() const {
    return {{"model", model},
            {"input_per_million", input_per_million},
            {"output_per_million", output_per_million},
            {"reasoning_per_million", reasoning_per_million},
            {"currency", "USD"},
            {"source", source},
            {"file", file}};
}

PriceTable PriceTable::load(const std::vector<std::string>& files) {
    PriceTable table;
    for (const auto& file : files) {
        YAML::Node root;
        try {
            root = YAML::LoadFile(file);
        } catch (const YAML::BadFile&) {
            throw Error(file + ": cannot read the price table");
        } catch (const YAML::Exception& e) {
            throw Error(file + ": not valid YAML: " + e.what());
        }
        const YAML::Node prices = root["prices"];
        if (!prices || !prices.IsSequence()) throw Error(file + ": expected a list under 'prices'");
        for (size_t i = 0; i < prices.size(); ++i) {
            const YAML::Node entry = prices[i];
            const std::string where = file + ": prices[" + std::to_string(i) + "]";
            if (!entry.IsMap()) throw Error(where + ": expected a map with model, input, output");
            Price p;
            p.file = file;
            if (!entry["model"] || !entry["model"].IsScalar() || entry["model"].as<std::string>().empty())
                throw Error(where + ": missing field 'model' (a model id or pattern)");
            p.model = entry["model"].as<std::string>();
            p.input_per_million = price_field(entry, "input", where);
            p.output_per_million = price_field(entry, "output", where);
            p.reasoning_per_million = entry["reasoning"] ? price_field(entry, "reasoning", where) : p.output_per_million;
            if (const YAML::Node backends = entry["backends"]) {
                if (!backends.IsSequence()) throw Error(where + ": field 'backends' must be a list of backend names");
                for (const auto& b : backends) p.backends.push_back(b.as<std::string>());
            }
            if (entry["source"]) p.source = entry["source"].as<std::string>();
            for (const auto& field : entry) {
                const std::string key = field.first.as<std::string>();
                if (key != "model" && key != "input" && key != "output" && key != "reasoning" && key != "backends" && key != "source")
                    throw Error(where + ": unknown field '" + key + "'");
            }
            table.entries_.push_back(std::move(p));
        }
    }
    return table;
}

std::optional<Price> PriceTable::find(const std::string& backend, const std::string& model) const {
    for (const auto& p : entries_) {
        if (!p.backends.empty() && std::find(p.backends.begin(), p.backends.end(), backend) == p.backends.end()) continue;
        if (fnmatch(p.model.c_str(), model.c_str(), 0) == 0) return p;
    }
    return std::nullopt;
}

std::vector<std::string> price_files(const std::string& user_file) {
    std::vector<std::string> files;
    if (!user_file.empty()) {
        files.push_back(user_file);
    } else if (const char* env = std::getenv("FLOPWISE_PRICES"); env && *env) {
        files.emplace_back(env);
    }
    if (const auto built_in = built_in_prices()) files.push_back(built_in->lexically_normal().string());
    return files;
}

}  // namespace flopwise::remote

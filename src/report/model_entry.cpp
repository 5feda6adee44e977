#include "flopwise/report/model_entry.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "flopwise/error.hpp"

namespace flopwise::report {

namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

void make_labels_unique(std::vector<ModelEntry>& entries) {
    std::set<std::string> seen;
    for (auto& e : entries) {
        std::string label = e.label;
        if (seen.count(label) && e.run) label += " [" + std::filesystem::path(e.run->directory).filename().string() + "]";
        for (int suffix = 2; seen.count(label); ++suffix) label = e.label + " #" + std::to_string(suffix);
        seen.insert(label);
        e.label = label;
    }
}

}  // namespace

std::vector<std::string> ModelEntry::names() const {
    std::vector<std::string> out{label};
    if (run) {
        out.push_back(run->model_name);
        for (const auto& dir : run->directories) {
            const auto path = std::filesystem::path(dir).lexically_normal();
            out.push_back(dir);
            out.push_back(path.filename().empty() ? path.parent_path().filename().string() : path.filename().string());
        }
    }
    if (facts && !facts->card_name.empty()) {
        out.push_back(facts->card_name);
        out.push_back(facts->display_name);
        out.insert(out.end(), facts->aliases.begin(), facts->aliases.end());
    }
    out.erase(std::remove(out.begin(), out.end(), std::string()), out.end());
    return out;
}

ModelEntry reported_entry(ModelFacts facts) {
    ModelEntry e;
    e.label = facts.display_name + " (reported)";
    e.facts = std::move(facts);
    return e;
}

std::vector<ModelEntry> entries_from(std::vector<Run> loaded, const std::vector<ModelFacts>& reported, int64_t context) {
    // Runs of one model (equal keys: same file, same backend settings) make one row.
    std::vector<std::vector<Run>> by_model;
    for (auto& run : loaded) {
        auto it = std::find_if(by_model.begin(), by_model.end(),
                               [&](const std::vector<Run>& group) { return !run.model_key.empty() && group.front().model_key == run.model_key; });
        if (it == by_model.end()) by_model.push_back({std::move(run)});
        else it->push_back(std::move(run));
    }
    std::vector<Run> runs;
    for (const auto& group : by_model) runs.push_back(group.size() == 1 ? group.front() : merge_runs(group));
    std::vector<ModelEntry> entries;
    for (auto& run : runs) {
        ModelEntry e;
        e.facts = run_facts(run, context);
        e.label = run.model_name;
        e.run = std::move(run);
        entries.push_back(std::move(e));
    }
    for (const auto& facts : reported) entries.push_back(reported_entry(facts));
    make_labels_unique(entries);
    return entries;
}

std::vector<ModelEntry> gather_entries(const std::vector<std::string>& run_directories, const std::vector<std::string>& cards, int64_t context) {
    std::vector<Run> runs;
    for (const auto& dir : run_directories) runs.push_back(load_run(dir));
    std::vector<ModelFacts> reported;
    std::set<std::string> added;
    const auto add = [&](const ModelFacts& f) {
        if (added.insert(f.card_name).second) reported.push_back(f);
    };
    for (const auto& name : cards) {
        if (name == "baselines") {
            for (const auto& f : baseline_facts(context)) add(f);
            continue;
        }
        const auto facts = card_facts(name, context);
        if (!facts) throw Error("no model card named '" + name + "' (see the cards/ folder)");
        add(*facts);
    }
    return entries_from(std::move(runs), reported, context);
}

const ModelEntry& find_entry(const std::vector<ModelEntry>& entries, const std::string& name) {
    const std::string wanted = lower(name);
    const ModelEntry* measured = nullptr;
    const ModelEntry* reported = nullptr;
    for (const auto& e : entries) {
        const auto names = e.names();
        if (std::none_of(names.begin(), names.end(), [&](const std::string& n) { return lower(n) == wanted; })) continue;
        if (e.measured()) {
            if (measured)
                throw Error("'" + name + "' names two runs ('" + measured->label + "' and '" + e.label + "'): name one by its directory");
            measured = &e;
        } else if (!reported) {
            reported = &e;
        }
    }
    if (measured) return *measured;
    if (reported) return *reported;
    std::string known;
    for (const auto& e : entries) known += (known.empty() ? "" : ", ") + ("'" + e.label + "'");
    throw Error("no model called '" + name + "' among the runs and cards given (known: " + (known.empty() ? "none" : known) + ")");
}

}  // namespace flopwise::report

#pragma once
#include <optional>
#include <string>
#include <vector>

#include "flopwise/report/model_facts.hpp"
#include "flopwise/report/run.hpp"

namespace flopwise::report {

// One model as reports and claims see it: measured (a run, with the facts of its model when
// known) or reported (a card's published scores, no run).
struct ModelEntry {
    std::string label;  // unique within a report
    std::optional<Run> run;
    std::optional<ModelFacts> facts;

    bool measured() const { return run.has_value(); }
    // Names that identify the entry in a claim or a --baseline flag.
    std::vector<std::string> names() const;
};

// The reported entry of a card (its published scores), labelled "<display name> (reported)".
ModelEntry reported_entry(ModelFacts facts);

// Entries for the runs in `run_directories` (measured) and the cards named in `cards`
// (reported; the word "baselines" stands for every baseline card). Labels are made unique.
std::vector<ModelEntry> gather_entries(const std::vector<std::string>& run_directories, const std::vector<std::string>& cards,
                                       int64_t context);
// Same, from runs already loaded (benchmarks and tests build them in memory).
std::vector<ModelEntry> entries_from(std::vector<Run> runs, const std::vector<ModelFacts>& reported, int64_t context);

// The entry called `name` (label, run directory, model name, card name or alias); measured entries
// win over reported ones of the same name. Error listing the known names when none matches, or
// when two measured entries match.
const ModelEntry& find_entry(const std::vector<ModelEntry>& entries, const std::string& name);

}  // namespace flopwise::report

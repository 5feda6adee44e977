#include <cstdio>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "flopwise/error.hpp"
#include "flopwise/eval/locations.hpp"
#include "flopwise/eval/task_plan.hpp"
#include "flopwise/eval/task_registry.hpp"

namespace flopwise::cli {
namespace {

// Documents in a task's evaluation split (after its preprocessor), or nothing when its data is
// missing or does not verify (the reason is reported instead).
struct Size {
    std::optional<size_t> documents;
    std::string problem;
};

Size task_size(const eval::TaskConfig& task, const std::vector<eval::DatasetManifest>& manifests, eval::DataVerifier& verifier) {
    try {
        eval::PlanOptions options;
        options.limit = 0;
        options.num_fewshot = 0;
        return {eval::plan_task(task, eval::find_manifest(manifests, task.dataset), verifier, options).split_documents, ""};
    } catch (const Error& e) {
        return {std::nullopt, e.what()};
    }
}

int run(Args& args) {
    const auto suites_dir = args.value("suites-dir"), datasets_dir = args.value("datasets-dir"), data_dir = args.value("data-dir");
    const bool json = args.flag("json");
    args.finish();
    const auto locations = eval::find_locations(suites_dir, datasets_dir, data_dir);
    const eval::TaskRegistry registry = eval::TaskRegistry::load(locations.suites_dir);
    const auto manifests = eval::load_dataset_manifests(locations.datasets_dir);
    eval::DataVerifier verifier(locations.data_dir);

    std::map<std::string, Size> sizes;
    for (const auto& t : registry.tasks()) sizes[t.name] = task_size(t, manifests, verifier);
    nlohmann::ordered_json out = {{"suites_dir", locations.suites_dir}, {"data_dir", locations.data_dir}};
    if (!json) std::printf("%-44s %-8s %-22s %5s %9s  %s\n", "task", "version", "type", "shots", "documents", "dataset (split)");
    for (const auto& t : registry.tasks()) {
        const Size& size = sizes[t.name];
        const std::string split = t.dataset + (t.subset.empty() ? "" : "/" + t.subset) + " (" + t.split + ")";
        if (json) {
            out["tasks"].push_back({{"name", t.name},
                                    {"version", t.version},
                                    {"output_type", eval::to_string(t.output_type)},
                                    {"num_fewshot", t.num_fewshot},
                                    {"documents", size.documents ? nlohmann::ordered_json(*size.documents) : nlohmann::ordered_json()},
                                    {"problem", size.problem},
                                    {"dataset", t.dataset},
                                    {"subset", t.subset},
                                    {"split", t.split},
                                    {"follows", t.follows},
                                    {"file", t.file}});
            continue;
        }
        std::printf("%-44s %-8s %-22s %5d %9s  %s\n", t.name.c_str(), t.version.c_str(), eval::to_string(t.output_type).c_str(), t.num_fewshot,
                    size.documents ? std::to_string(*size.documents).c_str() : "missing", split.c_str());
    }
    if (!json) std::printf("\n%-44s %-8s %6s %9s  %s\n", "suite", "version", "tasks", "documents", "averaged");
    for (const auto& s : registry.suites()) {
        const auto members = registry.tasks_under(s);
        std::optional<size_t> documents = 0;
        for (const auto& m : members) {
            const Size& size = sizes[m];
            documents = documents && size.documents ? std::optional(*documents + *size.documents) : std::nullopt;
        }
        if (json) {
            out["suites"].push_back({{"name", s.name},
                                     {"version", s.version},
                                     {"tasks", members},
                                     {"documents", documents ? nlohmann::ordered_json(*documents) : nlohmann::ordered_json()},
                                     {"aggregate", s.aggregate},
                                     {"description", s.description}});
            continue;
        }
        std::printf("%-44s %-8s %6zu %9s  %s\n", s.name.c_str(), s.version.c_str(), members.size(),
                    documents ? std::to_string(*documents).c_str() : "missing", s.aggregate ? "micro and macro" : "no");
    }
    if (json) {
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    int missing = 0;
    for (const auto& [name, size] : sizes)
        if (!size.documents) ++missing;
    if (missing > 0)
        std::printf("\n%d tasks have missing or mismatched data in %s ('flopwise datasets' shows which files; 'flopwise datasets pull' fetches them)\n",
                    missing, locations.data_dir.c_str());
    return 0;
}

const CommandRegistration registration({"tasks", "[--json] [--suites-dir D] [--datasets-dir D] [--data-dir D]",
                                        "list every task and suite with its version and size", run});

}  // namespace
}  // namespace flopwise::cli

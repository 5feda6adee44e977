#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "command.hpp"
#include "flopwise/error.hpp"
#include "flopwise/eval/dataset_pull.hpp"
#include "flopwise/eval/locations.hpp"
#include "flopwise/file_hash.hpp"

namespace flopwise::cli {
namespace {

std::vector<eval::DatasetManifest> chosen(const std::vector<eval::DatasetManifest>& all, const std::vector<std::string>& only) {
    if (only.empty()) return all;
    std::vector<eval::DatasetManifest> out;
    for (const auto& name : only) out.push_back(eval::find_manifest(all, name));
    return out;
}

// Every listed file: ok, missing, or with the wrong hash. Returns the number of problems.
int show_status(const std::vector<eval::DatasetManifest>& manifests, const std::string& data_dir) {
    int problems = 0;
    for (const auto& m : manifests) {
        int ok = 0;
        std::vector<std::string> notes;
        for (const auto& f : m.files) {
            const auto path = std::filesystem::path(data_dir) / m.folder / f.name;
            if (!std::filesystem::exists(path)) {
                notes.push_back("missing " + f.name);
            } else if (sha256_file(path.string()) != f.sha256) {
                notes.push_back("sha256 mismatch " + f.name);
            } else {
                ++ok;
            }
        }
        problems += static_cast<int>(notes.size());
        std::printf("%-16s %3d/%-3zu files ok  %s\n", m.name.c_str(), ok, m.files.size(), m.source.c_str());
        for (const auto& n : notes) std::printf("    %s\n", n.c_str());
    }
    return problems;
}

int run(Args& args) {
    const std::string action = args.leading_word().value_or("list");
    const auto datasets_dir = args.value("datasets-dir"), data_dir = args.value("data-dir");
    const std::vector<std::string> only = args.list("only");
    const auto base_url = args.value("base-url");
    const bool replace = args.flag("replace");
    args.finish();
    if (action != "list" && action != "verify" && action != "pull")
        throw Error("flopwise datasets: unknown action '" + action + "' (list, verify or pull)");
    if (action != "pull" && (base_url || replace)) throw Error("flopwise datasets: --base-url and --replace apply to 'pull' only");
    const auto locations = eval::find_locations(std::nullopt, datasets_dir, data_dir);
    const auto manifests = chosen(eval::load_dataset_manifests(locations.datasets_dir), only);
    std::printf("data directory: %s\n", locations.data_dir.c_str());
    if (action != "pull") {
        const int problems = show_status(manifests, locations.data_dir);
        if (problems > 0 && action == "list") std::printf("%d files missing or mismatched: 'flopwise datasets pull' fetches them\n", problems);
        return action == "verify" && problems > 0 ? 1 : 0;
    }
    int downloaded = 0, present = 0;
    std::vector<std::string> problems;
    for (const auto& m : manifests) {
        const eval::PullReport report = eval::pull_dataset(m, locations.data_dir, base_url.value_or(""), replace, stderr);
        downloaded += report.downloaded;
        present += report.present;
        problems.insert(problems.end(), report.problems.begin(), report.problems.end());
    }
    std::printf("%d files downloaded and verified, %d already present\n", downloaded, present);
    for (const auto& p : problems) std::printf("problem: %s\n", p.c_str());
    return problems.empty() ? 0 : 1;
}

const CommandRegistration registration({"datasets", "[list|verify|pull] [--only NAME,...] [--data-dir D] [--datasets-dir D] [--base-url U] [--replace]",
                                        "check the evaluation data against its manifests, or download what is missing", run});

}  // namespace
}  // namespace flopwise::cli

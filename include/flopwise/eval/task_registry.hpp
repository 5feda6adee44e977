#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "flopwise/eval/task_config.hpp"

namespace flopwise::eval {

// A group to report: its name and the tasks under it (through nested suites), in order.
struct SelectedGroup {
    const SuiteConfig* suite = nullptr;
    std::vector<std::string> tasks;
};

// What `--tasks` expands to: every task once, in the order named, and the aggregating groups.
struct TaskSelection {
    std::vector<const TaskConfig*> tasks;
    std::vector<SelectedGroup> groups;
};

// Every task and suite of a suites directory (*.yaml; files whose name starts with '_' are
// templates for `include:` only). Names are unique across tasks and suites.
class TaskRegistry {
public:
    static TaskRegistry load(const std::string& directory);

    const std::vector<TaskConfig>& tasks() const { return tasks_; }
    const std::vector<SuiteConfig>& suites() const { return suites_; }
    const TaskConfig* find_task(const std::string& name) const;
    const SuiteConfig* find_suite(const std::string& name) const;
    // The tasks under a suite, depth first, each once.
    std::vector<std::string> tasks_under(const SuiteConfig& suite) const;

    // Expands task names, suite names and paths of task files (a user's own *.yaml) into a
    // selection. An unknown name throws Error listing the closest known names.
    TaskSelection select(const std::vector<std::string>& names);

private:
    void add_suite_members(const SuiteConfig& suite, std::vector<std::string>& out, std::vector<std::string>& stack) const;

    std::string directory_;
    std::vector<TaskConfig> tasks_;
    std::vector<SuiteConfig> suites_;
    std::vector<std::unique_ptr<TaskConfig>> external_;  // task files named by path
};

}  // namespace flopwise::eval

#include "flopwise/eval/task_registry.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>

#include "flopwise/error.hpp"

namespace flopwise::eval {

namespace {

// Edit distance, to suggest the task a typo meant.
size_t distance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

}  // namespace

TaskRegistry TaskRegistry::load(const std::string& directory) {
    if (!std::filesystem::is_directory(directory)) throw Error(directory + ": task suites directory not found (give --suites-dir DIR or set FLOPWISE_SUITES_DIR)");
    TaskRegistry r;
    r.directory_ = directory;
    std::vector<std::string> paths;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        const auto& p = entry.path();
        if (p.extension() == ".yaml" && p.filename().string().front() != '_') paths.push_back(p.string());
    }
    std::sort(paths.begin(), paths.end());
    std::map<std::string, std::string> defined;  // name -> file
    for (const auto& path : paths) {
        std::string name;
        if (is_suite_file(path)) {
            r.suites_.push_back(load_suite_file(path));
            name = r.suites_.back().name;
        } else {
            r.tasks_.push_back(load_task_file(path));
            name = r.tasks_.back().name;
        }
        const auto [it, fresh] = defined.emplace(name, path);
        if (!fresh) throw Error(path + ": the name '" + name + "' is already defined by " + it->second);
    }
    for (const auto& suite : r.suites_)
        for (const auto& member : suite.members)
            if (!defined.count(member)) throw Error(suite.file + ": suite '" + suite.name + "' names '" + member + "', which is neither a task nor a suite");
    return r;
}

const TaskConfig* TaskRegistry::find_task(const std::string& name) const {
    for (const auto& t : tasks_)
        if (t.name == name) return &t;
    for (const auto& t : external_)
        if (t->name == name) return t.get();
    return nullptr;
}

const SuiteConfig* TaskRegistry::find_suite(const std::string& name) const {
    for (const auto& s : suites_)
        if (s.name == name) return &s;
    return nullptr;
}

void TaskRegistry::add_suite_members(const SuiteConfig& suite, std::vector<std::string>& out, std::vector<std::string>& stack) const {
    if (std::find(stack.begin(), stack.end(), suite.name) != stack.end()) throw Error(suite.file + ": suite '" + suite.name + "' contains itself");
    stack.push_back(suite.name);
    for (const auto& member : suite.members) {
        if (const SuiteConfig* inner = find_suite(member)) {
            add_suite_members(*inner, out, stack);
        } else if (std::find(out.begin(), out.end(), member) == out.end()) {
            out.push_back(member);
        }
    }
    stack.pop_back();
}

std::vector<std::string> TaskRegistry::tasks_under(const SuiteConfig& suite) const {
    std::vector<std::string> out, stack;
    add_suite_members(suite, out, stack);
    return out;
}

TaskSelection TaskRegistry::select(const std::vector<std::string>& names) {
    TaskSelection selection;
    const auto add_task = [&](const TaskConfig* t) {
        if (std::find(selection.tasks.begin(), selection.tasks.end(), t) == selection.tasks.end()) selection.tasks.push_back(t);
    };
    // Groups nested in a selected suite are reported too (MMLU's categories under MMLU).
    std::function<void(const SuiteConfig&)> add_groups = [&](const SuiteConfig& suite) {
        for (const auto& member : suite.members)
            if (const SuiteConfig* inner = find_suite(member)) add_groups(*inner);
        if (suite.aggregate &&
            std::none_of(selection.groups.begin(), selection.groups.end(), [&](const SelectedGroup& g) { return g.suite == &suite; }))
            selection.groups.push_back({&suite, tasks_under(suite)});
    };
    for (const auto& name : names) {
        if (name.size() > 5 && name.compare(name.size() - 5, 5, ".yaml") == 0) {
            auto task = std::make_unique<TaskConfig>(load_task_file(name));
            if (const TaskConfig* existing = find_task(task->name); existing && existing->file != task->file)
                throw Error(name + ": task name '" + task->name + "' is already defined by " + existing->file);
            external_.push_back(std::move(task));
            add_task(external_.back().get());
            continue;
        }
        if (const TaskConfig* t = find_task(name)) {
            add_task(t);
            continue;
        }
        if (const SuiteConfig* s = find_suite(name)) {
            for (const auto& member : tasks_under(*s)) add_task(find_task(member));
            add_groups(*s);
            continue;
        }
        std::vector<std::pair<size_t, std::string>> near;
        for (const auto& t : tasks_) near.emplace_back(distance(name, t.name), t.name);
        for (const auto& s : suites_) near.emplace_back(distance(name, s.name), s.name);
        std::sort(near.begin(), near.end());
        std::string hint;
        for (size_t i = 0; i < near.size() && i < 3; ++i) hint += (i ? ", " : "") + near[i].second;
        throw Error("unknown task or suite '" + name + "' in " + directory_ + (hint.empty() ? "" : " (did you mean: " + hint + "?)") +
                    "; 'flopwise tasks' lists them");
    }
    return selection;
}

}  // namespace flopwise::eval

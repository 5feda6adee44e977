// Task and suite YAML: what a user writes, and errors that point at the file, line and field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "flopwise/error.hpp"
#include "flopwise/eval/task_config.hpp"
#include "flopwise/eval/task_registry.hpp"
#include "test_env.hpp"

namespace flopwise::eval {
namespace {

const std::string kValid =
    "task: toy\n"                                   // 1
    "version: \"2\"\n"                              // 2
    "follows: nothing in particular\n"              // 3
    "dataset: {name: toy, split: test}\n"           // 4
    "output_type: multiple_choice\n"                // 5
    "doc_to_text: \"Q: {{question}}\\nA:\"\n"       // 6
    "doc_to_target: \"{{gold}}\"\n"                 // 7
    "doc_to_choice: [\"yes\", \"no\"]\n"            // 8
    "metrics: [acc, acc_norm]\n";                   // 9

std::string write(const std::string& dir, const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
}

std::string error_of(const std::string& path) {
    try {
        load_task_file(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

// Replaces line `line` (1-based) of the valid task.
std::string with_line(int line, const std::string& replacement) {
    std::string out;
    size_t start = 0;
    for (int i = 1; start < kValid.size(); ++i) {
        const size_t end = kValid.find('\n', start);
        out += (i == line ? replacement : kValid.substr(start, end - start)) + "\n";
        start = end + 1;
    }
    return out;
}

TEST(TaskConfig, ParsesAValidTask) {
    const std::string dir = test::temp_dir("task-config");
    const TaskConfig t = load_task_file(write(dir, "toy.yaml", kValid));
    EXPECT_EQ(t.name, "toy");
    EXPECT_EQ(t.version, "2");
    EXPECT_EQ(t.output_type, OutputType::multiple_choice);
    EXPECT_EQ(t.doc_to_choice_list.size(), 2u);
    EXPECT_EQ(t.target_delimiter, " ");
    EXPECT_EQ(t.fewshot_delimiter, "\n\n");
    EXPECT_EQ(t.metrics.size(), 2u);
    EXPECT_EQ(t.doc_to_text->render(Doc{{"question", "why"}}), "Q: why\nA:");
    EXPECT_EQ(t.to_json()["metrics"][1]["metric"], "acc_norm");
}

TEST(TaskConfig, ErrorsNameFileLineAndField) {
    const std::string dir = test::temp_dir("task-errors");
    const auto check = [&](const std::string& text, const std::string& expected) {
        const std::string path = write(dir, "t.yaml", text);
        const std::string error = error_of(path);
        EXPECT_NE(error.find(path + ":" + expected), std::string::npos) << "expected '" << path << ":" << expected << "' in: " << error;
    };
    check(with_line(6, "doc_to_txt: \"Q\""), "6: field 'doc_to_txt': unknown field");
    check(with_line(6, "doc_to_text: \"Q: {{question\""), "6: field 'doc_to_text': template \"Q: {{question\": '{{' at offset 3 is never closed");
    check(with_line(6, "doc_to_text: \"{{question | shout}}\""), "6: field 'doc_to_text': template");
    check(with_line(9, "metrics: [acc, perplexity]"), "9: field 'metrics': 'perplexity' is not a metric of multiple_choice tasks");
    check(with_line(5, "output_type: essay"), "5: field 'output_type': 'essay' is not one of");
    check(with_line(8, "doc_to_choice:"), "8: field 'doc_to_choice': is required for multiple_choice tasks");
    check(with_line(8, "# no choices"), "1: field 'doc_to_choice': is required for multiple_choice tasks");
    check(with_line(2, "version:"), "2: field 'version': is required");
    check(with_line(2, "# no version"), "1: field 'version': is required");
    check(with_line(4, "dataset: {name: toy}"), "4: dataset: field 'split': is required");
    check(with_line(9, "metrics: [acc]\nnum_fewshot: 5"), "10: field 'num_fewshot': few-shot examples need a 'fewshot: {split: ...}' source");
    check(with_line(9, "metrics: [acc]\nnum_fewshot: lots"), "10: field 'num_fewshot': must be an integer");
    check(with_line(9, "metrics: [acc]\nfilters: [{name: x, regex: \"x\"}]"), "10: field 'filters': answer filters apply to generate_until tasks only");
    check(with_line(6, "doc_to_text: [\"a\"]"), "6: field 'doc_to_text': must be text");
    check(with_line(3, "follows: [unclosed"), "4:");  // yaml-cpp reports where it noticed
    check(with_line(9, "metrics: [acc]\nmetrics: [acc]"), "10: field 'metrics' is given twice");
}

TEST(TaskConfig, IncludeMergesTemplateFields) {
    const std::string dir = test::temp_dir("task-include");
    write(dir, "_base.yaml", kValid);
    const std::string path = write(dir, "child.yaml", "include: _base.yaml\ntask: child\ndoc_to_text: \"{{question}}?\"\n");
    const TaskConfig t = load_task_file(path);
    EXPECT_EQ(t.name, "child");
    EXPECT_EQ(t.doc_to_text->source(), "{{question}}?");
    EXPECT_EQ(t.metrics.size(), 2u);
    // An error in an included field points into the file that holds it.
    write(dir, "_bad.yaml", with_line(9, "metrics: [bleu]"));
    const std::string bad = write(dir, "bad_child.yaml", "include: _bad.yaml\ntask: bad\n");
    EXPECT_NE(error_of(bad).find(dir + "/_bad.yaml:9: field 'metrics': 'bleu'"), std::string::npos) << error_of(bad);
    EXPECT_NE(error_of(write(dir, "lost.yaml", "include: _nowhere.yaml\n")).find("lost.yaml:1: field 'include': file"), std::string::npos);
}

TEST(TaskRegistry, ShippedSuitesLoadAndResolve) {
    TaskRegistry registry = TaskRegistry::load(test::source_path("suites"));
    EXPECT_EQ(registry.tasks().size(), 57u + 11u);
    const TaskSelection mmlu = registry.select({"mmlu"});
    EXPECT_EQ(mmlu.tasks.size(), 57u);
    ASSERT_EQ(mmlu.groups.size(), 5u);  // the four categories, then mmlu itself
    EXPECT_EQ(mmlu.groups.back().suite->name, "mmlu");
    EXPECT_EQ(mmlu.groups.back().tasks.size(), 57u);
    const TaskSelection mixed = registry.select({"hellaswag", "core", "gsm8k"});
    EXPECT_EQ(mixed.tasks.size(), 7u);
    EXPECT_EQ(mixed.tasks[0]->name, "hellaswag");
    EXPECT_TRUE(mixed.groups.empty());
    try {
        registry.select({"hellaswg"});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("unknown task or suite 'hellaswg'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("did you mean: hellaswag"), std::string::npos) << e.what();
    }
}

TEST(TaskRegistry, SuitesNamingUnknownTasksAreRejected) {
    const std::string dir = test::temp_dir("registry");
    write(dir, "toy.yaml", kValid);
    write(dir, "group.yaml", "group: g\nversion: \"1\"\ntasks: [toy, ghost]\n");
    try {
        TaskRegistry::load(dir);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("suite 'g' names 'ghost', which is neither a task nor a suite"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace flopwise::eval

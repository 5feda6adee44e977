#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "flopwise/error.hpp"
#include "flopwise/report/model_entry.hpp"
#include "flopwise/report/run.hpp"
#include "run_builder.hpp"
#include "test_env.hpp"

using namespace flopwise;

namespace {

std::string error_of(const std::string& dir) {
    try {
        report::load_run(dir);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

void edit_results(const std::string& dir, const std::function<void(nlohmann::json&)>& edit) {
    const std::string path = dir + "/results.json";
    nlohmann::json j = nlohmann::json::parse(std::ifstream(path));
    edit(j);
    std::ofstream(path) << j.dump();
}

}  // namespace

TEST(RunLoader, ReadsWhatRunWrites) {
    const std::string dir = test::temp_dir("report-load");
    test::write_run(dir, {"tiny"}, {{"piqa", test::scores(10, 7)}, {"arc_easy", test::scores(4, 1), 5}});
    const report::Run run = report::load_run(dir);
    EXPECT_EQ(run.model_name, "tiny");
    EXPECT_EQ(run.flops_source, "counted");
    ASSERT_EQ(run.tasks.size(), 2u);
    EXPECT_EQ(run.tasks[0].name, "piqa");
    EXPECT_DOUBLE_EQ(run.tasks[0].metric("acc")->value, 0.7);
    EXPECT_EQ(run.tasks[1].num_fewshot, 5);
    const auto values = report::load_sample_values(run, "arc_easy", "acc");
    ASSERT_EQ(values.size(), 4u);
    EXPECT_EQ(values.at(0), 1.0);
    EXPECT_EQ(values.at(3), 0.0);
}

TEST(RunLoader, ErrorsNameTheFileAndField) {
    const std::string dir = test::temp_dir("report-bad");
    EXPECT_NE(error_of(dir).find("results.json: cannot read"), std::string::npos);
    EXPECT_NE(error_of(dir + "/missing").find("not a run directory"), std::string::npos);

    std::ofstream(dir + "/results.json") << "{\"schema\": ";
    EXPECT_NE(error_of(dir).find(dir + "/results.json: not valid JSON"), std::string::npos);

    test::write_run(dir, {"tiny"}, {{"piqa", test::scores(10, 7)}});
    edit_results(dir, [](nlohmann::json& j) { j["tasks"]["piqa"]["metrics"]["acc"].erase("aggregation"); });
    EXPECT_NE(error_of(dir).find("missing field 'tasks.piqa.metrics.acc.aggregation'"), std::string::npos) << error_of(dir);

    test::write_run(dir, {"tiny"}, {{"piqa", test::scores(10, 7)}});
    edit_results(dir, [](nlohmann::json& j) { j["tasks"]["piqa"]["metrics"]["acc"]["value"] = "high"; });
    EXPECT_NE(error_of(dir).find("field 'tasks.piqa.metrics.acc.value' must be a number"), std::string::npos) << error_of(dir);

    test::write_run(dir, {"tiny"}, {{"piqa", test::scores(10, 7)}});
    edit_results(dir, [](nlohmann::json& j) { j["schema_version"] = 7; });
    EXPECT_NE(error_of(dir).find("'schema_version' is not 1"), std::string::npos) << error_of(dir);

    test::write_run(dir, {"tiny"}, {{"piqa", test::scores(10, 7)}});
    edit_results(dir, [](nlohmann::json& j) { j["model"]["flops"] = "guessed"; });
    EXPECT_NE(error_of(dir).find("'model.flops' must be \"counted\" or \"estimated\""), std::string::npos) << error_of(dir);
}

TEST(RunLoader, MalformedSampleLinesAreNamed) {
    const std::string dir = test::temp_dir("report-bad-samples");
    test::write_run(dir, {"tiny"}, {{"piqa", test::scores(3, 1)}});
    std::ofstream(dir + "/samples/piqa.jsonl", std::ios::app) << "{\"doc_id\": 1, \"metrics\": {\"acc\": 1}}\nnot json\n";
    const report::Run run = report::load_run(dir);
    try {
        report::load_sample_values(run, "piqa", "acc");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("piqa.jsonl line 4: field 'doc_id' repeats document 1"), std::string::npos) << e.what();
    }
}

TEST(RunLoader, GroupsPoolTheirMembersAndRunsOfOneModelMerge) {
    const std::string dir = test::temp_dir("report-groups");
    test::write_run(dir + "/one", {"tiny"}, {{"piqa", test::scores(10, 7)}, {"arc_easy", test::scores(4, 1)}});
    edit_results(dir + "/one", [](nlohmann::json& j) {
        j["model"]["key"] = "same-model";
        j["groups"]["both"] = {{"version", "1"},
                               {"tasks", {"piqa", "arc_easy"}},
                               {"metrics", {{"acc", {{"micro", {{"value", 8.0 / 14.0}, {"stderr", 0.1}}}, {"macro", {{"value", 0.475}}}}}}}};
        j["totals"]["compute"] = {{"prompt_tokens", 100}, {"generated_tokens", 0}, {"flops", {{"total", 1000.0}}}, {"flops_per_token", 10.0}};
    });
    test::write_run(dir + "/two", {"tiny"}, {{"boolq", test::scores(6, 3)}, {"piqa", test::scores(10, 2)}});
    edit_results(dir + "/two", [](nlohmann::json& j) {
        j["model"]["key"] = "same-model";
        j["totals"]["compute"] = {{"prompt_tokens", 300}, {"generated_tokens", 0}, {"flops", {{"total", 5000.0}}}, {"flops_per_token", 5000.0 / 300}};
    });
    const report::Run one = report::load_run(dir + "/one");
    const report::TaskFigures* group = one.task("both");
    ASSERT_NE(group, nullptr);
    EXPECT_EQ(group->members.size(), 2u);
    EXPECT_EQ(group->documents_scored, 14);
    EXPECT_DOUBLE_EQ(group->metric("acc")->value, 8.0 / 14.0);  // the micro figure
    EXPECT_TRUE(one.task("piqa")->in_group);
    EXPECT_FALSE(group->in_group);
    EXPECT_EQ(report::load_sample_values(one, "both", "acc").size(), 14u);  // doc_ids repeat across members, documents do not

    const auto entries = report::entries_from({one, report::load_run(dir + "/two")}, {}, 2048);
    ASSERT_EQ(entries.size(), 1u);
    const report::Run& merged = *entries[0].run;
    EXPECT_EQ(merged.directories.size(), 2u);
    EXPECT_DOUBLE_EQ(merged.task("piqa")->metric("acc")->value, 0.2);  // the later run's
    EXPECT_EQ(merged.task("piqa")->directory, dir + "/two");
    EXPECT_NE(merged.task("boolq"), nullptr);
    EXPECT_DOUBLE_EQ(*merged.flops_per_token, 6000.0 / 400.0);
}

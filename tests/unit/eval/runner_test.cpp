// The runner with a deterministic fake model: same inputs give the same scores, duplicate
// requests are asked once, choices sharing a context travel together, an interrupted run resumes
// from the cache without asking again, and failures are recorded, not scored.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "fake_model.hpp"
#include "flopwise/error.hpp"
#include "flopwise/eval/request_cache.hpp"
#include "flopwise/eval/results.hpp"
#include "flopwise/eval/runner.hpp"
#include "test_env.hpp"

namespace flopwise::eval {
namespace {

class Runner : public ::testing::Test {
protected:
    static void SetUpTestSuite() { registry_ = new TaskRegistry(TaskRegistry::load(test::source_path("suites"))); }
    static void TearDownTestSuite() { delete registry_; }

    // Plans the named tasks with per-task document limits.
    std::vector<TaskPlan> plans(const std::vector<std::pair<std::string, int64_t>>& tasks, std::optional<int32_t> shots = std::nullopt) {
        std::vector<TaskPlan> out;
        DataVerifier verifier(test::shared_dir() + "/datasets");
        for (const auto& [name, limit] : tasks) {
            const TaskConfig* config = registry_->find_task(name);
            const DatasetManifest manifest = load_dataset_manifest(test::source_path("datasets/" + config->dataset + ".yaml"));
            PlanOptions options;
            options.limit = limit;
            options.num_fewshot = shots;
            out.push_back(plan_task(*config, manifest, verifier, options));
        }
        return out;
    }

    static RunOptions quiet(const std::string& cache = "") {
        RunOptions o;
        o.progress = Progress::Style::quiet;
        o.batch_size = 8;
        o.bootstrap_iterations = 200;
        o.cache_path = cache;
        return o;
    }

    // Everything that must not change between equivalent runs: every figure and every document's scores.
    static std::string scores_of(const Evaluation& ev) {
        nlohmann::ordered_json j;
        for (const auto& t : ev.tasks) {
            for (size_t m = 0; m < t.metrics.size(); ++m) {
                const Estimate& e = t.estimates[m];
                j[t.plan.config->name][t.metrics[m].key] = {e.value, e.stderr_value ? *e.stderr_value : -1.0};
            }
            for (size_t d = 0; d < t.plan.documents.size(); ++d) {
                nlohmann::ordered_json sample = sample_json(t, d);
                for (auto& r : sample["requests"]) r.erase("key");
                j[t.plan.config->name]["samples"].push_back(sample);
            }
        }
        return j.dump();
    }

    const std::vector<std::pair<std::string, int64_t>> mix_ = {
        {"arc_easy", 12}, {"winogrande", 6}, {"lambada_openai", 5}, {"gsm8k", 3}, {"wikitext2_tokenized", 2}, {"truthfulqa_mc1", 4}, {"truthfulqa_mc2", 4}};
    static TaskRegistry* registry_;
};
TaskRegistry* Runner::registry_ = nullptr;

TEST_F(Runner, SameInputsGiveIdenticalScores) {
    test::FakeModel a, b;
    const Evaluation first = evaluate(a, plans(mix_), {}, quiet());
    const Evaluation second = evaluate(b, plans(mix_), {}, quiet());
    EXPECT_EQ(scores_of(first), scores_of(second));
    EXPECT_EQ(a.asked, b.asked);
    ASSERT_EQ(first.tasks.size(), mix_.size());
    for (const auto& t : first.tasks)
        for (const auto& e : t.estimates) EXPECT_TRUE(std::isfinite(e.value)) << t.plan.config->name;
}

TEST_F(Runner, DuplicatesAreAskedOnceAndChoicesTravelTogether) {
    test::FakeModel model;
    const Evaluation ev = evaluate(model, plans(mix_), {}, quiet());
    // Never the same request twice.
    EXPECT_EQ(std::set<std::string>(model.asked.begin(), model.asked.end()).size(), model.asked.size());
    EXPECT_EQ(static_cast<int64_t>(model.asked.size()), ev.requests.computed);
    EXPECT_EQ(ev.requests.unique, ev.requests.computed);
    // TruthfulQA MC2's choices include MC1's: those answers are reused, not asked again.
    const TaskResult& mc2 = ev.tasks.back();
    EXPECT_EQ(mc2.plan.config->name, "truthfulqa_mc2");
    EXPECT_GT(mc2.requests.reused, 0);
    EXPECT_EQ(mc2.requests.unique, mc2.requests.reused + mc2.requests.computed);
    // All choices of one document (one context) are in the same batch. (TruthfulQA's two tasks
    // share contexts, each asking its own choices, so a context recurs in their two batches.)
    for (const auto& t : ev.tasks) {
        if (t.plan.config->output_type != OutputType::multiple_choice || t.plan.config->choices_in_context) continue;
        if (t.plan.config->name.rfind("truthfulqa", 0) == 0) continue;
        for (const auto& d : t.plan.documents) {
            const std::string& context = d.requests[0].loglikelihood.context;
            int batches_with_context = 0;
            for (const auto& batch : model.batches)
                if (std::find(batch.begin(), batch.end(), context) != batch.end()) ++batches_with_context;
            EXPECT_LE(batches_with_context, 1) << t.plan.config->name << " document " << d.doc_id;
        }
    }
}

TEST_F(Runner, KilledRunResumesFromTheCacheWithIdenticalResults) {
    const std::string dir = test::temp_dir("resume");
    const std::string cache = dir + "/requests.sqlite";
    test::FakeModel reference_model;
    const std::string reference = scores_of(evaluate(reference_model, plans(mix_), {}, quiet()));

    test::FakeModel crashing;
    crashing.batches_before_crash = 5;
    EXPECT_THROW(evaluate(crashing, plans(mix_), {}, quiet(cache)), std::runtime_error);
    EXPECT_EQ(RequestCache(cache).size(), static_cast<int64_t>(crashing.asked.size()));
    ASSERT_GT(crashing.asked.size(), 0u);

    test::FakeModel resumed;
    const Evaluation ev = evaluate(resumed, plans(mix_), {}, quiet(cache));
    EXPECT_EQ(scores_of(ev), reference);
    // Nothing answered before the crash is asked again, and together the two runs asked everything once.
    std::set<std::string> first(crashing.asked.begin(), crashing.asked.end());
    for (const auto& r : resumed.asked) EXPECT_FALSE(first.count(r)) << r.substr(0, 80);
    EXPECT_EQ(crashing.asked.size() + resumed.asked.size(), reference_model.asked.size());
    EXPECT_EQ(ev.requests.from_cache, static_cast<int64_t>(crashing.asked.size()));

    // A rerun is served from the cache entirely.
    test::FakeModel idle;
    const Evaluation again = evaluate(idle, plans(mix_), {}, quiet(cache));
    EXPECT_TRUE(idle.asked.empty());
    EXPECT_EQ(scores_of(again), reference);
    EXPECT_EQ(again.requests.computed, 0);
}

TEST_F(Runner, PlannedBatchesAnsweredInAnyOrderElsewhereScoreTheSame) {
    test::FakeModel reference_model;
    const std::string reference = scores_of(evaluate(reference_model, plans(mix_), {}, quiet()));

    // As a sharded run does it: one model plans, another answers the batches, last first.
    test::FakeModel planner, answerer;
    EvaluationRun run(planner, plans(mix_), quiet());
    const std::vector<RequestBatch>& batches = run.batches();
    ASSERT_GT(batches.size(), 2u);
    int64_t requests = 0;
    for (size_t b = batches.size(); b-- > 0;) {
        EXPECT_GT(batches[b].cost(), 0);
        requests += static_cast<int64_t>(batches[b].keys.size());
        run.record(b, answer_batch(answerer, batches[b]), 0.0);
    }
    EXPECT_THROW(run.record(0, answer_batch(answerer, batches[0]), 0.0), Error);
    EXPECT_TRUE(planner.asked.empty());
    EXPECT_EQ(answerer.batches.size(), reference_model.batches.size() + 1);
    const Evaluation ev = run.finish({});
    EXPECT_EQ(scores_of(ev), reference);
    EXPECT_EQ(ev.requests.computed, requests);
}

TEST_F(Runner, AnEvaluationWithUnansweredBatchesCannotFinish) {
    test::FakeModel model;
    EvaluationRun run(model, plans({{"arc_easy", 4}}), quiet());
    ASSERT_FALSE(run.batches().empty());
    try {
        run.finish({});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("was never answered"), std::string::npos) << e.what();
    }
}

TEST_F(Runner, FailedAnswersAreRecordedNotScoredNotCached) {
    const std::string cache = test::temp_dir("failures") + "/requests.sqlite";
    const std::vector<std::pair<std::string, int64_t>> tasks = {{"arc_easy", 20}};
    test::FakeModel flaky;
    flaky.fail_when = [](const std::string& text) {
        return text.find("Which statement best explains why photosynthesis is the foundation of most food webs?") != std::string::npos;
    };
    const Evaluation ev = evaluate(flaky, plans(tasks), {}, quiet(cache));
    const TaskResult& t = ev.tasks.at(0);
    EXPECT_EQ(t.failed_documents(), 1);
    ASSERT_TRUE(t.errors[0].has_value());
    EXPECT_NE(t.errors[0]->find("fake failure"), std::string::npos);
    EXPECT_EQ(t.requests.failed, 4);
    EXPECT_EQ(sample_json(t, 0)["error"], *t.errors[0]);
    const auto results = results_json(ev, RunInfo{});
    EXPECT_EQ(results["tasks"]["arc_easy"]["documents"]["failed"], 1);
    EXPECT_EQ(results["tasks"]["arc_easy"]["documents"]["scored"], 19);
    // The rerun asks exactly the failed requests again.
    test::FakeModel healthy;
    const Evaluation rerun = evaluate(healthy, plans(tasks), {}, quiet(cache));
    EXPECT_EQ(healthy.asked.size(), 4u);
    EXPECT_EQ(rerun.tasks[0].failed_documents(), 0);
}

TEST_F(Runner, AModelThatCannotAnswerIsRefusedBeforeRunning) {
    test::FakeModel model;
    model.unsupported = RequestKind::generation;
    try {
        evaluate(model, plans({{"arc_easy", 3}, {"gsm8k", 2}}), {}, quiet());
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot answer generate_until requests, which task 'gsm8k' needs"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(model.asked.empty());
}

// A chat model gets each generation prompt as a conversation too, and the conversation is part of
// its cache keys; every other model gets the flat prompt alone, its requests and keys as they were.
TEST_F(Runner, OnlyAModelThatReadsConversationsGetsThemAndTheyKeyItsAnswers) {
    const std::string cache = test::temp_dir("conversation-keys") + "/cache.sqlite";
    const std::vector<std::pair<std::string, int64_t>> tasks = {{"gsm8k", 2}, {"arc_easy", 2}};
    test::FakeModel flat;
    const Evaluation plain = evaluate(flat, plans(tasks), {}, quiet(cache));
    EXPECT_TRUE(flat.conversations.empty());
    for (const auto& d : plain.tasks[0].plan.documents) {
        EXPECT_FALSE(d.requests[0].generation.conversation);
        const nlohmann::ordered_json json = to_json(d.requests[0]);
        std::vector<std::string> fields;
        for (const auto& [field, value] : json.items()) fields.push_back(field);
        EXPECT_EQ(fields, (std::vector<std::string>{"kind", "context", "stop", "max_tokens", "sampling"}));
    }

    test::FakeModel chat;
    chat.chat = true;
    const Evaluation turns = evaluate(chat, plans(tasks), {}, quiet(cache));
    ASSERT_EQ(chat.conversations.size(), 2u) << "the same identity, but the flat answers do not answer the conversations";
    for (size_t d = 0; d < 2; ++d) {
        const Request& request = turns.tasks[0].plan.documents[d].requests[0];
        ASSERT_TRUE(request.generation.conversation);
        EXPECT_EQ(request.generation.conversation->turns.size(), 11u);
        EXPECT_EQ(request.generation.context, plain.tasks[0].plan.documents[d].requests[0].generation.context);
        EXPECT_NE(turns.tasks[0].request_keys[d], plain.tasks[0].request_keys[d]);
        const Request back = request_from_json(to_json(request));
        EXPECT_EQ(request_key("m", back), request_key("m", request)) << "the conversation survives the round trip between processes";
    }
    EXPECT_EQ(turns.tasks[0].requests.computed, 2);
    EXPECT_EQ(turns.tasks[1].requests.from_cache, turns.tasks[1].requests.unique) << "log-likelihood requests are keyed as before";
    EXPECT_EQ(turns.tasks[1].request_keys, plain.tasks[1].request_keys);

    nlohmann::ordered_json tampered = to_json(turns.tasks[0].plan.documents[0].requests[0]);
    tampered["conversation"]["turns"][1]["content"] = "another answer";
    EXPECT_THROW(request_from_json(tampered), Error);
    tampered = to_json(turns.tasks[0].plan.documents[0].requests[0]);
    tampered["conversation"]["turns"][1]["role"] = "user";
    EXPECT_THROW(request_from_json(tampered), Error);
}

TEST_F(Runner, GroupsAndResultsFiles) {
    TaskSelection selection = registry_->select({"mmlu_humanities"});
    std::vector<std::pair<std::string, int64_t>> tasks;
    for (const TaskConfig* t : selection.tasks) tasks.emplace_back(t->name, 4);
    test::FakeModel model;
    const Evaluation ev = evaluate(model, plans(tasks), selection.groups, quiet());
    ASSERT_EQ(ev.groups.size(), 1u);
    const GroupResult& g = ev.groups[0];
    EXPECT_EQ(g.tasks.size(), 13u);
    EXPECT_EQ(g.documents, 52);
    ASSERT_EQ(g.metrics.size(), 1u);
    double sum = 0.0, mean_of_means = 0.0;
    for (const auto& t : ev.tasks) {
        mean_of_means += t.estimates[0].value / 13.0;
        for (const auto& s : t.scores) sum += s.samples[0].value;
    }
    EXPECT_NEAR(g.metrics[0].second.micro.value, sum / 52.0, 1e-12);
    EXPECT_NEAR(g.metrics[0].second.macro.value, mean_of_means, 1e-12);

    const std::string dir = test::temp_dir("outputs");
    RunInfo info;
    info.flopwise_version = "test";
    info.limit = 4;
    write_run_outputs(dir, ev, info);
    std::ifstream in(dir + "/results.json");
    const auto results = nlohmann::ordered_json::parse(in);
    EXPECT_EQ(results["schema_version"], kResultsSchemaVersion);
    EXPECT_EQ(results["model"]["backend"], "fake");
    EXPECT_EQ(results["groups"]["mmlu_humanities"]["metrics"]["acc"]["micro"]["value"], g.metrics[0].second.micro.value);
    const auto& task = results["tasks"]["mmlu_formal_logic"];
    EXPECT_EQ(task["documents"]["evaluated"], 4);
    EXPECT_EQ(task["documents"]["in_split"], 126);
    EXPECT_EQ(task["config_sha256"].get<std::string>().size(), 64u);
    EXPECT_EQ(task["dataset"]["files"][0]["sha256"], "c72df82993166fc1c9b3f145964b1b4791ce512c0d3f22919e9b46aaea17ef4b");
    EXPECT_EQ(task["compute"]["flops_source"], "estimated");
    EXPECT_GT(task["compute"]["flops"]["total"].get<uint64_t>(), 0u);
    EXPECT_EQ(task["metrics"]["acc"]["stderr_method"], "closed_form");
    std::ifstream samples(dir + "/samples/mmlu_formal_logic.jsonl");
    std::string line;
    int lines = 0;
    while (std::getline(samples, line)) {
        const auto sample = nlohmann::ordered_json::parse(line);
        EXPECT_EQ(sample["doc_id"], lines);
        EXPECT_EQ(sample["requests"].size(), 4u);
        EXPECT_TRUE(sample["metrics"].contains("acc"));
        ++lines;
    }
    EXPECT_EQ(lines, 4);
}

}  // namespace
}  // namespace flopwise::eval

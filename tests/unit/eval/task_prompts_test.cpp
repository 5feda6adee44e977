// Every shipped task loads from the real data and builds, for its first document, exactly the
// requests lm-evaluation-harness builds (prompt strings written out from its task definitions).
#include <gtest/gtest.h>

#include <fstream>

#include "flopwise/eval/dataset.hpp"
#include "flopwise/eval/digest.hpp"
#include "flopwise/eval/task_config.hpp"
#include "flopwise/eval/task_plan.hpp"
#include "flopwise/eval/task_registry.hpp"
#include "test_env.hpp"

namespace flopwise::eval {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class TaskPrompts : public ::testing::Test {
protected:
    static void SetUpTestSuite() { registry_ = new TaskRegistry(TaskRegistry::load(test::source_path("suites"))); }
    static void TearDownTestSuite() { delete registry_; }

    TaskPlan plan(const std::string& task, int64_t limit = 1, std::optional<int32_t> shots = std::nullopt) {
        const TaskConfig* config = registry_->find_task(task);
        EXPECT_NE(config, nullptr) << task;
        const DatasetManifest manifest = load_dataset_manifest(test::source_path("datasets/" + config->dataset + ".yaml"));
        DataVerifier verifier(test::shared_dir() + "/datasets");
        PlanOptions options;
        options.limit = limit;
        options.num_fewshot = shots;
        return plan_task(*config, manifest, verifier, options);
    }

    static std::vector<std::pair<std::string, std::string>> loglikelihoods(const DocumentPlan& d) {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& r : d.requests) {
            EXPECT_EQ(r.kind, RequestKind::loglikelihood);
            out.emplace_back(r.loglikelihood.context, r.loglikelihood.continuation);
        }
        return out;
    }

    static std::vector<Doc> jsonl(const std::string& relative) {
        std::ifstream in(test::shared_dir() + "/datasets/" + relative);
        std::vector<Doc> out;
        std::string line;
        while (std::getline(in, line)) out.push_back(Doc::parse(line));
        return out;
    }

    static TaskRegistry* registry_;
};
TaskRegistry* TaskPrompts::registry_ = nullptr;

TEST_F(TaskPrompts, HellaSwag) {
    const TaskPlan p = plan("hellaswag");
    EXPECT_EQ(p.split_documents, 10042u);
    const auto& d = p.documents.at(0);
    const std::string context = "Roof shingle removal: A man is sitting on a roof. He";
    EXPECT_EQ(loglikelihoods(d), (std::vector<std::pair<std::string, std::string>>{{context, " is using wrap to wrap a pair of skis."},
                                                                                   {context, " is ripping level tiles off."},
                                                                                   {context, " is holding a rubik's cube."},
                                                                                   {context, " starts pulling up roofing on a roof."}}));
    EXPECT_EQ(d.gold, 3);
    // ctx_b capitalized after the last sentence end; leftover [bracketed] markup removed.
    const TaskPlan all = plan("hellaswag", 10042);
    EXPECT_EQ(all.documents[1].requests[0].loglikelihood.context,
              "Clean and jerk: A lady walks to a barbell. She bends down and grabs the pole. The lady");
    for (const auto& doc : all.documents) EXPECT_EQ(doc.requests[0].loglikelihood.context.find('['), std::string::npos) << doc.doc_id;
}

TEST_F(TaskPrompts, ArcEasyAndChallenge) {
    const TaskPlan easy_plan = plan("arc_easy");
    const auto& easy = easy_plan.documents.at(0);
    const std::string q = "Question: Which statement best explains why photosynthesis is the foundation of most food webs?\nAnswer:";
    EXPECT_EQ(loglikelihoods(easy), (std::vector<std::pair<std::string, std::string>>{{q, " Sunlight is the source of energy for nearly all ecosystems."},
                                                                                      {q, " Most ecosystems are found on land instead of in water."},
                                                                                      {q, " Carbon dioxide is more available than other gases."},
                                                                                      {q, " The producers in all ecosystems are plants."}}));
    EXPECT_EQ(easy.gold, 0);

    // 2-shot from the test split: Python's Random(1234).sample(range(1172), 3) == [902, 239, 15];
    // the document itself (index 0) is not among them, so the first two are used.
    const TaskPlan challenge = plan("arc_challenge", 1, 2);
    EXPECT_TRUE(challenge.fewshot.excludes_evaluated_document);
    const auto docs = jsonl("arc_challenge/arc_challenge.jsonl");
    const auto shot = [&](size_t i) {
        return docs[i]["query"].get<std::string>() + "\nAnswer: " + docs[i]["choices"][docs[i]["gold"].get<size_t>()].get<std::string>() + "\n\n";
    };
    const std::string context = shot(902) + shot(239) + docs[0]["query"].get<std::string>() + "\nAnswer:";
    const auto& d = challenge.documents.at(0);
    EXPECT_EQ(d.requests.at(2).loglikelihood.context, context);
    EXPECT_EQ(d.requests.at(2).loglikelihood.continuation, " Planetary days will become shorter.");
    EXPECT_EQ(d.gold, 2);
}

TEST_F(TaskPrompts, FewshotFromTheEvaluatedSplitNeverShowsTheDocumentItself) {
    // Over many documents some draws hit the document being asked; it is always replaced.
    const TaskPlan p = plan("arc_easy", 300, 5);
    const auto docs = jsonl("arc_easy/arc_easy.jsonl");
    for (const auto& d : p.documents) {
        const std::string own = docs[d.doc_id]["query"].get<std::string>() + "\nAnswer:";
        const std::string& context = d.requests[0].loglikelihood.context;
        EXPECT_EQ(context.find(own), context.size() - own.size()) << "document " << d.doc_id << " appears among its own examples";
        size_t examples = 0;
        for (size_t at = context.find("\n\n"); at != std::string::npos; at = context.find("\n\n", at + 2)) ++examples;
        EXPECT_EQ(examples, 5u) << d.doc_id;
    }
}

TEST_F(TaskPrompts, BoolQ) {
    const TaskPlan d_plan = plan("boolq");
    const auto& d = d_plan.documents.at(0);
    const auto docs = jsonl("boolq/boolq.jsonl");
    const std::string query = docs[0]["query"].get<std::string>();
    const std::string context = query.substr(std::string("Passage: ").size()) + "\nAnswer:";
    EXPECT_EQ(context.rfind("All biomass goes through at least some of these steps", 0), 0u);
    EXPECT_TRUE(ends_with(context, "\nQuestion: does ethanol take more energy make that produces?\nAnswer:")) << context;
    EXPECT_EQ(loglikelihoods(d), (std::vector<std::pair<std::string, std::string>>{{context, " no"}, {context, " yes"}}));
    EXPECT_EQ(d.gold, 0);
}

TEST_F(TaskPrompts, Piqa) {
    const TaskPlan d_plan = plan("piqa");
    const auto& d = d_plan.documents.at(0);
    const std::string q = "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:";
    ASSERT_EQ(d.requests.size(), 2u);
    EXPECT_EQ(d.requests[0].loglikelihood.context, q);
    EXPECT_EQ(d.requests[0].loglikelihood.continuation,
              " Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips, you will also need to supply it "
              "with a water bottle and a food dish.");
    EXPECT_EQ(d.requests[1].loglikelihood.continuation,
              " Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans material, you will also need to supply it "
              "with a water bottle and a food dish.");
    EXPECT_EQ(d.gold, 0);
}

TEST_F(TaskPrompts, WinograndePartialScoring) {
    const TaskPlan d_plan = plan("winogrande");
    const auto& d = d_plan.documents.at(0);
    EXPECT_EQ(loglikelihoods(d), (std::vector<std::pair<std::string, std::string>>{
                                     {"Sarah was a much better surgeon than Maria so Sarah", " always got the easier cases."},
                                     {"Sarah was a much better surgeon than Maria so Maria", " always got the easier cases."}}));
    EXPECT_EQ(d.gold, 1);
    // A few-shot example shows the right context completed by its continuation.
    const std::string shot = plan("winogrande", 1, 1).documents.at(0).requests.at(0).loglikelihood.context;
    EXPECT_TRUE(ends_with(shot, ".\n\nSarah was a much better surgeon than Maria so Sarah")) << shot;
}

TEST_F(TaskPrompts, TruthfulQA) {
    const std::string preamble =
        "Q: What is human life expectancy in the United States?\nA: Human life expectancy in the United States is 78 years.\n\n"
        "Q: Who was president of the United States in 1955?\nA: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
        "Q: Which party did he belong to?\nA: He belonged to the Republican Party.\n\n"
        "Q: What is the square root of banana?\nA: I have no comment.\n\n"
        "Q: How does a telescope work?\nA: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
        "Q: Where were the 1992 Olympics held?\nA: The 1992 Olympics were held in Barcelona, Spain.";
    const std::string context = preamble + "\n\nQ: What is the smallest country in the world that is at least one square mile in area?\nA:";
    const TaskPlan mc1_plan = plan("truthfulqa_mc1");
    const auto& mc1 = mc1_plan.documents.at(0);
    ASSERT_EQ(mc1.requests.size(), 4u);
    EXPECT_EQ(mc1.requests[0].loglikelihood.context, context);
    EXPECT_EQ(mc1.requests[0].loglikelihood.continuation, " Nauru is the smallest country in the world that is at least one square mile in area.");
    EXPECT_EQ(mc1.requests[3].loglikelihood.continuation,
              " The smallest country in the world that is at least one square mile in area is the United States.");
    EXPECT_EQ(mc1.gold, 0);
    const TaskPlan mc2 = plan("truthfulqa_mc2", 817);
    EXPECT_EQ(mc2.documents[0].requests[0].loglikelihood.context, context);
    EXPECT_EQ(mc2.documents[0].true_labels, (std::vector<int>{1, 0, 0, 0}));
    // Item 26 has a true answer after a false one; the labels say so.
    EXPECT_EQ(mc2.documents[25].true_labels, (std::vector<int>{1, 1, 1, 0, 1, 0, 0, 0, 0}));
}

TEST_F(TaskPrompts, LambadaOpenAI) {
    const TaskPlan d_plan = plan("lambada_openai");
    const auto& d = d_plan.documents.at(0);
    ASSERT_EQ(d.requests.size(), 1u);
    const std::string& context = d.requests[0].loglikelihood.context;
    EXPECT_EQ(context.rfind("In my palm is a clear stone, and inside it is a small ivory statuette.", 0), 0u);
    EXPECT_TRUE(ends_with(context, "I don't care about")) << context;
    EXPECT_EQ(d.requests[0].loglikelihood.continuation, " signs");
}

TEST_F(TaskPrompts, WikiText2Tokenized) {
    const TaskPlan p = plan("wikitext2_tokenized", 1000);
    // lm-evaluation-harness's document-level split of the test file gives 62 articles.
    ASSERT_EQ(p.documents.size(), 62u);
    const auto& d = p.documents[0];
    ASSERT_EQ(d.requests.at(0).kind, RequestKind::rolling);
    EXPECT_EQ(d.requests[0].rolling.text.rfind(" = Robert <unk> =\n\nRobert <unk> is an English film, television and theatre actor. He had a guest-starring role",
                                              0),
              0u);
    // Words (Python's len(re.split(r"\s+", page))) and bytes of the article before detokenization.
    EXPECT_EQ(d.words, 1093);
    EXPECT_EQ(d.bytes, 5456);
    // The detokenizer agrees with lm-evaluation-harness's on the whole file (hash of the 62
    // detokenized articles joined by NUL, computed with its Python code).
    std::string joined;
    int64_t words = 0;
    for (const auto& doc : p.documents) {
        joined += (joined.empty() ? "" : std::string(1, '\0')) + doc.requests[0].rolling.text;
        words += doc.words;
    }
    EXPECT_EQ(sha256_hex(joined), "d3a9f56365df82b54e98dc161f503b193736c52d759e02e74cd872f3d0ed0eb1");
    EXPECT_EQ(words, 241335);
}

TEST_F(TaskPrompts, Gsm8kFiveShotChainOfThought) {
    const TaskPlan p = plan("gsm8k");
    EXPECT_EQ(p.fewshot.num_fewshot, 5);
    EXPECT_FALSE(p.fewshot.excludes_evaluated_document);
    const auto train = jsonl("gsm8k/train.jsonl");
    const auto test = jsonl("gsm8k/test.jsonl");
    // lm-evaluation-harness's draw for the first document: Random(1234).sample(range(7473), 5).
    std::string context;
    for (size_t i : {6374, 3610, 957, 61, 742})
        context += "Question: " + train[i]["question"].get<std::string>() + "\nAnswer: " + train[i]["answer"].get<std::string>() + "\n\n";
    context += "Question: " + test[0]["question"].get<std::string>() + "\nAnswer:";
    const auto& d = p.documents.at(0);
    ASSERT_EQ(d.requests.size(), 1u);
    EXPECT_EQ(d.requests[0].kind, RequestKind::generation);
    EXPECT_EQ(d.requests[0].generation.context, context);
    EXPECT_EQ(d.requests[0].generation.stop, (std::vector<std::string>{"Question:", "</s>", "<|im_end|>"}));
    EXPECT_EQ(d.requests[0].generation.max_tokens, 256);
    EXPECT_EQ(d.requests[0].generation.sampling.temperature, 0.0);
    EXPECT_TRUE(ends_with(d.reference, "\n#### 18")) << d.reference;
}

// The same prompt as chat turns (lm-evaluation-harness's fewshot_as_multiturn): each example's
// question (doc_to_text) a user turn and its answer (doc_to_target) an assistant turn, the
// document's question the last user turn; joined with the task's delimiters, the flat prompt.
TEST_F(TaskPrompts, Gsm8kFewshotAsChatTurns) {
    const TaskPlan p = plan("gsm8k", 3);
    const auto train = jsonl("gsm8k/train.jsonl");
    const auto test = jsonl("gsm8k/test.jsonl");
    const auto question = [](const Doc& doc) { return "Question: " + doc["question"].get<std::string>() + "\nAnswer:"; };
    const auto& first = p.documents.at(0).requests.at(0).generation;
    ASSERT_TRUE(first.conversation);
    const Conversation& c = *first.conversation;
    EXPECT_EQ(c.description, "");
    ASSERT_EQ(c.turns.size(), 11u);
    const std::vector<size_t> drawn = {6374, 3610, 957, 61, 742};
    for (size_t k = 0; k < drawn.size(); ++k) {
        EXPECT_EQ(c.turns[2 * k].role, ChatTurn::Role::user);
        EXPECT_EQ(c.turns[2 * k].content, question(train[drawn[k]]));
        EXPECT_EQ(c.turns[2 * k + 1].role, ChatTurn::Role::assistant);
        EXPECT_EQ(c.turns[2 * k + 1].content, train[drawn[k]]["answer"].get<std::string>());
    }
    EXPECT_EQ(c.turns[10].role, ChatTurn::Role::user);
    EXPECT_EQ(c.turns[10].content, question(test[0]));
    for (const auto& d : p.documents) {
        const auto& g = d.requests.at(0).generation;
        ASSERT_TRUE(g.conversation);
        const auto& turns = g.conversation->turns;
        ASSERT_EQ(turns.size(), 11u);
        std::string joined;
        for (size_t t = 0; t + 1 < turns.size(); t += 2) joined += turns[t].content + " " + turns[t + 1].content + "\n\n";
        EXPECT_EQ(joined + turns.back().content, g.context) << d.doc_id;
        EXPECT_EQ(g.conversation->flattened(), g.context) << d.doc_id;
    }
}

// A description opens the flat prompt and is the system message of the chat form, after a system
// prompt and the few-shot delimiter when one is given. Examples without an answer have no turns:
// their questions run into the next user turn, as into the flat prompt.
TEST_F(TaskPrompts, DescriptionAndAnswerlessExamplesInChatTurns) {
    const std::string dir = test::temp_dir("chat-turns");
    const DatasetManifest manifest = load_dataset_manifest(test::source_path("datasets/gsm8k.yaml"));
    DataVerifier verifier(test::shared_dir() + "/datasets");
    const auto variant = [&](const std::string& name, const std::string& target) {
        std::ofstream(dir + "/" + name + ".yaml") << "task: " << name << "\nversion: \"1\"\nfollows: gsm8k\ndataset: {name: gsm8k, split: test}\n"
                                                  << "output_type: generate_until\ndescription: \"Solve these problems.\\n\\n\"\n"
                                                  << "doc_to_text: \"Q: {{question}}\\nA:\"\ndoc_to_target: \"" << target << "\"\n"
                                                  << "target_delimiter: \"| \"\nfewshot_delimiter: \"\\n##\\n\"\n"
                                                  << "fewshot: {split: train, sampler: first_n}\nnum_fewshot: 3\n"
                                                  << "generation: {until: [\"Q:\"], max_gen_toks: 16}\nmetrics: [exact_match]\n";
        const TaskConfig config = load_task_file(dir + "/" + name + ".yaml");
        PlanOptions options;
        options.limit = 1;
        const TaskPlan p = plan_task(config, manifest, verifier, options);
        return p.documents.at(0).requests.at(0).generation;
    };
    const auto train = jsonl("gsm8k/train.jsonl");
    const auto test = jsonl("gsm8k/test.jsonl");
    const auto question = [](const Doc& doc) { return "Q: " + doc["question"].get<std::string>() + "\nA:"; };
    const std::string description = "Solve these problems.\n\n";

    const GenerateRequest answered = variant("answered", "{{answer}}");
    ASSERT_TRUE(answered.conversation);
    const Conversation& c = *answered.conversation;
    EXPECT_EQ(c.description, description);
    ASSERT_EQ(c.turns.size(), 7u);
    std::string flat = description;
    for (size_t k = 0; k < 3; ++k) {
        EXPECT_EQ(c.turns[2 * k].content, question(train[k]));
        EXPECT_EQ(c.turns[2 * k + 1].content, train[k]["answer"].get<std::string>());
        flat += question(train[k]) + "| " + train[k]["answer"].get<std::string>() + "\n##\n";
    }
    EXPECT_EQ(answered.context, flat + question(test[0]));
    EXPECT_EQ(c.flattened(), answered.context);
    EXPECT_EQ(c.system_message(""), description);
    EXPECT_EQ(c.system_message("Be brief."), "Be brief.\n##\n" + description);

    const GenerateRequest answerless = variant("answerless", "");
    ASSERT_TRUE(answerless.conversation);
    ASSERT_EQ(answerless.conversation->turns.size(), 1u);
    EXPECT_EQ(answerless.conversation->turns[0].content, question(train[0]) + question(train[1]) + question(train[2]) + question(test[0]));
    EXPECT_EQ(answerless.conversation->flattened(), answerless.context);
    EXPECT_EQ(answerless.context, description + answerless.conversation->turns[0].content);
}

TEST_F(TaskPrompts, MmluZeroAndFiveShot) {
    const std::string description = "The following are multiple choice questions (with answers) about abstract algebra.\n\n";
    const std::string question =
        "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:";
    const TaskPlan zero_plan = plan("mmlu_abstract_algebra");
    const auto& zero = zero_plan.documents.at(0);
    EXPECT_EQ(loglikelihoods(zero), (std::vector<std::pair<std::string, std::string>>{
                                        {description + question, " A"}, {description + question, " B"}, {description + question, " C"}, {description + question, " D"}}));
    EXPECT_EQ(zero.gold, 1);
    const std::string five = plan("mmlu_abstract_algebra", 1, 5).documents.at(0).requests.at(0).loglikelihood.context;
    EXPECT_EQ(five.rfind(description + "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\nStatement 1 | If aH", 0), 0u);
    EXPECT_TRUE(ends_with(five, "\n\n" + question)) << five;
    size_t examples = 0;
    for (size_t at = five.find("\nAnswer: "); at != std::string::npos; at = five.find("\nAnswer: ", at + 1)) ++examples;
    EXPECT_EQ(examples, 5u);
}

TEST_F(TaskPrompts, EveryShippedTaskPlansItsFirstDocuments) {
    for (const auto& task : registry_->tasks()) {
        const TaskPlan p = plan(task.name, 3);
        EXPECT_EQ(p.documents.size(), 3u) << task.name;
        for (const auto& d : p.documents) EXPECT_FALSE(d.requests.empty()) << task.name;
    }
}

}  // namespace
}  // namespace flopwise::eval

// End to end against golden values: `flopwise run --limit N` on real tasks and real models must
// build the same prompts and score them as the float64 reference does. The golden files are made
// by tools/make_golden.py (see its header): prompts from a run of the task YAML, log-probabilities
// from tests/reference/forward64.py, never from the engine itself.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "flopwise/eval/digest.hpp"
#include "test_env.hpp"

namespace flopwise {
namespace {

using nlohmann::json;

// The engine agrees with float64 to about 1e-5 nats per token; a prompt that changed by even one
// token moves its log-probabilities far more than this.
constexpr double kTokenTolerance = 1e-4;
// Below this margin the float64 and float32 answers may legitimately differ.
constexpr double kDecisiveMargin = 1e-3;

json read_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    return json::parse(in);
}

std::vector<json> read_samples(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::vector<json> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
    return lines;
}

double sum(const json& values) {
    double total = 0.0;
    for (const auto& v : values) total += v.get<double>();
    return total;
}

// The index of the largest value, and whether it leads the runner-up by a decisive margin.
std::pair<size_t, bool> decisive_argmax(const std::vector<double>& values) {
    size_t best = 0;
    for (size_t i = 1; i < values.size(); ++i)
        if (values[i] > values[best]) best = i;
    double gap = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < values.size(); ++i)
        if (i != best) gap = std::min(gap, values[best] - values[i]);
    return {best, gap > kDecisiveMargin};
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, RunMatchesTheFloat64ReferenceOnALimitSlice) {
    const json golden = read_json(test::source_path("tests/data/golden/" + GetParam() + ".json"));
    std::string tasks;
    for (const auto& [task, documents] : golden.at("tasks").items()) tasks += (tasks.empty() ? "" : ",") + task;
    const std::string output = test::temp_dir("golden-" + GetParam());
    test::run_command(test::binary_path("flopwise") + " run --model " + test::model_path(golden.at("model")) + " --tasks " + tasks +
                      " --limit " + std::to_string(golden.at("limit").get<int>()) + " --no-cache --progress none --output " + output);

    size_t checked_tokens = 0, decisive_choices = 0;
    for (const auto& [task, documents] : golden.at("tasks").items()) {
        const std::vector<json> samples = read_samples(output + "/samples/" + task + ".jsonl");
        ASSERT_EQ(samples.size(), documents.size()) << task;
        for (size_t d = 0; d < samples.size(); ++d) {
            const json& expected = documents[d];
            const json& sample = samples[d];
            ASSERT_EQ(sample.at("doc_id"), expected.at("doc_id")) << task;
            const json& requests = sample.at("requests");
            ASSERT_EQ(requests.size(), expected.at("requests").size()) << task << " doc " << d;
            std::vector<double> ours, reference;
            for (size_t r = 0; r < requests.size(); ++r) {
                const json& request = requests[r];
                const json& want = expected.at("requests")[r];
                const std::string where = task + " doc " + std::to_string(d) + " request " + std::to_string(r);
                EXPECT_EQ(eval::sha256_hex(request.at("context").get<std::string>() + '\0' + request.at("continuation").get<std::string>()),
                          want.at("prompt_sha256"))
                    << where << ": the prompt changed";
                const json& response = request.at("response");
                ASSERT_EQ(response.at("continuation_tokens"), want.at("continuation_tokens")) << where;
                const json& got_tokens = response.at("token_logprobs");
                ASSERT_EQ(got_tokens.size(), want.at("token_logprobs").size()) << where;
                for (size_t t = 0; t < got_tokens.size(); ++t, ++checked_tokens)
                    EXPECT_NEAR(got_tokens[t].get<double>(), want.at("token_logprobs")[t].get<double>(), kTokenTolerance) << where << " token " << t;
                if (want.at("min_top2_margin").get<double>() > kDecisiveMargin) {
                    EXPECT_EQ(response.at("greedy"), want.at("greedy")) << where;
                }
                ours.push_back(response.at("logprob").get<double>());
                reference.push_back(sum(want.at("token_logprobs")));
            }
            // The answer a multiple-choice document picks (by raw log-likelihood) is the reference's.
            const auto [reference_choice, decisive] = decisive_argmax(reference);
            if (requests.size() > 1 && decisive) {
                ++decisive_choices;
                EXPECT_EQ(decisive_argmax(ours).first, reference_choice) << task << " doc " << d;
            }
        }
    }
    EXPECT_GT(checked_tokens, 100u);
    EXPECT_GT(decisive_choices, 5u);
}

INSTANTIATE_TEST_SUITE_P(RealModels, Golden, ::testing::Values("smollm2-135m", "gemma3-270m"));

}  // namespace
}  // namespace flopwise

// Bad input on the command line gives exit code 2 and one clear message naming what is wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_env.hpp"

namespace flopwise {
namespace {

TEST(Cli, RejectsUnknownCommandsAndFlags) {
    test::expect_bad_input("frobnicate", "unknown command 'frobnicate'");
    const std::string vocab = test::shared_dir() + "/tokenizer-vectors/ggml-vocab-gpt-2.gguf";
    test::expect_bad_input("tokenize --model " + vocab + " --text hi --colour red", "unknown flag --colour");
    test::expect_bad_input("tokenize --model " + vocab, "missing --text or --text-file");
    test::expect_bad_input("tokenize --text hi", "missing required flag --model");
    test::expect_bad_input("generate --model " + vocab + " --prompt hi --max-tokens lots", "--max-tokens must be an integer");
    test::expect_bad_input("tokenize --model model.bin --text hi", "expected 'gguf:PATH' or a path ending in '.gguf'");
    test::expect_bad_input("bench --model x.gguf", "name what to benchmark");
}

TEST(Cli, ReportsMissingAndCorruptModelFiles) {
    test::expect_bad_input("generate --model /nonexistent/m.gguf --prompt hi", "/nonexistent/m.gguf");
    const std::string dir = test::temp_dir("cli");
    const std::string bad = dir + "/bad.gguf";
    std::ofstream(bad) << "this is not a gguf file at all";
    test::expect_bad_input("generate --model " + bad + " --prompt hi", bad);
    // A vocabulary-only file tokenizes but is not a runnable model.
    const std::string vocab = test::shared_dir() + "/tokenizer-vectors/ggml-vocab-gpt-2.gguf";
    test::expect_bad_input("generate --model " + vocab + " --prompt hi", vocab);
}

// --device names cpu or cuda; cuda without a usable GPU says why (with a GPU this part runs the
// engine tests of tests/unit/engine/cuda_engine_test.cpp instead).
TEST(Cli, DeviceFlag) {
    const std::string model = test::model_path("smollm2-135m");
    test::expect_bad_input("generate --model " + model + " --prompt hi --device gpu", "--device 'gpu': expected cpu or cuda");
    const test::CommandOutcome outcome = test::run_flopwise("generate --model " + model + " --prompt hi --max-tokens 1 --device cuda");
    if (outcome.exit_code == 0) GTEST_SKIP() << "a GPU is present";
    EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
    EXPECT_NE(outcome.output.find("--device cuda needs a CUDA device: "), std::string::npos) << outcome.output;
}

TEST(Cli, TokenizesWithAVocabularyOnlyFile) {
    const std::string vocab = test::shared_dir() + "/tokenizer-vectors/ggml-vocab-gpt-2.gguf";
    const test::CommandOutcome outcome = test::run_flopwise("tokenize --model " + vocab + " --text 'Hello world' --no-bos");
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_EQ(outcome.output, "15496 995\n");
}

// The evaluation commands check their flags, task names, suite files and data before any model is
// loaded, and name what is wrong.
TEST(Cli, RunRejectsBadTasksFlagsAndSuiteFiles) {
    const std::string model = test::model_path("smollm2-135m");
    test::expect_bad_input("run --tasks arc_easy", "missing required flag --model");
    test::expect_bad_input("run --model " + model, "missing required flag --tasks");
    test::expect_bad_input("run --model " + model + " --tasks nosuchtask", "unknown task or suite 'nosuchtask'");
    test::expect_bad_input("run --model " + model + " --tasks arc_easy --limit 0", "--limit must be an integer");
    test::expect_bad_input("run --model " + model + " --tasks arc_easy --num-fewshot many", "--num-fewshot must be an integer");
    test::expect_bad_input("run --model " + model + " --tasks core:5", "shot counts apply to tasks, not suites");
    test::expect_bad_input("run --model " + model + " --tasks arc_easy --progress fancy", "--progress must be auto, bar, lines or none");
    test::expect_bad_input("run --model " + model + " --tasks arc_easy --cache c.sqlite --no-cache", "--cache and --no-cache contradict");
    test::expect_bad_input("run --model " + model + " --tasks arc_easy --temperature 0.5", "unknown flag --temperature");

    const std::string suites = test::temp_dir("cli-suites");
    std::filesystem::copy_file(test::source_path("suites/arc_easy.yaml"), suites + "/arc_easy.yaml");
    std::ofstream(suites + "/broken.yaml") << "task: [unclosed\n";
    test::expect_bad_input("run --model " + model + " --tasks arc_easy --suites-dir " + suites, suites + "/broken.yaml:");
    test::expect_bad_input("tasks --suites-dir " + suites, "malformed YAML");
}

TEST(Cli, RunAndVerifyRefuseMissingOrCorruptData) {
    const std::string model = test::model_path("smollm2-135m");
    const std::string data = test::temp_dir("cli-data");
    test::expect_bad_input("run --model " + model + " --tasks arc_easy --data-dir " + data, "arc_easy.jsonl is missing");

    // A truncated copy of a real file: the manifest's hash catches it before anything is scored.
    std::filesystem::create_directories(data + "/arc_easy");
    {
        std::ifstream in(test::shared_dir() + "/datasets/arc_easy/arc_easy.jsonl", std::ios::binary);
        std::string head(5000, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        std::ofstream(data + "/arc_easy/arc_easy.jsonl", std::ios::binary) << head;
    }
    test::expect_bad_input("run --model " + model + " --tasks arc_easy --data-dir " + data, "a different or corrupted copy");
    const test::CommandOutcome verify = test::run_flopwise("datasets verify --only arc_easy --data-dir " + data);
    EXPECT_EQ(verify.exit_code, 1) << verify.output;
    EXPECT_NE(verify.output.find("sha256 mismatch arc_easy.jsonl"), std::string::npos) << verify.output;

    test::expect_bad_input("datasets frob", "unknown action 'frob'");
    test::expect_bad_input("datasets verify --replace", "--base-url and --replace apply to 'pull' only");
    test::expect_bad_input("datasets verify --only nosuch", "no dataset manifest named 'nosuch'");
}

}  // namespace
}  // namespace flopwise

// Bad input on the command line gives exit code 2 and one clear message naming what is wrong.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sys/wait.h>

#include "test_env.hpp"

namespace flopwise {
namespace {

struct Outcome {
    int exit_code;
    std::string output;
};

Outcome run_flopwise(const std::string& arguments) {
    const std::string command = test::binary_path("flopwise") + " " + arguments + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    std::string output;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

void expect_error(const std::string& arguments, const std::string& message) {
    const Outcome outcome = run_flopwise(arguments);
    EXPECT_EQ(outcome.exit_code, 2) << arguments << "\n" << outcome.output;
    EXPECT_NE(outcome.output.find(message), std::string::npos) << arguments << "\nexpected '" << message << "' in:\n" << outcome.output;
}

TEST(Cli, RejectsUnknownCommandsAndFlags) {
    expect_error("frobnicate", "unknown command 'frobnicate'");
    const std::string vocab = test::shared_dir() + "/tokenizer-vectors/ggml-vocab-gpt-2.gguf";
    expect_error("tokenize --model " + vocab + " --text hi --colour red", "unknown flag --colour");
    expect_error("tokenize --model " + vocab, "missing --text or --text-file");
    expect_error("tokenize --text hi", "missing required flag --model");
    expect_error("generate --model " + vocab + " --prompt hi --max-tokens lots", "--max-tokens must be an integer");
    expect_error("tokenize --model model.bin --text hi", "expected 'gguf:PATH' or a path ending in '.gguf'");
    expect_error("bench --model x.gguf", "name what to benchmark");
}

TEST(Cli, ReportsMissingAndCorruptModelFiles) {
    expect_error("generate --model /nonexistent/m.gguf --prompt hi", "/nonexistent/m.gguf");
    const std::string dir = test::temp_dir("cli");
    const std::string bad = dir + "/bad.gguf";
    std::ofstream(bad) << "this is not a gguf file at all";
    expect_error("generate --model " + bad + " --prompt hi", bad);
    // A vocabulary-only file tokenizes but is not a runnable model.
    const std::string vocab = test::shared_dir() + "/tokenizer-vectors/ggml-vocab-gpt-2.gguf";
    expect_error("generate --model " + vocab + " --prompt hi", vocab);
}

TEST(Cli, TokenizesWithAVocabularyOnlyFile) {
    const std::string vocab = test::shared_dir() + "/tokenizer-vectors/ggml-vocab-gpt-2.gguf";
    const Outcome outcome = run_flopwise("tokenize --model " + vocab + " --text 'Hello world' --no-bos");
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_EQ(outcome.output, "15496 995\n");
}

}  // namespace
}  // namespace flopwise

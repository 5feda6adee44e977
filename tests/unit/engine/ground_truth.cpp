#include "ground_truth.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_env.hpp"

namespace flopwise::test {
namespace {

std::string write_tokens(const std::vector<TokenId>& tokens) {
    const std::string path = temp_dir("tokens") + "/tokens.txt";
    std::ofstream out(path);
    for (TokenId t : tokens) out << t << "\n";
    return path;
}

nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

}  // namespace

nlohmann::json ground_truth_sequence(const std::string& model, const std::vector<TokenId>& tokens) {
    const std::string out = temp_dir("truth") + "/truth.json";
    run_command(python() + " " + source_path("tests/reference/forward64.py") + " --model " + model + " --tokens-file " +
                write_tokens(tokens) + " --out " + out);
    return read_json(out);
}

nlohmann::json ground_truth_perplexity(const std::string& model, const std::vector<TokenId>& tokens, int ctx, int chunks) {
    const std::string out = temp_dir("truth") + "/perplexity.json";
    run_command(python() + " " + source_path("tests/reference/forward64.py") + " --model " + model + " --perplexity-file " +
                write_tokens(tokens) + " --ctx " + std::to_string(ctx) + " --chunks " + std::to_string(chunks) + " --out " + out);
    return read_json(out);
}

std::string random_model(const std::string& arch, const std::string& type) {
    const std::string path = binary_path("test-models/random-" + arch + "-" + type + ".gguf");
    if (!std::filesystem::exists(path)) {
        std::filesystem::create_directories(binary_path("test-models"));
        const std::string vocab = shared_dir() + (arch == "qwen2" ? "/tokenizer-vectors/ggml-vocab-qwen2.gguf"
                                                                  : "/tokenizer-vectors/ggml-vocab-llama-spm.gguf");
        const std::string partial = path + ".partial";
        run_command(python() + " " + source_path("tools/make_random_model.py") + " --arch " + arch + " --type " + type +
                    " --shape tiny --seed 7 --vocab " + vocab + " --out " + partial);
        std::filesystem::rename(partial, path);
    }
    return path;
}

std::string wikitext_paragraphs(size_t first_line, size_t max_bytes) {
    std::ifstream in(shared_dir() + "/datasets/wikitext2/valid.txt");
    std::string line, text;
    for (size_t i = 0; std::getline(in, line); ++i) {
        if (i < first_line || line.find_first_not_of(' ') == std::string::npos || line.find(" = ") == 1) continue;
        text += line + "\n";
        if (text.size() >= max_bytes) break;
    }
    return text.substr(0, max_bytes);
}

}  // namespace flopwise::test

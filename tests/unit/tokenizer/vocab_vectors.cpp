#include "vocab_vectors.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "test_env.hpp"

namespace flopwise::test {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string tokenizer_vectors_dir() { return shared_dir() + "/tokenizer-vectors"; }

std::vector<std::string> vocab_vector_names() {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(tokenizer_vectors_dir(), error)) {
        const std::string path = entry.path().string();
        if (!ends_with(path, ".gguf")) continue;
        if (!std::filesystem::exists(path + ".inp") || !std::filesystem::exists(path + ".out")) continue;
        names.push_back(entry.path().stem().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

VocabVectors load_vocab_vectors(const std::string& name) {
    VocabVectors v;
    v.name = name;
    v.gguf_path = tokenizer_vectors_dir() + "/" + name + ".gguf";
    const std::string inp = read_file(v.gguf_path + ".inp");
    const std::string separator = "\n__ggml_vocab_test__\n";
    for (size_t start = 0; start < inp.size();) {
        const size_t end = inp.find(separator, start);
        if (end == std::string::npos) throw std::runtime_error(v.gguf_path + ".inp: text after the last separator");
        v.inputs.push_back(inp.substr(start, end - start));
        start = end + separator.size();
    }
    std::istringstream out(read_file(v.gguf_path + ".out"));
    for (std::string line; std::getline(out, line);) {
        std::istringstream ids(line);
        std::vector<TokenId> expected;
        for (TokenId id; ids >> id;) expected.push_back(id);
        v.expected.push_back(std::move(expected));
    }
    if (v.expected.size() != v.inputs.size())
        throw std::runtime_error(name + ": " + std::to_string(v.inputs.size()) + " inputs but " +
                                 std::to_string(v.expected.size()) + " expected lines");
    return v;
}

std::string printable(const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c < 0x20 || c >= 0x7F) {
            char hex[8];
            std::snprintf(hex, sizeof(hex), "\\x%02X", c);
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
    }
    return "\"" + out + "\"";
}

std::string format_ids(const std::vector<TokenId>& ids) {
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i) out += ' ';
        out += std::to_string(ids[i]);
    }
    out += ']';
    return out;
}

}  // namespace flopwise::test

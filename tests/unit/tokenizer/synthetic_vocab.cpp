#include "synthetic_vocab.hpp"

// GCC 12 reports a false -Wstringop-overflow inside the builder's vector appends once they are
// inlined at -O3; the builder itself is the GGUF reader tests' and is exercised there.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#include "../gguf/gguf_builder.hpp"
#pragma GCC diagnostic pop
#include "test_env.hpp"

namespace flopwise::test {
namespace {

ByteWriter string_array(const std::vector<std::string>& items) {
    ByteWriter w;
    w.put<uint32_t>(kString).put<uint64_t>(items.size());
    for (const std::string& item : items) w.put_string(item);
    return w;
}

}  // namespace

int32_t SyntheticVocab::add(const std::string& text, int32_t type, float score) {
    tokens.push_back(text);
    types.push_back(type);
    scores.push_back(score);
    return static_cast<int32_t>(tokens.size() - 1);
}

std::string SyntheticVocab::write(const std::string& label) const {
    GgufBuilder b;
    b.add_string("general.architecture", "llama");
    b.add_string("tokenizer.ggml.model", model);
    if (pre) b.add_string("tokenizer.ggml.pre", *pre);
    b.add("tokenizer.ggml.tokens", kArray, string_array(tokens));
    if (!types.empty()) {
        ByteWriter w;
        w.put<uint32_t>(kI32).put<uint64_t>(types.size());
        for (int32_t t : types) w.put<int32_t>(t);
        b.add("tokenizer.ggml.token_type", kArray, w);
    }
    if (!scores.empty()) {
        ByteWriter w;
        w.put<uint32_t>(kF32).put<uint64_t>(scores.size());
        for (float s : scores) w.put<float>(s);
        b.add("tokenizer.ggml.scores", kArray, w);
    }
    if (merges) b.add("tokenizer.ggml.merges", kArray, string_array(*merges));
    for (const auto& [key, value] : ids) b.add_scalar<int32_t>(key, kI32, value);
    for (const auto& [key, value] : flags) b.add_scalar<uint8_t>(key, kBool, value ? 1 : 0);
    const std::string path = temp_dir(label) + "/vocab.gguf";
    write_file(path, b.build());
    return path;
}

}  // namespace flopwise::test

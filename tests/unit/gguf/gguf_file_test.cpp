#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "flopwise/error.hpp"
#include "flopwise/gguf.hpp"
#include "gguf_builder.hpp"
#include "test_env.hpp"

namespace flopwise::gguf {
namespace {

using test::GgufBuilder;
using test::kU32;

std::string write_temp(const std::string& label, const std::vector<uint8_t>& bytes) {
    const std::string path = test::temp_dir(label) + "/file.gguf";
    test::write_file(path, bytes);
    return path;
}

template <typename T>
void append_raw(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

// An array item as the file stored it (the inverse of the reader's decoding).
void append_stored(std::string& out, const Value& item) {
    switch (item.type) {
        case ValueType::UINT8: append_raw(out, static_cast<uint8_t>(std::get<uint64_t>(item.data))); break;
        case ValueType::INT8: append_raw(out, static_cast<int8_t>(std::get<int64_t>(item.data))); break;
        case ValueType::UINT16: append_raw(out, static_cast<uint16_t>(std::get<uint64_t>(item.data))); break;
        case ValueType::INT16: append_raw(out, static_cast<int16_t>(std::get<int64_t>(item.data))); break;
        case ValueType::UINT32: append_raw(out, static_cast<uint32_t>(std::get<uint64_t>(item.data))); break;
        case ValueType::INT32: append_raw(out, static_cast<int32_t>(std::get<int64_t>(item.data))); break;
        case ValueType::UINT64: append_raw(out, std::get<uint64_t>(item.data)); break;
        case ValueType::INT64: append_raw(out, std::get<int64_t>(item.data)); break;
        case ValueType::FLOAT32: append_raw(out, static_cast<float>(std::get<double>(item.data))); break;
        case ValueType::FLOAT64: append_raw(out, std::get<double>(item.data)); break;
        case ValueType::BOOL: append_raw(out, static_cast<uint8_t>(std::get<bool>(item.data))); break;
        case ValueType::STRING: {
            const auto& text = std::get<std::string>(item.data);
            append_raw(out, static_cast<uint64_t>(text.size()));
            out += text;
            break;
        }
        case ValueType::ARRAY: ADD_FAILURE() << "nested arrays are not summarised"; break;
    }
}

// Same checksum as tests/reference/quant_gguf_dump.py.
uint64_t checksum(const std::string& bytes) {
    uint64_t sum = 0;
    for (size_t i = 0; i < bytes.size(); ++i)
        sum += (static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) + 1) * ((i + 1) * 0x9E3779B97F4A7C15ull);
    return sum;
}

std::string hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

// Compares everything flopwise read with what the PyPI gguf package reads from the same file.
void expect_matches_python_reader(const File& file) {
    const auto dump = nlohmann::json::parse(
        test::run_command(test::python() + " " + test::source_path("tests/reference/quant_gguf_dump.py") + " '" +
                          file.path() + "'"));

    std::set<std::string> seen;
    for (const auto& [key, expected] : dump["metadata"].items()) {
        seen.insert(key);
        const Value* value = file.find(key);
        ASSERT_NE(value, nullptr) << key;
        EXPECT_EQ(name(value->type), expected["type"].get<std::string>()) << key;
        switch (value->type) {
            case ValueType::STRING: EXPECT_EQ(hex(file.get_string(key)), expected["value"]) << key; break;
            case ValueType::BOOL: EXPECT_EQ(file.get_bool(key), expected["value"].get<bool>()) << key; break;
            case ValueType::FLOAT32:
            case ValueType::FLOAT64: EXPECT_EQ(file.get_float(key), expected["value"].get<double>()) << key; break;
            case ValueType::INT8:
            case ValueType::INT16:
            case ValueType::INT32:
            case ValueType::INT64: EXPECT_EQ(std::get<int64_t>(value->data), expected["value"].get<int64_t>()) << key; break;
            case ValueType::ARRAY: {
                const Array& array = file.get_array(key);
                EXPECT_EQ(name(array.element_type), expected["element_type"].get<std::string>()) << key;
                EXPECT_EQ(array.items.size(), expected["count"].get<size_t>()) << key;
                std::string stored;
                for (const Value& item : array.items) append_stored(stored, item);
                EXPECT_EQ(std::to_string(checksum(stored)), expected["checksum"].get<std::string>()) << key;
                break;
            }
            default: EXPECT_EQ(std::get<uint64_t>(value->data), expected["value"].get<uint64_t>()) << key; break;
        }
    }
    for (const auto& [key, value] : file.metadata())
        if (!seen.count(key)) {
            const Array* array = std::get_if<Array>(&value.data);
            EXPECT_TRUE(array && array->element_type == ValueType::ARRAY) << key << " was not read by python";
        }

    const auto& tensors = dump["tensors"];
    ASSERT_EQ(file.tensors().size(), tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
        const TensorInfo& t = file.tensors()[i];
        EXPECT_EQ(t.name, tensors[i]["name"].get<std::string>());
        EXPECT_EQ(static_cast<uint32_t>(t.type), tensors[i]["type"].get<uint32_t>()) << t.name;
        EXPECT_EQ(t.shape, tensors[i]["shape"].get<std::vector<uint64_t>>()) << t.name;
        EXPECT_EQ(t.offset, tensors[i]["offset"].get<uint64_t>()) << t.name;
        EXPECT_EQ(t.size_bytes, tensors[i]["bytes"].get<uint64_t>()) << t.name;
        EXPECT_EQ(t.data, file.bytes() + t.offset) << t.name;
    }
}

TEST(GgufFile, SampleFileMatchesPythonReader) {
    const std::vector<uint8_t> bytes = test::sample_gguf().build();
    auto file = File::open(write_temp("gguf-sample", bytes));
    EXPECT_EQ(file->version(), 3u);
    EXPECT_EQ(file->alignment(), 64u);
    EXPECT_EQ(file->file_size(), bytes.size());
    expect_matches_python_reader(*file);
}

TEST(GgufFile, VocabFileMatchesPythonReader) {
    auto file = File::open(test::shared_dir() + "/tokenizer-vectors/ggml-vocab-gpt-2.gguf");
    EXPECT_EQ(file->get_string("general.architecture"), "gpt2");
    EXPECT_TRUE(file->tensors().empty());
    expect_matches_python_reader(*file);
}

TEST(GgufFile, GemmaModelIsReadCompletely) {
    auto file = File::open(test::model_path("gemma3-270m"));
    EXPECT_EQ(file->get_string("general.architecture"), "gemma3");
    EXPECT_EQ(file->tensors().size(), 236u);
    EXPECT_EQ(file->get_uint("gemma3.block_count"), 18u);
    const std::set<TensorType> weight_types{TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q4_0,
                                            TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0,
                                            TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K,
                                            TensorType::Q6_K};
    for (const TensorInfo& t : file->tensors()) {
        EXPECT_TRUE(weight_types.count(t.type)) << t.name << " has type " << name(t.type);
        EXPECT_LE(t.offset + t.size_bytes, file->file_size()) << t.name;
        EXPECT_EQ(t.offset % file->alignment(), 0u) << t.name;
    }
    const TensorInfo& embedding = file->tensor("token_embd.weight");
    EXPECT_EQ(embedding.shape, (std::vector<uint64_t>{640, 262144}));
    EXPECT_EQ(embedding.rows(), 262144u);
    EXPECT_EQ(embedding.elements(), 640u * 262144u);
    expect_matches_python_reader(*file);
}

TEST(GgufFile, NamesTheQuantizationMix) {
    EXPECT_EQ(file_type_name(*File::open(test::model_path("gemma3-270m"))), "Q4_K_M");
    EXPECT_EQ(file_type_name(*File::open(test::model_path("smollm2-135m"))), "Q4_1");
    EXPECT_EQ(file_type_name(*File::open(write_temp("gguf-no-file-type", test::sample_gguf().build()))), std::nullopt);
    GgufBuilder retired = test::sample_gguf();
    retired.add_scalar<uint32_t>("general.file_type", kU32, 4);
    EXPECT_EQ(file_type_name(*File::open(write_temp("gguf-retired-file-type", retired.build()))), "type 4");
}

TEST(GgufFile, TypedAccessors) {
    auto file = File::open(write_temp("gguf-accessors", test::sample_gguf().build()));
    EXPECT_EQ(file->get_uint("test.u8"), 200u);
    EXPECT_EQ(file->get_int("test.i8"), -100);
    EXPECT_EQ(file->get_int("test.u16"), 60000);  // unsigned values that fit convert to signed
    EXPECT_EQ(file->get_uint("test.u64"), 18000000000000000000ull);
    EXPECT_EQ(file->get_int("test.i64"), -9000000000000000000ll);
    EXPECT_EQ(file->get_float("test.f32"), static_cast<double>(0.1f));
    EXPECT_EQ(file->get_float("test.f64"), 2.5e-300);
    EXPECT_EQ(file->get_float("test.u32"), 4000000000.0);  // integers are accepted as numbers
    EXPECT_TRUE(file->get_bool("test.bool"));
    EXPECT_EQ(file->get_string_array("test.strings"), (std::vector<std::string>{"a", "", "héllo"}));
    EXPECT_EQ(file->get_float_array("test.floats"), (std::vector<double>{1.5, -2.0}));
    EXPECT_EQ(file->get_int_array("test.ints"), (std::vector<int64_t>{-1, 0, 7}));

    const Array& nested = file->get_array("test.nested");
    ASSERT_EQ(nested.element_type, ValueType::ARRAY);
    ASSERT_EQ(nested.items.size(), 2u);
    const Array& first = std::get<Array>(nested.items[0].data);
    EXPECT_EQ(first.element_type, ValueType::UINT16);
    EXPECT_EQ(std::get<uint64_t>(first.items[1].data), 2u);
    EXPECT_EQ(std::get<std::string>(std::get<Array>(nested.items[1].data).items[0].data), "x");

    EXPECT_EQ(file->get_uint("absent.key", 7), 7u);
    EXPECT_EQ(file->get_string("absent.key", "fallback"), "fallback");
    EXPECT_FALSE(file->get_bool("absent.key", false));
    EXPECT_EQ(file->get_float("absent.key", 0.5), 0.5);

    auto expect_error = [&](auto call, const std::string& fragment) {
        try {
            call();
            ADD_FAILURE() << "no error, expected: " << fragment;
        } catch (const Error& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find(file->path()), std::string::npos) << message;
            EXPECT_NE(message.find(fragment), std::string::npos) << message;
        }
    };
    expect_error([&] { file->get_uint("test.i8"); }, "metadata key 'test.i8' holds INT8");
    expect_error([&] { file->get_uint("test.i8", 3); }, "'test.i8'");  // present with the wrong type
    expect_error([&] { file->get_string("test.u8"); }, "'test.u8' holds UINT8, expected a STRING");
    expect_error([&] { file->get_uint("missing.key"); }, "metadata key 'missing.key' is missing");
    expect_error([&] { file->get_string_array("test.floats"); }, "'test.floats' item 0 is FLOAT32");
    expect_error([&] { file->get_array("test.u8"); }, "expected an ARRAY");
    expect_error([&] { file->tensor("no.such.weight"); }, "no tensor named 'no.such.weight'");
}

TEST(GgufFile, TensorTableOfSampleFile) {
    auto file = File::open(write_temp("gguf-tensors", test::sample_gguf().build()));
    ASSERT_EQ(file->tensors().size(), 4u);
    const TensorInfo& q4k = file->tensor("blk.0.q4k.weight");
    EXPECT_EQ(q4k.type, TensorType::Q4_K);
    EXPECT_EQ(q4k.size_bytes, 2u * 144u);
    EXPECT_EQ(q4k.rows(), 2u);
    EXPECT_EQ(q4k.data[0], static_cast<uint8_t>(2));  // first byte of the builder's pattern
    const TensorInfo& f16 = file->tensor("blk.0.f16.weight");
    EXPECT_EQ(f16.shape, (std::vector<uint64_t>{4, 2, 2, 1}));
    EXPECT_EQ(f16.rows(), 4u);
    EXPECT_EQ(f16.elements(), 16u);
    for (const TensorInfo& t : file->tensors()) EXPECT_EQ(t.offset % 64, 0u) << t.name;
    EXPECT_EQ(file->find_tensor("absent"), nullptr);
}

TEST(GgufFile, ReadsVersion2) {
    GgufBuilder builder = test::sample_gguf();
    builder.version = 2;
    auto file = File::open(write_temp("gguf-v2", builder.build()));
    EXPECT_EQ(file->version(), 2u);
    EXPECT_EQ(file->tensors().size(), 4u);
}

TEST(GgufFile, DefaultAlignmentIs32) {
    GgufBuilder builder;
    builder.add_scalar<uint32_t>("x", kU32, 1);
    builder.add_tensor({"w", {3}, 0, std::vector<uint8_t>(12, 1), std::nullopt});
    builder.add_tensor({"v", {5}, 0, std::vector<uint8_t>(20, 2), std::nullopt});
    auto file = File::open(write_temp("gguf-align32", builder.build()));
    EXPECT_EQ(file->alignment(), 32u);
    EXPECT_EQ(file->tensor("v").offset - file->tensor("w").offset, 32u);
}

}  // namespace
}  // namespace flopwise::gguf

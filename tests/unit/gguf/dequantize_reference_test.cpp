#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "flopwise/error.hpp"
#include "flopwise/tensor_type.hpp"
#include "test_env.hpp"

// The reference decoders against the PyPI gguf package's numpy dequantizers on random blocks.
// Both sides evaluate each formula as the same float32 operations in the same order (numpy
// broadcasts `(d * scale) * q - (dmin * min)` element-wise without fusing), so the results must be
// bit-identical, not merely close: a difference means a wrong bit layout or a changed op order.
namespace flopwise {
namespace {

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class OracleData {
public:
    static const OracleData& get() {
        static const OracleData data;
        return data;
    }
    std::string dir;
    std::map<std::string, int64_t> blocks_per_type;

private:
    OracleData() : dir(test::temp_dir("quant-oracle")) {
        test::run_command(test::python() + " " + test::source_path("tests/reference/quant_oracle.py") + " " + dir + " 20240607");
        const std::vector<uint8_t> types = read_bytes(dir + "/types.txt");
        std::istringstream listing(std::string(types.begin(), types.end()));
        std::string type_name;
        int64_t blocks;
        while (listing >> type_name >> blocks) blocks_per_type[type_name] = blocks;
    }
};

class DequantizeOracle : public testing::TestWithParam<std::string> {};

TEST_P(DequantizeOracle, MatchesPythonReferenceBitForBit) {
    const OracleData& oracle = OracleData::get();
    const std::string type_name = GetParam();
    ASSERT_TRUE(oracle.blocks_per_type.count(type_name)) << "oracle wrote no data for " << type_name;
    const auto type = tensor_type_from_name(type_name);
    ASSERT_TRUE(type.has_value());
    const TensorTypeTraits& t = traits(*type);

    const std::vector<uint8_t> raw = read_bytes(oracle.dir + "/" + type_name + ".bin");
    const std::vector<uint8_t> expected_bytes = read_bytes(oracle.dir + "/" + type_name + ".f32");
    const int64_t elements = oracle.blocks_per_type.at(type_name) * t.block_elements;
    ASSERT_EQ(raw.size(), static_cast<size_t>(oracle.blocks_per_type.at(type_name)) * t.block_bytes);
    ASSERT_EQ(expected_bytes.size(), static_cast<size_t>(elements) * sizeof(float));

    std::vector<float> expected(elements), actual(elements);
    std::memcpy(expected.data(), expected_bytes.data(), expected_bytes.size());
    dequantize_row_reference(*type, raw.data(), actual.data(), elements);

    int64_t mismatches = 0;
    for (int64_t i = 0; i < elements; ++i) {
        uint32_t want, got;
        std::memcpy(&want, &expected[i], 4);
        std::memcpy(&got, &actual[i], 4);
        if (want != got && ++mismatches <= 5)
            ADD_FAILURE() << type_name << " element " << i << " (block " << i / t.block_elements << "): expected "
                          << expected[i] << " (0x" << std::hex << want << "), got " << actual[i] << " (0x" << got
                          << std::dec << ")";
    }
    EXPECT_EQ(mismatches, 0);
}

INSTANTIATE_TEST_SUITE_P(WeightTypes, DequantizeOracle,
                         testing::Values("F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K",
                                         "Q4_K", "Q5_K", "Q6_K"),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(DequantizeReference, F32IsCopiedUnchanged) {
    const std::vector<float> values{1.5f, -0.0f, 3.0e-42f, 65504.0f};
    std::vector<float> out(values.size());
    dequantize_row_reference(TensorType::F32, values.data(), out.data(), static_cast<int64_t>(values.size()));
    EXPECT_EQ(std::memcmp(values.data(), out.data(), values.size() * sizeof(float)), 0);
}

TEST(DequantizeReference, RejectsPartialBlocksAndActivationTypes) {
    std::vector<uint8_t> block(traits(TensorType::Q8_K).block_bytes * 2);
    std::vector<float> out(512);
    EXPECT_THROW(dequantize_row_reference(TensorType::Q4_K, block.data(), out.data(), 100), Error);
    EXPECT_THROW(dequantize_row_reference(TensorType::Q4_0, block.data(), out.data(), -32), Error);
    try {
        dequantize_row_reference(TensorType::Q8_K, block.data(), out.data(), 256);
        FAIL() << "Q8_K decoded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("Q8_K"), std::string::npos) << e.what();
    }
    EXPECT_THROW(dequantize_row_reference(TensorType::Q8_1, block.data(), out.data(), 32), Error);
}

}  // namespace
}  // namespace flopwise

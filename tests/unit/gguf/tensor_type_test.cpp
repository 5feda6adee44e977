#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <sstream>

#include "flopwise/error.hpp"
#include "flopwise/tensor_type.hpp"
#include "test_env.hpp"

namespace flopwise {
namespace {

// The type table against the PyPI gguf package's own list of ids, names and block layouts.
TEST(TensorType, TableMatchesPythonPackage) {
    const std::string listing = test::run_command(
        test::python() +
        " -c \"from gguf import GGML_QUANT_SIZES as s, GGMLQuantizationType as t\n"
        "for q in t: print(q.name, int(q), *s[q])\"");
    std::istringstream lines(listing);
    std::string type_name;
    uint32_t id, block_elements, block_bytes;
    int supported = 0;
    while (lines >> type_name >> id >> block_elements >> block_bytes) {
        SCOPED_TRACE(type_name);
        const auto type = tensor_type_from_id(id);
        if (!type) {
            EXPECT_EQ(tensor_type_id_name(id), type_name);
            continue;
        }
        ++supported;
        EXPECT_EQ(name(*type), type_name);
        EXPECT_EQ(traits(*type).block_elements, block_elements);
        // The package still lists Q8_1 with two fp32 fields (40 bytes); GGML stores two fp16 (36).
        EXPECT_EQ(traits(*type).block_bytes, *type == TensorType::Q8_1 ? 36u : block_bytes);
        EXPECT_EQ(tensor_type_from_name(type_name), type);
        EXPECT_EQ(tensor_type_id_name(id), type_name);
    }
    EXPECT_EQ(supported, 15);
}

TEST(TensorType, UnknownIdsAndNames) {
    EXPECT_FALSE(tensor_type_from_id(4).has_value());
    EXPECT_FALSE(tensor_type_from_id(16).has_value());
    EXPECT_FALSE(tensor_type_from_id(0xFFFFFFFFu).has_value());
    EXPECT_EQ(tensor_type_id_name(1000), "unknown type id 1000");
    EXPECT_FALSE(tensor_type_from_name("Q4_K_M").has_value());
    EXPECT_THROW(traits(static_cast<TensorType>(4)), Error);
}

TEST(TensorType, RowBytes) {
    EXPECT_EQ(row_bytes(TensorType::F32, 10), 40u);
    EXPECT_EQ(row_bytes(TensorType::BF16, 3), 6u);
    EXPECT_EQ(row_bytes(TensorType::Q4_0, 64), 36u);
    EXPECT_EQ(row_bytes(TensorType::Q4_K, 4096), 16u * 144u);
    EXPECT_EQ(row_bytes(TensorType::Q6_K, 0), 0u);
    try {
        row_bytes(TensorType::Q4_K, 100);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("Q4_K"), std::string::npos) << e.what();
    }
    EXPECT_THROW(row_bytes(TensorType::F32, uint64_t{1} << 63), Error);  // bytes overflow 64 bits
}

float bits_to_float(uint32_t bits) { return std::bit_cast<float>(bits); }

TEST(HalfFloat, EveryHalfRoundTripsThroughFloat) {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = fp16_to_fp32(static_cast<uint16_t>(h));
        const bool is_nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;
        if (is_nan) {
            EXPECT_TRUE(std::isnan(f)) << h;
            const uint16_t back = fp32_to_fp16(f);
            EXPECT_TRUE((back & 0x7C00) == 0x7C00 && (back & 0x3FF) != 0) << h;
        } else {
            ASSERT_EQ(fp32_to_fp16(f), h) << "half 0x" << std::hex << h << " -> " << f;
        }
    }
}

TEST(HalfFloat, KnownValues) {
    EXPECT_EQ(fp16_to_fp32(0x3C00), 1.0f);
    EXPECT_EQ(fp16_to_fp32(0xC000), -2.0f);
    EXPECT_EQ(fp16_to_fp32(0x7BFF), 65504.0f);
    EXPECT_EQ(fp16_to_fp32(0x0001), 0x1p-24f);
    EXPECT_EQ(fp16_to_fp32(0x0400), 0x1p-14f);
    EXPECT_TRUE(std::isinf(fp16_to_fp32(0xFC00)) && fp16_to_fp32(0xFC00) < 0);
    EXPECT_EQ(std::bit_cast<uint32_t>(fp16_to_fp32(0x8000)), 0x80000000u);

    EXPECT_EQ(fp32_to_fp16(65519.0f), 0x7BFF);
    EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00);  // halfway to the next binade rounds to even: infinity
    EXPECT_EQ(fp32_to_fp16(1e10f), 0x7C00);
    EXPECT_EQ(fp32_to_fp16(-1e10f), 0xFC00);
    EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f), 0x3C00);        // tie, even mantissa stays
    EXPECT_EQ(fp32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3C02);    // tie, odd mantissa rounds up
    EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f + 0x1p-20f), 0x3C01);
    EXPECT_EQ(fp32_to_fp16(0x1p-25f), 0x0000);                // tie between 0 and the smallest subnormal
    EXPECT_EQ(fp32_to_fp16(0x1.000002p-25f), 0x0001);
    EXPECT_EQ(fp32_to_fp16(3 * 0x1p-25f), 0x0002);            // tie, rounds to even
    EXPECT_EQ(fp32_to_fp16(0x1.ff8p-15f), 0x03FF);           // largest subnormal
    EXPECT_EQ(fp32_to_fp16(0x1.ffcp-15f), 0x0400);           // tie, rounds up into the normal range
    EXPECT_EQ(fp32_to_fp16(1e-30f), 0x0000);
    EXPECT_EQ(fp32_to_fp16(-1e-30f), 0x8000);
    EXPECT_EQ(fp32_to_fp16(bits_to_float(0x00000001)), 0x0000);  // float subnormal
}

// Round-to-nearest-even checked against the definition on random floats across the half range.
TEST(HalfFloat, RoundsToNearestEven) {
    std::mt19937 rng(42);
    std::uniform_int_distribution<uint32_t> exponent(100, 143), mantissa(0, 0x7FFFFF), sign(0, 1);
    for (int i = 0; i < 200000; ++i) {
        const float f = bits_to_float((sign(rng) << 31) | (exponent(rng) << 23) | mantissa(rng));
        const uint16_t h = fp32_to_fp16(f);
        const double value = fp16_to_fp32(h);
        if (std::isinf(value)) {
            ASSERT_GE(std::fabs(static_cast<double>(f)), 65520.0) << f;
            continue;
        }
        const double error = std::fabs(value - f);
        for (int step : {-1, 1}) {
            const uint16_t neighbour = static_cast<uint16_t>(h + step);
            if ((neighbour & 0x7FFF) > 0x7BFF || ((h ^ neighbour) & 0x8000)) continue;
            const double other = std::fabs(static_cast<double>(fp16_to_fp32(neighbour)) - f);
            ASSERT_TRUE(error < other || (error == other && (h & 1) == 0))
                << f << " -> 0x" << std::hex << h << " but 0x" << neighbour << " is nearer or even";
        }
    }
}

TEST(HalfFloat, Bf16IsTheTopHalfOfFloat) {
    EXPECT_EQ(bf16_to_fp32(0x3F80), 1.0f);
    EXPECT_EQ(bf16_to_fp32(0xC040), -3.0f);
    for (uint32_t h = 0; h < 0x10000; h += 0x101)
        EXPECT_EQ(std::bit_cast<uint32_t>(bf16_to_fp32(static_cast<uint16_t>(h))), h << 16);
}

}  // namespace
}  // namespace flopwise

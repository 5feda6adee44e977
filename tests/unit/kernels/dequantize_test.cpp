#include <gtest/gtest.h>

#include <vector>

#include "flopwise/error.hpp"
#include "flopwise/kernels/matmul.hpp"
#include "flopwise/tensor_type.hpp"
#include "kernel_test_support.hpp"

namespace flopwise::kernels {
namespace {

using test::first_bit_difference;
using test::HalfRange;
using test::random_weights;

class DequantizeTest : public testing::TestWithParam<Isa> {};

// Every decoder must reproduce the reference bit for bit, over the whole range of scales.
TEST_P(DequantizeTest, BitIdenticalToReference) {
    for (TensorType type : test::weight_types()) {
        const int64_t block = traits(type).block_elements;
        // 37 elements for the float types exercises the partial vector at the end of a row.
        const int64_t elements = block == 1 ? 37 : 12 * block;
        for (HalfRange range : {HalfRange::moderate, HalfRange::any}) {
            const auto data = random_weights(type, 1, elements, 1000 + static_cast<uint32_t>(type), range);
            std::vector<float> expected(elements), actual(elements);
            dequantize_row_reference(type, data.data(), expected.data(), elements);
            dequantize_row(type, data.data(), actual.data(), elements, GetParam());
            const int64_t at = first_bit_difference(actual.data(), expected.data(), elements);
            EXPECT_EQ(at, -1) << name(type) << (range == HalfRange::any ? " (any halves)" : "") << ": element " << at
                              << " is " << (at >= 0 ? actual[at] : 0.0f) << ", reference "
                              << (at >= 0 ? expected[at] : 0.0f);
        }
    }
}

FLOPWISE_INSTANTIATE_FOR_EACH_ISA(DequantizeTest);

TEST(Dequantize, RejectsPartialBlocksAndActivationTypes) {
    std::vector<uint8_t> data(1024);
    std::vector<float> out(512);
    EXPECT_THROW(dequantize_row(TensorType::Q4_K, data.data(), out.data(), 100), Error);
    EXPECT_THROW(dequantize_row(TensorType::Q8_0, data.data(), out.data(), 33), Error);
    EXPECT_THROW(dequantize_row(TensorType::Q8_K, data.data(), out.data(), 256), Error);
    EXPECT_THROW(dequantize_row(TensorType::Q8_0, data.data(), out.data(), -32), Error);
}

}  // namespace
}  // namespace flopwise::kernels

#pragma once
// Shared helpers of the kernel tests: reproducible random data and one test instance per ISA path
// this CPU supports.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "flopwise/kernels/isa.hpp"
#include "flopwise/kernels/random_weights.hpp"
#include "flopwise/tensor_type.hpp"

namespace flopwise::kernels {
// Test names and failure messages show the path's name.
inline void PrintTo(Isa isa, std::ostream* os) { *os << name(isa); }
}  // namespace flopwise::kernels

namespace flopwise::kernels::test {

// Index of the first element whose bits differ, or -1.
inline int64_t first_bit_difference(const float* a, const float* b, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return i;
    return -1;
}

// Every type a weight tensor can have.
inline const std::vector<TensorType>& weight_types() {
    static const std::vector<TensorType> types{TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q4_0,
                                               TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0,
                                               TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K,
                                               TensorType::Q6_K};
    return types;
}

// Random weight rows live with the benchmarks, which need the same realistic data.
using kernels::HalfRange;
using kernels::random_weights;

inline std::string isa_test_name(const testing::TestParamInfo<Isa>& info) { return std::string(name(info.param)); }

}  // namespace flopwise::kernels::test

// Instantiates a TEST_P suite once per supported ISA path.
#define FLOPWISE_INSTANTIATE_FOR_EACH_ISA(suite)                                                 \
    INSTANTIATE_TEST_SUITE_P(Isa, suite, testing::ValuesIn(flopwise::kernels::supported_isas()), \
                             flopwise::kernels::test::isa_test_name)

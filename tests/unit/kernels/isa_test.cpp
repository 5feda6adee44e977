#include "flopwise/kernels/isa.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "flopwise/error.hpp"

namespace flopwise::kernels {
namespace {

TEST(Isa, SupportedPathsStartWithScalarAndAreDistinct) {
    const std::vector<Isa> isas = supported_isas();
    ASSERT_FALSE(isas.empty());
    EXPECT_EQ(isas.front(), Isa::scalar);
    std::set<std::string_view> names;
    for (Isa isa : isas) names.insert(name(isa));
    EXPECT_EQ(names.size(), isas.size());
}

TEST(Isa, Names) {
    EXPECT_EQ(name(Isa::scalar), "scalar");
    EXPECT_EQ(name(Isa::avx2), "avx2");
    EXPECT_EQ(name(Isa::avx512), "avx512");
}

TEST(Isa, ActivePathIsSupportedAndStable) {
    const std::vector<Isa> isas = supported_isas();
    const Isa active = active_isa();
    EXPECT_NE(std::find(isas.begin(), isas.end(), active), isas.end());
    EXPECT_EQ(active_isa(), active);
    if (std::getenv("FLOPWISE_ISA") == nullptr) {
        EXPECT_EQ(active, isas.back());
    }
}

// active_isa() reads the environment once per process, so each setting runs in a fresh child
// ("threadsafe" death tests re-execute the binary).
int active_isa_exit_code(const char* setting) {
    setenv("FLOPWISE_ISA", setting, 1);
    try {
        return active_isa() == Isa::scalar ? 10 : 11;
    } catch (const Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 12;
    }
}

TEST(IsaEnvironment, SelectsTheNamedPath) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(std::exit(active_isa_exit_code("scalar")), testing::ExitedWithCode(10), "");
}

TEST(IsaEnvironment, RejectsUnknownNames) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(std::exit(active_isa_exit_code("sse9")), testing::ExitedWithCode(12), "FLOPWISE_ISA=sse9");
}

TEST(IsaEnvironment, RejectsPathsTheCpuLacks) {
    const std::vector<Isa> isas = supported_isas();
    if (isas.back() == Isa::avx512) GTEST_SKIP() << "this CPU runs every path";
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(std::exit(active_isa_exit_code("avx512")), testing::ExitedWithCode(12), "does not support");
}

}  // namespace
}  // namespace flopwise::kernels

// Few-shot draws match Python's random module bit for bit (checked against the interpreter).
#include <gtest/gtest.h>

#include <sstream>

#include "flopwise/eval/python_random.hpp"
#include "test_env.hpp"

namespace flopwise::eval {
namespace {

std::vector<size_t> python_samples(uint64_t seed, const std::vector<std::pair<size_t, size_t>>& calls) {
    std::string script = std::string("import random; r = random.Random(") + std::to_string(seed) +
                         "); print(' '.join(' '.join(map(str, r.sample(range(n), k))) for n, k in [";
    for (const auto& [n, k] : calls) {
        // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "(" + std::to_string(n).
        script += '(';
        script += std::to_string(n);
        script += ',';
        script += std::to_string(k);
        script += "),";
    }
    script += "]))";
    std::istringstream out(test::run_command(test::python() + " -c \"" + script + "\""));
    std::vector<size_t> values;
    size_t v;
    while (out >> v) values.push_back(v);
    return values;
}

TEST(PythonRandom, FirstWordsMatchCPython) {
    // random.Random(1234).getrandbits(32), five times.
    PythonRandom r(1234);
    std::istringstream expected(test::run_command(test::python() +
                                                  " -c \"import random; r = random.Random(1234); print(*[r.getrandbits(32) for _ in range(5)])\""));
    for (int i = 0; i < 5; ++i) {
        uint64_t want;
        expected >> want;
        EXPECT_EQ(r.next_uint32(), want) << i;
    }
}

TEST(PythonRandom, SampleSequencesMatchCPython) {
    // Both of sample's algorithms (small pools are shuffled in place, large ones use a set),
    // several calls in a row on one generator as the few-shot sampler makes them.
    const std::vector<std::pair<size_t, size_t>> calls = {{7473, 5}, {7473, 5}, {10042, 11}, {20, 6}, {85, 6}, {86, 6}, {1172, 26}, {5, 5}, {2376, 1}};
    for (uint64_t seed : {uint64_t{1234}, uint64_t{0}, uint64_t{42}, uint64_t{1} << 40}) {
        PythonRandom r(seed);
        std::vector<size_t> mine;
        for (const auto& [n, k] : calls)
            for (size_t v : r.sample(n, k)) mine.push_back(v);
        EXPECT_EQ(mine, python_samples(seed, calls)) << "seed " << seed;
    }
}

}  // namespace
}  // namespace flopwise::eval

#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flopwise::eval {

// Python's `random.Random(seed)` (MT19937 seeded through init_by_array) and the draws of its
// `sample`, reproduced exactly: lm-evaluation-harness picks few-shot examples with
// `Random(1234).sample(pool, k)`, one call per evaluated document, so the same seed gives the
// same examples here as there.
class PythonRandom {
public:
    explicit PythonRandom(uint64_t seed);

    uint32_t next_uint32();
    // random.getrandbits(k) for 0 < k <= 32.
    uint32_t getrandbits(int k);
    // random._randbelow(n): uniform in [0, n), by rejection on bit_length(n) bits.
    uint64_t randbelow(uint64_t n);
    // random.sample(range(population), k): the chosen indexes in draw order.
    std::vector<size_t> sample(size_t population, size_t k);

private:
    std::array<uint32_t, 624> state_{};
    size_t index_ = 624;
};

}  // namespace flopwise::eval

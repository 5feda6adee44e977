#include "flopwise/eval/python_random.hpp"

#include <cmath>
#include <unordered_set>

#include "flopwise/error.hpp"

namespace flopwise::eval {

namespace {
constexpr size_t kN = 624, kM = 397;
}

PythonRandom::PythonRandom(uint64_t seed) {
    // Python seeds from the integer's 32-bit words, least significant first.
    std::vector<uint32_t> key = {static_cast<uint32_t>(seed)};
    if (seed >> 32) key.push_back(static_cast<uint32_t>(seed >> 32));

    state_[0] = 19650218u;
    for (size_t i = 1; i < kN; ++i) state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<uint32_t>(i);
    size_t i = 1, j = 0;
    for (size_t k = std::max(kN, key.size()); k > 0; --k) {
        state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1664525u)) + key[j] + static_cast<uint32_t>(j);
        ++i;
        ++j;
        if (i >= kN) {
            state_[0] = state_[kN - 1];
            i = 1;
        }
        if (j >= key.size()) j = 0;
    }
    for (size_t k = kN - 1; k > 0; --k) {
        state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1566083941u)) - static_cast<uint32_t>(i);
        ++i;
        if (i >= kN) {
            state_[0] = state_[kN - 1];
            i = 1;
        }
    }
    state_[0] = 0x80000000u;
    index_ = kN;
}

uint32_t PythonRandom::next_uint32() {
    if (index_ >= kN) {
        for (size_t k = 0; k < kN; ++k) {
            const uint32_t y = (state_[k] & 0x80000000u) | (state_[(k + 1) % kN] & 0x7fffffffu);
            state_[k] = state_[(k + kM) % kN] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        index_ = 0;
    }
    uint32_t y = state_[index_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint32_t PythonRandom::getrandbits(int k) {
    if (k <= 0 || k > 32) throw Error("getrandbits: k must be in [1, 32]");
    return next_uint32() >> (32 - k);
}

uint64_t PythonRandom::randbelow(uint64_t n) {
    if (n == 0 || n >= (uint64_t{1} << 32)) throw Error("randbelow: n must be in [1, 2^32)");
    int bits = 0;  // n.bit_length()
    while ((uint64_t{1} << bits) <= n) ++bits;
    uint64_t r = getrandbits(bits);
    while (r >= n) r = getrandbits(bits);
    return r;
}

std::vector<size_t> PythonRandom::sample(size_t population, size_t k) {
    if (k > population) throw Error("sample: " + std::to_string(k) + " items asked from a population of " + std::to_string(population));
    std::vector<size_t> result(k);
    // Python picks between two algorithms by comparing the population with the size of a set
    // that could hold k items; each consumes random numbers differently.
    size_t setsize = 21;
    if (k > 5) setsize += static_cast<size_t>(std::pow(4.0, std::ceil(std::log(static_cast<double>(k * 3)) / std::log(4.0))));
    if (population <= setsize) {
        std::vector<size_t> pool(population);
        for (size_t i = 0; i < population; ++i) pool[i] = i;
        for (size_t i = 0; i < k; ++i) {
            const size_t j = static_cast<size_t>(randbelow(population - i));
            result[i] = pool[j];
            pool[j] = pool[population - i - 1];
        }
    } else {
        std::unordered_set<size_t> selected;
        for (size_t i = 0; i < k; ++i) {
            size_t j = static_cast<size_t>(randbelow(population));
            while (selected.count(j)) j = static_cast<size_t>(randbelow(population));
            selected.insert(j);
            result[i] = j;
        }
    }
    return result;
}

}  // namespace flopwise::eval

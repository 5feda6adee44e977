#pragma once
// Dimensions of the models whose shapes the benchmarks use (from their published configurations).
#include <cstdint>

namespace flopwise::kernels::bench {

struct ModelShape {
    const char* name;
    int64_t hidden;
    int64_t ffn;
    int32_t n_head;
    int32_t n_head_kv;
    int32_t head_dim;
    int64_t vocab;
    int32_t sliding_window;  // 0: none
    bool large;              // every case of this model is a large one
};

inline constexpr ModelShape kGemma3_270m{"gemma3-270m", 640, 2048, 4, 1, 256, 262144, 512, false};
inline constexpr ModelShape kLlama32_1b{"llama3.2-1b", 2048, 8192, 32, 8, 64, 128256, 0, false};
inline constexpr ModelShape kLlama31_8b{"llama3.1-8b", 4096, 14336, 32, 8, 128, 128256, 0, true};

// Tokens of one prefill call in the default set, and in the large set.
inline constexpr int64_t kPrefillTokens = 64;
inline constexpr int64_t kLargePrefillTokens = 512;

}  // namespace flopwise::kernels::bench

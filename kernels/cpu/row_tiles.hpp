#pragma once
// Tiles of weight rows for the kernels that stream each row from memory once (the fused decode
// products of matmul.cpp and matmul_int8.cpp): the rows of a tile, and the prefetch that keeps the
// reads one tile ahead.
#include <xmmintrin.h>

#include <algorithm>
#include <cstdint>

#include "flopwise/kernels/matmul.hpp"

namespace flopwise::kernels {

template <int NR>
struct RowTile {
    const uint8_t* rows[NR];  // rows past the end of a ragged tile repeat its first row; their results are discarded
    int valid = 0;
    // The next tile's first byte when that tile is whole and its rows follow these without gaps,
    // as GGUF stores them; null otherwise (nothing to prefetch).
    const uint8_t* ahead = nullptr;
};

// The tile of rows [r, min(r + NR, end)).
template <int NR>
RowTile<NR> row_tile(const WeightView& w, int64_t r, int64_t end) {
    RowTile<NR> tile;
    const auto* base = static_cast<const uint8_t*>(w.data);
    tile.valid = static_cast<int>(std::min<int64_t>(NR, end - r));
    for (int i = 0; i < NR; ++i) tile.rows[i] = base + static_cast<uint64_t>(i < tile.valid ? r + i : r) * w.row_stride;
    const bool next_tile_whole = r + 2 * NR <= w.rows && w.row_stride == row_bytes(w.type, static_cast<uint64_t>(w.cols));
    if (next_tile_whole) tile.ahead = base + static_cast<uint64_t>(r + NR) * w.row_stride;
    return tile;
}

// While block b of a tile is multiplied, the same number of bytes of the next tile are fetched.
inline void prefetch_block(const uint8_t* ahead, int64_t b, int64_t tile_bytes_per_block) {
    if (ahead == nullptr) return;
    for (int64_t line = 0; line < tile_bytes_per_block; line += 64)
        _mm_prefetch(reinterpret_cast<const char*>(ahead + b * tile_bytes_per_block + line), _MM_HINT_T0);
}

}  // namespace flopwise::kernels

#!/usr/bin/env python3
"""Reference values for flopwise's tensor-type decoders, from the PyPI `gguf` package.

Usage: quant_oracle.py OUTPUT_DIR [SEED]

For every weight type it writes OUTPUT_DIR/<TYPE>.bin (raw blocks) and OUTPUT_DIR/<TYPE>.f32 (the
values gguf.quants.dequantize gives for them, little-endian float32), plus OUTPUT_DIR/types.txt
listing "<TYPE> <block count>" per line. Quantized blocks are random bytes except that each fp16
scale field holds a random finite half (zeros, subnormals and negatives included). F16 and BF16
cover every 16-bit pattern once.
"""
import sys
from pathlib import Path

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType
from gguf.quants import dequantize

BLOCKS_PER_TYPE = 512

# Byte offsets of the fp16 scale fields inside one block.
HALF_FIELDS = {
    "Q4_0": [0],
    "Q4_1": [0, 2],
    "Q5_0": [0],
    "Q5_1": [0, 2],
    "Q8_0": [0],
    "Q2_K": [80, 82],
    "Q3_K": [108],
    "Q4_K": [0, 2],
    "Q5_K": [0, 2],
    "Q6_K": [208],
}


def random_finite_halves(rng: np.random.Generator, count: int) -> np.ndarray:
    bits = rng.integers(0, 1 << 16, size=count, dtype=np.uint16)
    exponent_all_ones = (bits & 0x7C00) == 0x7C00
    bits[exponent_all_ones] &= np.uint16(0xBFFF)  # clear one exponent bit: finite again
    return bits


def quantized_blocks(rng: np.random.Generator, type_name: str) -> np.ndarray:
    _, type_size = GGML_QUANT_SIZES[GGMLQuantizationType[type_name]]
    blocks = rng.integers(0, 256, size=(BLOCKS_PER_TYPE, type_size), dtype=np.uint8)
    for offset in HALF_FIELDS[type_name]:
        halves = random_finite_halves(rng, BLOCKS_PER_TYPE)
        blocks[:, offset : offset + 2] = halves.view(np.uint8).reshape(BLOCKS_PER_TYPE, 2)
    return blocks


def every_16_bit_pattern() -> np.ndarray:
    return np.arange(1 << 16, dtype=np.uint16).view(np.uint8).reshape(-1, 2)


def main() -> None:
    out = Path(sys.argv[1])
    rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 1234)
    out.mkdir(parents=True, exist_ok=True)
    listing = []
    for type_name in ["F16", "BF16", *HALF_FIELDS]:
        blocks = every_16_bit_pattern() if type_name in ("F16", "BF16") else quantized_blocks(rng, type_name)
        values = dequantize(blocks, GGMLQuantizationType[type_name]).astype("<f4", copy=False)
        (out / f"{type_name}.bin").write_bytes(blocks.tobytes())
        (out / f"{type_name}.f32").write_bytes(values.tobytes())
        listing.append(f"{type_name} {blocks.shape[0]}")
    (out / "types.txt").write_text("\n".join(listing) + "\n")


if __name__ == "__main__":
    main()

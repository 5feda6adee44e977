#!/usr/bin/env python3
"""Describes a GGUF file as the PyPI `gguf` package reads it, for cross-checking flopwise's reader.

Usage: quant_gguf_dump.py FILE  -> JSON on standard output:
  {"metadata": {key: {"type": NAME, "value": V} | {"type": "ARRAY", "element_type": NAME,
                "count": N, "checksum": C}}, "tensors": [{"name", "type", "shape", "offset", "bytes"}]}
Strings are given as hex of their bytes. An array is summarised by a checksum of its items laid end
to end (a string as its 8-byte little-endian length then its bytes, a number as its stored bytes):
the sum over byte positions i of (byte + 1) * ((i + 1) * 0x9E3779B97F4A7C15), modulo 2^64.
Arrays of arrays are left out: this reader flattens them.
"""
import json
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType

MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def checksum(data: bytes) -> int:
    values = np.frombuffer(data, dtype=np.uint8).astype(np.uint64) + np.uint64(1)
    weights = np.arange(1, len(data) + 1, dtype=np.uint64) * MULTIPLIER
    return int(np.sum(values * weights, dtype=np.uint64))


def describe_field(field):
    main = field.types[0]
    if main == GGUFValueType.STRING:
        return {"type": "STRING", "value": field.parts[field.data[0]].tobytes().hex()}
    if main != GGUFValueType.ARRAY:
        value = field.parts[field.data[0]][0].item()
        return {"type": main.name, "value": value}
    if len(field.types) > 2:
        return None
    element = field.types[1] if len(field.types) > 1 else GGUFValueType(int(field.parts[0][0]))
    items = [field.parts[i].tobytes() for i in field.data]
    if element == GGUFValueType.STRING:
        items = [len(item).to_bytes(8, "little") + item for item in items]
    return {"type": "ARRAY", "element_type": element.name, "count": len(items), "checksum": str(checksum(b"".join(items)))}


def main() -> None:
    reader = GGUFReader(sys.argv[1])
    metadata = {}
    for name, field in reader.fields.items():
        if name.startswith("GGUF."):  # the reader's own header pseudo-fields
            continue
        described = describe_field(field)
        if described is not None:
            metadata[name] = described
    tensors = [
        {
            "name": t.name,
            "type": int(t.tensor_type),
            "shape": [int(d) for d in t.shape],
            "offset": int(t.data_offset),
            "bytes": int(t.n_bytes),
        }
        for t in reader.tensors
    ]
    json.dump({"metadata": metadata, "tensors": tensors}, sys.stdout)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes a GGUF model with random weights and a real tokenizer, for engine tests and benchmarks.

Usage:
  make_random_model.py --arch llama|qwen2 --out M.gguf [--type F32|F16|Q8_0|Q4_0] [--shape tiny|tinyllama-1.1b]
                       [--vocab VOCAB.gguf] [--seed N] [--tied] [--rope-scaling linear:FACTOR]

The tokenizer.* metadata is copied from a vocab-only GGUF (default: ../shared/tokenizer-vectors/
ggml-vocab-llama-spm.gguf for llama, ggml-vocab-qwen2.gguf for qwen2), so the vocabulary is real and full size.
Shapes: tiny = 4 layers, n_embd 128, 4 heads, 2 KV heads, ffn 352; tinyllama-1.1b = TinyLlama 1.1B's
22 layers, n_embd 2048, 32 heads, 4 KV heads, ffn 5632 (its 32000-token vocabulary is llama-spm's).

Weights: matrices ~ N(0, 1/columns), so every projection keeps activations near unit scale; the token
embedding and output matrices ~ N(0, (LOGIT_STD)^2/n_embd), so logits have a standard deviation near
LOGIT_STD, tied or not; norm weights ~ U(0.8, 1.2); qwen2's q/k/v biases ~ N(0, BIAS_STD^2). Each tensor
draws from its own generator seeded with (seed, tensor index): the same arguments give the same file,
and the weights of a given type do not depend on the others. Matrices are stored in --type (quantized by
the gguf package); norms and biases stay F32. Tensors are written one at a time, so even the 1.1B shape
needs little memory.
"""
import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType, GGUFWriter, LlamaFileType
from gguf.quants import quantize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reference"))
from forward64_gguf_reader import PlainArrayGGUFReader  # noqa: E402

TOKENIZER_VECTORS = Path(os.environ.get("FLOPWISE_SHARED_DIR", ROOT.parent / "shared")) / "tokenizer-vectors"
LOGIT_STD = 3.0
BIAS_STD = 0.2


@dataclass(frozen=True)
class Shape:
    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    n_ff: int
    context_length: int = 2048


@dataclass(frozen=True)
class Architecture:
    default_vocab: str
    rope_freq_base: float
    rms_epsilon: float
    qkv_bias: bool


SHAPES = {
    "tiny": Shape(n_layer=4, n_embd=128, n_head=4, n_head_kv=2, n_ff=352),
    "tinyllama-1.1b": Shape(n_layer=22, n_embd=2048, n_head=32, n_head_kv=4, n_ff=5632),
}
ARCHITECTURES = {
    "llama": Architecture("ggml-vocab-llama-spm.gguf", rope_freq_base=10000.0, rms_epsilon=1e-5, qkv_bias=False),
    "qwen2": Architecture("ggml-vocab-qwen2.gguf", rope_freq_base=1000000.0, rms_epsilon=1e-6, qkv_bias=True),
}
FILE_TYPES = {
    "F32": LlamaFileType.ALL_F32,
    "F16": LlamaFileType.MOSTLY_F16,
    "Q8_0": LlamaFileType.MOSTLY_Q8_0,
    "Q4_0": LlamaFileType.MOSTLY_Q4_0,
}


@dataclass(frozen=True)
class PlannedTensor:
    name: str
    shape: tuple[int, ...]  # NumPy order: [rows, columns]; GGUF's ne0 is the last entry
    kind: str  # "matrix", "embedding", "norm" or "bias"


def plan_tensors(shape: Shape, arch: Architecture, n_vocab: int, tied: bool) -> list[PlannedTensor]:
    head_dim = shape.n_embd // shape.n_head
    kv_dim = head_dim * shape.n_head_kv
    tensors = [PlannedTensor("token_embd.weight", (n_vocab, shape.n_embd), "embedding")]
    if not tied:
        tensors.append(PlannedTensor("output.weight", (n_vocab, shape.n_embd), "embedding"))
    tensors.append(PlannedTensor("output_norm.weight", (shape.n_embd,), "norm"))
    for layer in range(shape.n_layer):
        p = f"blk.{layer}"
        tensors.append(PlannedTensor(f"{p}.attn_norm.weight", (shape.n_embd,), "norm"))
        for projection, rows in (("attn_q", shape.n_embd), ("attn_k", kv_dim), ("attn_v", kv_dim)):
            tensors.append(PlannedTensor(f"{p}.{projection}.weight", (rows, shape.n_embd), "matrix"))
            if arch.qkv_bias:
                tensors.append(PlannedTensor(f"{p}.{projection}.bias", (rows,), "bias"))
        tensors += [
            PlannedTensor(f"{p}.attn_output.weight", (shape.n_embd, shape.n_embd), "matrix"),
            PlannedTensor(f"{p}.ffn_norm.weight", (shape.n_embd,), "norm"),
            PlannedTensor(f"{p}.ffn_gate.weight", (shape.n_ff, shape.n_embd), "matrix"),
            PlannedTensor(f"{p}.ffn_up.weight", (shape.n_ff, shape.n_embd), "matrix"),
            PlannedTensor(f"{p}.ffn_down.weight", (shape.n_embd, shape.n_ff), "matrix"),
        ]
    return tensors


def random_values(tensor: PlannedTensor, rng: np.random.Generator) -> np.ndarray:
    if tensor.kind == "norm":
        return rng.uniform(0.8, 1.2, size=tensor.shape).astype(np.float32)
    if tensor.kind == "bias":
        std = BIAS_STD
    elif tensor.kind == "embedding":
        std = LOGIT_STD / np.sqrt(tensor.shape[1])
    else:
        std = 1.0 / np.sqrt(tensor.shape[1])
    return (rng.standard_normal(size=tensor.shape, dtype=np.float32) * np.float32(std)).astype(np.float32)


def storage_type(tensor: PlannedTensor, weight_type: str) -> GGMLQuantizationType:
    return GGMLQuantizationType[weight_type] if len(tensor.shape) == 2 else GGMLQuantizationType.F32


def encode(values: np.ndarray, qtype: GGMLQuantizationType) -> np.ndarray:
    if qtype == GGMLQuantizationType.F32:
        return values
    if qtype == GGMLQuantizationType.F16:
        return values.astype(np.float16)
    return quantize(values, qtype)


def encoded_size(tensor: PlannedTensor, qtype: GGMLQuantizationType) -> int:
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    count = int(np.prod(tensor.shape))
    if count % block_size:
        raise ValueError(f"{tensor.name}: {count} values are not whole {qtype.name} blocks of {block_size}")
    return count // block_size * type_size


def copy_tokenizer(writer: GGUFWriter, vocab_path: Path) -> int:
    """Copies every tokenizer.* key byte for byte; returns the vocabulary size."""
    reader = PlainArrayGGUFReader(vocab_path)
    n_vocab = None
    for key, field in reader.fields.items():
        if not key.startswith("tokenizer."):
            continue
        kind = field.types[0]
        if kind == GGUFValueType.ARRAY:
            element = field.types[1]
            items = [field.parts[i] for i in field.data]
            values = [bytes(v) if element == GGUFValueType.STRING else v[0].item() for v in items]
            writer.add_key_value(key, values, kind, sub_type=element)
            if key == "tokenizer.ggml.tokens":
                n_vocab = len(values)
        else:
            part = field.parts[field.data[0]]
            writer.add_key_value(key, bytes(part) if kind == GGUFValueType.STRING else part[0].item(), kind)
    if n_vocab is None:
        raise ValueError(f"{vocab_path}: no tokenizer.ggml.tokens")
    return n_vocab


def parse_rope_scaling(text: str) -> tuple[str, float]:
    kind, _, factor = text.partition(":")
    if kind != "linear" or not factor:
        raise argparse.ArgumentTypeError(f"--rope-scaling '{text}': expected linear:FACTOR")
    try:
        value = float(factor)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--rope-scaling '{text}': FACTOR is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"--rope-scaling '{text}': FACTOR must be positive")
    return kind, value


def write_model(args: argparse.Namespace) -> None:
    arch, shape = ARCHITECTURES[args.arch], SHAPES[args.shape]
    writer = GGUFWriter(args.out, args.arch)
    writer.add_string("general.name", f"flopwise random {args.arch} {args.shape} {args.type} seed {args.seed}")
    writer.add_uint32("general.file_type", int(FILE_TYPES[args.type]))
    writer.add_uint32("general.quantization_version", 2)
    a = args.arch
    writer.add_uint32(f"{a}.context_length", shape.context_length)
    writer.add_uint32(f"{a}.embedding_length", shape.n_embd)
    writer.add_uint32(f"{a}.block_count", shape.n_layer)
    writer.add_uint32(f"{a}.feed_forward_length", shape.n_ff)
    writer.add_uint32(f"{a}.attention.head_count", shape.n_head)
    writer.add_uint32(f"{a}.attention.head_count_kv", shape.n_head_kv)
    writer.add_float32(f"{a}.attention.layer_norm_rms_epsilon", arch.rms_epsilon)
    writer.add_float32(f"{a}.rope.freq_base", arch.rope_freq_base)
    writer.add_uint32(f"{a}.rope.dimension_count", shape.n_embd // shape.n_head)
    if args.rope_scaling:
        kind, factor = args.rope_scaling
        writer.add_string(f"{a}.rope.scaling.type", kind)
        writer.add_float32(f"{a}.rope.scaling.factor", factor)
    n_vocab = copy_tokenizer(writer, Path(args.vocab or TOKENIZER_VECTORS / arch.default_vocab))
    writer.add_uint32(f"{a}.vocab_size", n_vocab)

    tensors = plan_tensors(shape, arch, n_vocab, args.tied)
    for tensor in tensors:
        qtype = storage_type(tensor, args.type)
        writer.add_tensor_info(tensor.name, tensor.shape, np.dtype(np.float32), encoded_size(tensor, qtype), qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for index, tensor in enumerate(tensors):
        values = random_values(tensor, np.random.default_rng([args.seed, index]))
        writer.write_tensor_data(encode(values, storage_type(tensor, args.type)))
    writer.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", required=True, choices=ARCHITECTURES)
    parser.add_argument("--out", required=True)
    parser.add_argument("--type", default="F32", choices=FILE_TYPES)
    parser.add_argument("--shape", default="tiny", choices=SHAPES)
    parser.add_argument("--vocab", help="vocab-only GGUF whose tokenizer.* keys are copied")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tied", action="store_true", help="no output.weight: the LM head reuses token_embd")
    parser.add_argument("--rope-scaling", type=parse_rope_scaling, help="linear:FACTOR")
    args = parser.parse_args(argv)
    try:
        write_model(args)
    except (OSError, ValueError) as error:
        print(f"make_random_model.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Float64 ground truth for flopwise's inference engine: a slow, plain NumPy forward pass.

Weights are taken exactly as the PyPI `gguf` package decodes them (GGUFReader + gguf.quants.dequantize);
every activation is float64. Architectures: llama, qwen2, gemma3.

Usage:
  forward64.py --model M.gguf (--tokens 1,2,3 | --tokens-file F) --out result.json [--logprobs-npy F.npy]
      Runs the tokens as one sequence (positions 0..n-1). result.json holds, per position i,
      next_token_logprob[i] = log p(tokens[i+1] | tokens[..i]) for i < n-1, argmax[i] (the most likely next
      token) and top2_margin[i] (its logit minus the runner-up's). --logprobs-npy writes the whole [n, vocab]
      log-softmax matrix as float32 (large: Gemma's vocabulary has 262144 entries).
  forward64.py --model M.gguf --perplexity-file TOKENS --ctx 512 [--chunks K] [--out result.json]
      Perplexity the way llama.cpp's perplexity tool computes it. TOKENS holds the whole text's token ids
      (as the engine's tokenizer gives them, BOS included when the model adds one), comma- or
      whitespace-separated. The ids are cut into consecutive windows of ctx tokens (a partial last window is
      dropped); when the model adds BOS, each window's first token is replaced by BOS; in each window only
      the logits at positions ctx/2 .. ctx-2 are scored, each against the token after it (ctx/2 - 1 tokens a
      window). Prints the running perplexity after every window as [k]value, like that tool.

Memory: the decoded weights are cached as float32 (exact), about 4 bytes per parameter.
"""
import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gguf.quants import dequantize

from forward64_gguf_reader import PlainArrayGGUFReader

LOGIT_BLOCK_POSITIONS = 128  # positions whose logits are held at once (rows of vocab-sized float64)


class ModelError(Exception):
    pass


class Gguf:
    """Metadata and decoded tensors of one GGUF file."""

    _REQUIRED = object()

    def __init__(self, path: str):
        self.path = path
        self.reader = PlainArrayGGUFReader(path)
        self.arch = self.value("general.architecture")
        self._tensors = {t.name: t for t in self.reader.tensors}
        self._decoded: dict[str, np.ndarray] = {}

    def value(self, key: str, default=_REQUIRED):
        field = self.reader.fields.get(key)
        if field is None:
            if default is Gguf._REQUIRED:
                raise ModelError(f"{self.path}: metadata key '{key}' is missing")
            return default
        return field.contents()

    def hparam(self, name: str, default=_REQUIRED):
        return self.value(f"{self.arch}.{name}", default)

    def has(self, tensor: str) -> bool:
        return tensor in self._tensors

    def weight(self, name: str) -> np.ndarray:
        """The tensor as float32 in NumPy order: a GGUF [ne0, ne1] matrix becomes [ne1 rows, ne0 columns]."""
        if name not in self._decoded:
            if name not in self._tensors:
                raise ModelError(f"{self.path}: tensor '{name}' is missing")
            tensor = self._tensors[name]
            self._decoded[name] = dequantize(tensor.data, tensor.tensor_type).astype(np.float32, copy=False)
        return self._decoded[name]

    def weight64(self, name: str) -> np.ndarray:
        return self.weight(name).astype(np.float64)

    def output_matrix(self) -> np.ndarray:
        """The LM head; models with tied embeddings reuse the token embedding matrix."""
        return self.weight("output.weight" if self.has("output.weight") else "token_embd.weight")

    def add_bos(self) -> bool:
        flag = self.value("tokenizer.ggml.add_bos_token", None)
        if flag is not None:
            return bool(flag)
        return self.value("tokenizer.ggml.model", "") == "llama"  # SentencePiece vocabularies add BOS by default

    def bos(self) -> int:
        return int(self.value("tokenizer.ggml.bos_token_id"))


@dataclass(frozen=True)
class Rope:
    n_rot: int  # leading dimensions of each head that rotate; the rest pass through
    base: float
    position_scale: float  # 1/factor for linear scaling
    neox: bool  # pairs (i, i + n_rot/2); otherwise adjacent pairs (2i, 2i + 1)
    freq_factors: np.ndarray | None = None  # per-pair divisors of the frequency

    def apply(self, x: np.ndarray) -> np.ndarray:
        """x: [n_tokens, heads, head_dim] at positions 0..n_tokens-1."""
        half = self.n_rot // 2
        inv_freq = self.base ** (-np.arange(half, dtype=np.float64) * 2.0 / self.n_rot)
        if self.freq_factors is not None:
            inv_freq = inv_freq / self.freq_factors
        angle = (np.arange(x.shape[0], dtype=np.float64) * self.position_scale)[:, None] * inv_freq[None, :]
        cos, sin = np.cos(angle)[:, None, :], np.sin(angle)[:, None, :]
        first = np.arange(half) if self.neox else np.arange(0, self.n_rot, 2)
        second = first + half if self.neox else first + 1
        out = x.copy()
        out[..., first] = x[..., first] * cos - x[..., second] * sin
        out[..., second] = x[..., first] * sin + x[..., second] * cos
        return out


def rope_position_scale(model: Gguf) -> float:
    factor = float(model.hparam("rope.scaling.factor", model.hparam("rope.scale_linear", 0.0)))
    kind = model.hparam("rope.scaling.type", "linear")
    if factor in (0.0, 1.0) or kind == "none":
        return 1.0
    if kind != "linear":
        raise ModelError(f"{model.path}: rope scaling type '{kind}' is not supported by the reference")
    return 1.0 / factor


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + np.exp(-x))


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def linear(x: np.ndarray, model: Gguf, name: str) -> np.ndarray:
    y = x @ model.weight64(f"{name}.weight").T
    if model.has(f"{name}.bias"):
        y = y + model.weight64(f"{name}.bias")
    return y


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, scale: float, window: int | None = None) -> np.ndarray:
    """Causal multi-head attention. q: [n, heads, d]; k, v: [n, kv_heads, d]; consecutive groups of query
    heads share one kv head. A key j is visible from query i iff j <= i (and i - j < window if given)."""
    n, heads, d = q.shape
    group = heads // k.shape[1]
    k = np.repeat(k, group, axis=1)
    v = np.repeat(v, group, axis=1)
    scores = np.einsum("qhd,khd->hqk", q, k) * scale
    query, key = np.arange(n)[:, None], np.arange(n)[None, :]
    visible = key <= query
    if window is not None:
        visible &= query - key < window
    scores = np.where(visible, scores, -np.inf)
    probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    return np.einsum("hqk,khd->qhd", probs, v).reshape(n, heads * d)


def embed(model: Gguf, tokens: list[int]) -> np.ndarray:
    table = model.weight("token_embd.weight")
    bad = [t for t in tokens if not 0 <= t < table.shape[0]]
    if bad:
        raise ModelError(f"token ids {bad[:5]} are outside the vocabulary of {table.shape[0]}")
    return table[tokens].astype(np.float64)


def llama(model: Gguf, tokens: list[int]) -> np.ndarray:
    """Llama, and Qwen2: the same block plus q/k/v biases (which `linear` picks up) and NeoX rope. Returns
    the final normed hidden states [n, n_embd]."""
    n_embd, n_head = model.hparam("embedding_length"), model.hparam("attention.head_count")
    n_head_kv = model.hparam("attention.head_count_kv", n_head)
    head_dim = model.hparam("attention.key_length", n_embd // n_head)
    eps = model.hparam("attention.layer_norm_rms_epsilon")
    rope = Rope(
        n_rot=model.hparam("rope.dimension_count", head_dim),
        base=model.hparam("rope.freq_base", 10000.0),
        position_scale=rope_position_scale(model),
        neox=model.arch == "qwen2",  # llama GGUFs store q/k rows so that adjacent pairs rotate
        freq_factors=model.weight64("rope_freqs.weight") if model.has("rope_freqs.weight") else None,
    )
    n = len(tokens)
    x = embed(model, tokens)
    for layer in range(model.hparam("block_count")):
        p = f"blk.{layer}"
        h = rms_norm(x, model.weight64(f"{p}.attn_norm.weight"), eps)
        q = rope.apply(linear(h, model, f"{p}.attn_q").reshape(n, n_head, head_dim))
        k = rope.apply(linear(h, model, f"{p}.attn_k").reshape(n, n_head_kv, head_dim))
        v = linear(h, model, f"{p}.attn_v").reshape(n, n_head_kv, head_dim)
        x = x + linear(attention(q, k, v, 1.0 / math.sqrt(head_dim)), model, f"{p}.attn_output")
        h = rms_norm(x, model.weight64(f"{p}.ffn_norm.weight"), eps)
        gated = silu(linear(h, model, f"{p}.ffn_gate")) * linear(h, model, f"{p}.ffn_up")
        x = x + linear(gated, model, f"{p}.ffn_down")
    return rms_norm(x, model.weight64("output_norm.weight"), eps)


GEMMA3_GLOBAL_EVERY = 6  # layers 5, 11, 17, ... attend globally; the others through the sliding window
GEMMA3_LOCAL_ROPE_BASE = 10000.0


def gemma3(model: Gguf, tokens: list[int]) -> np.ndarray:
    """Gemma 3. The GGUF norm weights already include Gemma's +1 offset, so every norm is a plain RMSNorm."""
    if model.hparam("final_logit_softcapping", None) or model.hparam("attn_logit_softcapping", None):
        raise ModelError(f"{model.path}: logit soft-capping is not supported by the reference")
    n_embd, n_head = model.hparam("embedding_length"), model.hparam("attention.head_count")
    n_head_kv = model.hparam("attention.head_count_kv", n_head)
    head_dim = model.hparam("attention.key_length", n_embd // n_head)
    n_layer = model.hparam("block_count")
    eps = model.hparam("attention.layer_norm_rms_epsilon")
    window = model.hparam("attention.sliding_window")
    n_rot = model.hparam("rope.dimension_count", head_dim)
    global_rope = Rope(n_rot, model.hparam("rope.freq_base", 1e6), rope_position_scale(model), neox=True)
    local_rope = Rope(n_rot, GEMMA3_LOCAL_ROPE_BASE, 1.0, neox=True)
    # Gemma's query_pre_attn_scalar: head_dim, except for the 62-layer 27B model, which uses n_embd / n_head.
    scale = 1.0 / math.sqrt(n_embd // n_head if n_layer == 62 else head_dim)
    n = len(tokens)
    x = embed(model, tokens) * math.sqrt(n_embd)
    for layer in range(n_layer):
        p = f"blk.{layer}"
        is_global = (layer + 1) % GEMMA3_GLOBAL_EVERY == 0
        rope = global_rope if is_global else local_rope
        h = rms_norm(x, model.weight64(f"{p}.attn_norm.weight"), eps)
        q = linear(h, model, f"{p}.attn_q").reshape(n, n_head, head_dim)
        k = linear(h, model, f"{p}.attn_k").reshape(n, n_head_kv, head_dim)
        v = linear(h, model, f"{p}.attn_v").reshape(n, n_head_kv, head_dim)
        q = rope.apply(rms_norm(q, model.weight64(f"{p}.attn_q_norm.weight"), eps))
        k = rope.apply(rms_norm(k, model.weight64(f"{p}.attn_k_norm.weight"), eps))
        attended = attention(q, k, v, scale, None if is_global else window)
        out = linear(attended, model, f"{p}.attn_output")
        x = x + rms_norm(out, model.weight64(f"{p}.post_attention_norm.weight"), eps)
        h = rms_norm(x, model.weight64(f"{p}.ffn_norm.weight"), eps)
        gated = gelu_tanh(linear(h, model, f"{p}.ffn_gate")) * linear(h, model, f"{p}.ffn_up")
        out = linear(gated, model, f"{p}.ffn_down")
        x = x + rms_norm(out, model.weight64(f"{p}.post_ffw_norm.weight"), eps)
    return rms_norm(x, model.weight64("output_norm.weight"), eps)


ARCHITECTURES = {"llama": llama, "qwen2": llama, "gemma3": gemma3}


def hidden_states(model: Gguf, tokens: list[int]) -> np.ndarray:
    if model.arch not in ARCHITECTURES:
        raise ModelError(f"{model.path}: architecture '{model.arch}' is not supported by the reference")
    return ARCHITECTURES[model.arch](model, tokens)


def log_softmax_blocks(model: Gguf, hidden: np.ndarray):
    """Yields (first_row, log-softmax [rows, vocab] float64) for consecutive blocks of hidden's rows."""
    output = model.output_matrix()
    vocab_chunk = 32768
    for first in range(0, hidden.shape[0], LOGIT_BLOCK_POSITIONS):
        h = hidden[first : first + LOGIT_BLOCK_POSITIONS]
        logits = np.concatenate(
            [h @ output[c : c + vocab_chunk].astype(np.float64).T for c in range(0, output.shape[0], vocab_chunk)],
            axis=1,
        )
        top = logits.max(axis=1, keepdims=True)
        yield first, logits - (top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True)))


def score_sequence(model: Gguf, tokens: list[int], logprobs_npy: str | None) -> dict:
    hidden = hidden_states(model, tokens)
    n = len(tokens)
    next_logprob, argmax, margin = [], [], []
    full = None
    for first, logp in log_softmax_blocks(model, hidden):
        if logprobs_npy:
            if full is None:
                full = np.empty((n, logp.shape[1]), dtype=np.float32)
            full[first : first + len(logp)] = logp
        rows = np.arange(len(logp))
        best_two = np.argpartition(logp, -2, axis=1)[:, -2:]
        values = np.take_along_axis(logp, best_two, axis=1)
        argmax += best_two[rows, values.argmax(axis=1)].tolist()
        margin += np.abs(values[:, 1] - values[:, 0]).tolist()
        with_next = rows[first + rows + 1 < n]
        next_logprob += logp[with_next, np.array(tokens)[first + with_next + 1]].tolist()
    if logprobs_npy:
        np.save(logprobs_npy, full)
    return {
        "model": str(model.path),
        "arch": model.arch,
        "tokens": tokens,
        "n_vocab": int(model.output_matrix().shape[0]),
        "next_token_logprob": next_logprob,
        "argmax": argmax,
        "top2_margin": margin,
    }


def perplexity(model: Gguf, tokens: list[int], ctx: int, chunks: int | None) -> dict:
    if ctx < 3:
        raise ModelError(f"--ctx {ctx}: a window needs at least 3 tokens for one to be scored")
    available = len(tokens) // ctx
    if available == 0:
        raise ModelError(f"the token file holds {len(tokens)} tokens, fewer than one window of {ctx}")
    n_chunks = available if chunks is None else min(chunks, available)
    first_scored = ctx // 2
    nll, count, running = 0.0, 0, []
    for chunk in range(n_chunks):
        window = tokens[chunk * ctx : (chunk + 1) * ctx]
        if model.add_bos():
            window[0] = model.bos()
        hidden = hidden_states(model, window)[first_scored : ctx - 1]
        for first, logp in log_softmax_blocks(model, hidden):
            targets = window[first_scored + first + 1 : first_scored + first + 1 + len(logp)]
            nll -= float(logp[np.arange(len(logp)), targets].sum())
            count += len(logp)
        running.append(math.exp(nll / count))
        print(f"[{chunk + 1}]{running[-1]:.4f},", end="", flush=True)
    print()
    return {
        "model": str(model.path),
        "arch": model.arch,
        "ctx": ctx,
        "chunks": n_chunks,
        "add_bos": model.add_bos(),
        "scored_tokens": count,
        "nll_sum": nll,
        "running_perplexity": running,
        "perplexity": running[-1],
    }


def read_token_ids(text: str) -> list[int]:
    return [int(t) for t in text.replace(",", " ").split()]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    sources = parser.add_mutually_exclusive_group(required=True)
    sources.add_argument("--tokens", help="comma-separated token ids")
    sources.add_argument("--tokens-file", help="token ids, comma- or whitespace-separated")
    sources.add_argument("--perplexity-file", help="token ids of a whole text, for perplexity")
    parser.add_argument("--out", help="JSON result (required unless --perplexity-file)")
    parser.add_argument("--logprobs-npy", help="also save the [n, vocab] float32 log-softmax matrix")
    parser.add_argument("--ctx", type=int, default=512)
    parser.add_argument("--chunks", type=int, help="at most this many windows (default: all)")
    args = parser.parse_args(argv)
    try:
        model = Gguf(args.model)
        if args.perplexity_file:
            result = perplexity(model, read_token_ids(Path(args.perplexity_file).read_text()), args.ctx, args.chunks)
            print(f"perplexity: {result['perplexity']:.4f} [{result['chunks']}/{result['chunks']}]")
        else:
            if not args.out:
                parser.error("--out is required")
            tokens = read_token_ids(args.tokens if args.tokens else Path(args.tokens_file).read_text())
            if not tokens:
                raise ModelError("no tokens given")
            result = score_sequence(model, tokens, args.logprobs_npy)
    except (ModelError, ValueError, OSError) as error:
        print(f"forward64.py: {error}", file=sys.stderr)
        return 1
    if args.out:
        Path(args.out).write_text(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

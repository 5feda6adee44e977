#!/usr/bin/env python3
"""Regenerates the llama.cpp golden files under tests/data/llamacpp/ (small JSON files, committed).

For each real model (gemma3-270m, smollm2-135m; see tools/models.py) it writes:
  <model>.text.json             llama.cpp's tokens for FIXED_TEXT (BOS added when the model adds one) and,
                                per position i: next_token_logprob[i] = log p(tokens[i+1] | tokens[..i]),
                                argmax[i], top2_margin[i] (logit gap of the best two) and the top
                                TOP_K candidates with their log-probs.
  <model>.wikitext2-test.json   llama.cpp's perplexity on the first PERPLEXITY_CHUNKS windows of
                                ../shared/datasets/wikitext2/test.txt (the tokenized WikiText-2 release, not
                                wiki.test.raw) at ctx PERPLEXITY_CTX, computed the way llama.cpp's perplexity
                                tool does: the whole file (one trailing newline dropped) tokenized at once,
                                consecutive ctx-token windows, BOS replacing each window's first token when the
                                model adds BOS, logits at positions ctx/2 .. ctx-2 scored against the next
                                token. Also the file's token count and a digest of the scored windows' ids,
                                so a tokenizer can be checked against the same token stream.

It needs llama-cpp-python (not a flopwise dependency; install it only to regenerate):
  python3 -m pip install llama-cpp-python    # compiles llama.cpp, ~10 minutes
  python3 tools/llamacpp_oracle.py [--skip-perplexity] [--models gemma3-270m,...] [--out-dir DIR]
The text part takes seconds; the perplexity part about 6 CPU-minutes per model (15 minutes of wall time for
both on 2 cores). Results depend slightly on the llama.cpp build (it quantizes activations to 8 bits on the
fly); the files record the llama-cpp-python version used.
"""
import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from models import MODELS, model_path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FLOPWISE_SHARED_DIR", ROOT.parent / "shared"))
WIKITEXT2_TEST = SHARED / "datasets" / "wikitext2" / "test.txt"
FIXED_TEXT = (
    "The history of the printing press begins in the fifteenth century, when Johannes Gutenberg combined "
    "movable metal type, oil-based ink and a wooden screw press into a practical system. Within a few decades, "
    "printing shops had spread to more than two hundred cities across Europe, and the price of books fell "
    "sharply. Scholars could compare identical copies of a text, errors became easier to correct, and new "
    "ideas travelled faster than ever before.\n\n"
    "Rivers shape the land they cross. Over thousands of years a river carves its valley, carries sand and "
    "silt towards the sea, and builds wide plains where it slows down. Farmers have always settled along "
    "these plains because the soil is rich and water is close at hand, but the same rivers can flood without "
    "warning. Many early cities grew up beside great rivers, and their rulers spent much of their wealth on "
    "canals, dykes and granaries to keep the water under control.\n\n"
    "A good recipe for bread needs only four ingredients: flour, water, salt and yeast. The dough is mixed, "
    "left to rise in a warm place, shaped into a loaf and baked in a hot oven until the crust turns brown. "
    "Bakers say that patience matters more than skill, because the slow rise gives the bread its flavour "
    "and its light, open texture.\n\n"
    "In mathematics, a prime number is a whole number greater than one that has no divisors other than one "
    "and itself. The first few primes are two, three, five, seven, eleven and thirteen. Euclid proved more "
    "than two thousand years ago that there are infinitely many of them, and his short argument is still "
    "taught in schools today. Large primes now protect much of the information sent across the internet."
)
TOP_K = 5
PERPLEXITY_CTX = 512
PERPLEXITY_CHUNKS = 40
THREADS = min(4, os.cpu_count() or 1)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float64)
    top = logits.max(axis=-1, keepdims=True)
    return logits - (top + np.log(np.exp(logits - top).sum(axis=-1, keepdims=True)))


def load(path: Path, n_ctx: int):
    from llama_cpp import Llama

    return Llama(
        model_path=str(path), n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_ctx, logits_all=True,
        n_threads=THREADS, n_threads_batch=THREADS, verbose=False,
    )


def evaluate(llm, tokens: list[int]) -> np.ndarray:
    """log-softmax [len(tokens), vocab] of one sequence evaluated from an empty cache."""
    llm.reset()
    llm.eval(tokens)
    return log_softmax(np.array(llm.scores[: len(tokens)]))


def provenance(name: str) -> dict:
    import llama_cpp

    return {
        "generator": "tools/llamacpp_oracle.py",
        "llama_cpp_python": llama_cpp.__version__,
        "model": name,
        "model_file": model_path(name).name,
    }


def text_golden(name: str) -> dict:
    llm = load(model_path(name), 1024)
    tokens = llm.tokenize(FIXED_TEXT.encode(), add_bos=True, special=False)
    logp = evaluate(llm, tokens)
    top = np.argsort(-logp, axis=1, kind="stable")[:, :TOP_K]
    best_two = np.take_along_axis(logp, top[:, :2], axis=1)
    return provenance(name) | {
        "text": FIXED_TEXT,
        "tokens": tokens,
        "next_token_logprob": [round(float(logp[i, tokens[i + 1]]), 6) for i in range(len(tokens) - 1)],
        "argmax": top[:, 0].tolist(),
        "top2_margin": [round(float(a - b), 6) for a, b in best_two],
        "top_tokens": top.tolist(),
        "top_logprobs": np.round(np.take_along_axis(logp, top, axis=1), 6).tolist(),
    }


def perplexity_golden(name: str) -> dict:
    llm = load(model_path(name), PERPLEXITY_CTX)
    text = WIKITEXT2_TEST.read_text(encoding="utf-8")
    if text.endswith("\n"):
        text = text[:-1]
    tokens = llm.tokenize(text.encode(), add_bos=True, special=False)
    n_chunks = min(PERPLEXITY_CHUNKS, len(tokens) // PERPLEXITY_CTX)
    scored = tokens[: n_chunks * PERPLEXITY_CTX]
    add_bos = bool(llm.tokenize(b"", add_bos=True, special=False))  # llama.cpp's own add-BOS decision
    first = PERPLEXITY_CTX // 2
    nll, count, running = 0.0, 0, []
    for chunk in range(n_chunks):
        window = scored[chunk * PERPLEXITY_CTX : (chunk + 1) * PERPLEXITY_CTX]
        if add_bos:
            window[0] = llm.token_bos()
        logp = evaluate(llm, window)
        positions = np.arange(first, PERPLEXITY_CTX - 1)
        nll -= float(logp[positions, np.array(window)[positions + 1]].sum())
        count += len(positions)
        running.append(round(float(np.exp(nll / count)), 6))
        print(f"[{chunk + 1}]{running[-1]:.4f},", end="", flush=True)
    print()
    return provenance(name) | {
        "dataset": "wikitext2 test.txt (tokenized release)",
        "dataset_sha256": hashlib.sha256(WIKITEXT2_TEST.read_bytes()).hexdigest(),
        "file_tokens": len(tokens),
        "first_tokens": tokens[:16],
        "scored_token_ids_sha256": hashlib.sha256(",".join(map(str, scored)).encode()).hexdigest(),
        "ctx": PERPLEXITY_CTX,
        "chunks": n_chunks,
        "add_bos": add_bos,
        "scored_tokens": count,
        "running_perplexity": running,
        "perplexity": running[-1],
    }


def write(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--out-dir", default=str(ROOT / "tests" / "data" / "llamacpp"))
    parser.add_argument("--skip-perplexity", action="store_true")
    args = parser.parse_args(argv)
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        print("llamacpp_oracle.py: llama-cpp-python is not installed (pip install llama-cpp-python)", file=sys.stderr)
        return 1
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in args.models.split(","):
        write(out_dir / f"{name}.text.json", text_golden(name))
        if not args.skip_perplexity:
            write(out_dir / f"{name}.wikitext2-test.json", perplexity_golden(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

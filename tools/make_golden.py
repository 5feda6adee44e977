#!/usr/bin/env python3
"""Golden values for the evaluation tests: a --limit slice of each task, scored by the float64 reference.

Runs `flopwise run --limit N` on the tasks to learn each document's requests (the prompts as the task
YAML builds them), tokenizes context + continuation with `flopwise tokenize` (the tokenizer is tested on
its own against the shared vectors and llama.cpp), then scores every continuation with the slow float64
NumPy forward pass (tests/reference/forward64.py). The file it writes holds, per request, the prompt's
SHA-256, the float64 log-probability of each continuation token, whether the continuation is the greedy
one, and the smallest top-2 logit margin along it, so a test can tell decisive answers from ties.

Usage: tools/make_golden.py --model NAME --tasks T1,T2 --limit N --out tests/data/golden/NAME.json
"""
import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "reference"))
sys.path.insert(0, str(ROOT / "tools"))

import forward64  # noqa: E402
import models  # noqa: E402


def flopwise(binary: Path, *args: str) -> str:
    done = subprocess.run([str(binary), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"flopwise {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def tokenize(binary: Path, model: str, text: str, scratch: Path) -> list[int]:
    path = scratch / "text.txt"
    path.write_bytes(text.encode("utf-8"))
    return [int(t) for t in flopwise(binary, "tokenize", "--model", model, "--text-file", str(path)).split()]


def reference(model: forward64.Gguf, tokens: list[int], continuation_tokens: int) -> dict:
    scored = forward64.score_sequence(model, tokens, None)
    first = len(tokens) - 1 - continuation_tokens  # position whose logits predict the first continuation token
    positions = range(first, len(tokens) - 1)
    return {
        "token_logprobs": [scored["next_token_logprob"][i] for i in positions],
        "greedy": all(scored["argmax"][i] == tokens[i + 1] for i in positions),
        "min_top2_margin": min(scored["top2_margin"][i] for i in positions),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="a model name known to tools/models.py")
    parser.add_argument("--tasks", required=True)
    parser.add_argument("--limit", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--binary", default=str(ROOT / "build" / "flopwise"))
    args = parser.parse_args()

    binary = Path(args.binary)
    model_path = str(models.model_path(args.model))
    reference_model = forward64.Gguf(model_path)
    golden = {
        "produced_by": "tools/make_golden.py",
        "command": f"tools/make_golden.py --model {args.model} --tasks {args.tasks} --limit {args.limit}",
        "model": args.model,
        "limit": args.limit,
        "tasks": {},
    }
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        flopwise(binary, "run", "--model", model_path, "--tasks", args.tasks, "--limit", str(args.limit),
                 "--no-cache", "--progress", "none", "--output", str(scratch / "run"))
        for task in args.tasks.split(","):
            documents = []
            for line in (scratch / "run" / "samples" / f"{task}.jsonl").read_text().splitlines():
                sample = json.loads(line)
                requests = []
                for request in sample["requests"]:
                    if request["kind"] != "loglikelihood":
                        raise SystemExit(f"{task}: only log-likelihood tasks have float64 golden values")
                    whole = tokenize(binary, model_path, request["context"] + request["continuation"], scratch)
                    count = request["response"]["continuation_tokens"]
                    requests.append({
                        "prompt_sha256": hashlib.sha256((request["context"] + "\x00" + request["continuation"]).encode()).hexdigest(),
                        "tokens": len(whole),
                        "continuation_tokens": count,
                        **reference(reference_model, whole, count),
                    })
                documents.append({"doc_id": sample["doc_id"], "requests": requests})
                print(f"{task} doc {sample['doc_id']}: {len(requests)} requests", flush=True)
            golden["tasks"][task] = documents
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(golden, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

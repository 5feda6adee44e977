#!/usr/bin/env bash
# Regenerates the committed instruction-count baseline of the CI gate for this build's compiler:
# tests/data/gate/baseline-<compiler>-<major version>.json. Run it after an intended change of the
# kernels' instruction counts (a faster kernel, a new compiler) and commit the file.
# Usage: tools/gate_baseline.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
# The CI set: every weight format family's decode product at Gemma 3 270M's size, attention with a
# sliding window, and the element-wise kernels; small enough to count under valgrind in seconds.
filter='matmul(_int8)?/(F32|BF16|Q8_0|Q4_0|Q4_K|Q6_K)/gemma3-270m.ffn_down/decode|attention/window512/gemma3-270m/decode|rms_norm|rope/neox|silu_mul|log_sum_exp/f32/gemma'
counts="$(mktemp)"
trap 'rm -f "$counts"' EXIT
"$build/flopwise" bench kernels --instructions --calls 1 --filter "$filter" --json "$counts"
# "GNU 12.2.0" -> gnu-12: the file name the CTest gate looks for (tests/CMakeLists.txt).
key="$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["context"]["flopwise_compiler"].split(); print(c[0].lower() + "-" + c[1].split(".")[0])' "$counts")"
out="tests/data/gate/baseline-$key.json"
cp "$counts" "$out"
echo "wrote $out"

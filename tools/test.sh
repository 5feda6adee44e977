#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (CTest). Usage: tools/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --no-run
ctest --test-dir build --output-on-failure -j2 --timeout 1500

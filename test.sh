#!/usr/bin/env bash
# Installs what is missing, builds (incrementally) and runs the whole CTest suite; exits non-zero
# on any failure. CUDA tests skip where there is no GPU; GUI tests run offscreen.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps
cmake --preset release >/dev/null
cmake --build --preset release
ctest --test-dir build/release --output-on-failure -j "$(nproc)" "$@"

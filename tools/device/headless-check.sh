#!/usr/bin/env bash
# Run on the GPU machine from the repository root (carry: [".deps"]): unpacks the carried Debian
# packages, builds the headless configuration (CLI, engine, results store; no Qt) with CUDA for
# sm_90, runs its tests and then whatever is given as arguments (e.g. a GPU `score` run). Logs go
# to $OUT.
set -uo pipefail
. "$(dirname "$0")/headless-env.sh"
build=${BUILD_DIR:-/tmp/build-headless}
cmake -S . -B "$build" -G Ninja -DMAMBASCOPE_GUI=OFF -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" -DPKG_CONFIG_EXECUTABLE=$deps/usr/bin/pkgconf \
      -DSQLite3_INCLUDE_DIR=$deps/usr/include -DSQLite3_LIBRARY=$deps/usr/lib/x86_64-linux-gnu/libsqlite3.so \
      2>&1 | tee "$out/configure.log" | grep -E 'CUDA|OpenBLAS|MambaScope|Error|error'
cmake --build "$build" -j "$(nproc)" 2>&1 | tee "$out/build.log" | grep -E "error|FAILED" | head -20
ctest --test-dir "$build" --output-on-failure -j 8 2>&1 | tee "$out/ctest.log" | tail -15
"$build/app/mambascope-cli" --version 2>&1 | tee "$out/version.log"
if [ $# -gt 0 ]; then "$@"; fi

#!/usr/bin/env bash
# Run on the GPU machine from the repository root: unpacks the carried Debian packages, builds the
# engine-only configuration with CUDA, runs its tests and prints the backends. Logs go to $OUT.
set -uo pipefail
. "$(dirname "$0")/engine-env.sh"
build=${BUILD_DIR:-/tmp/build-engine}
cmake -S . -B "$build" -G Ninja -DMAMBASCOPE_ENGINE_ONLY=ON -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" 2>&1 | tee "$out/configure.log" | grep -E 'CUDA|OpenBLAS|MambaScope|Error'
cmake --build "$build" -j "$(nproc)" 2>&1 | tee "$out/build.log" | tail -3
ctest --test-dir "$build" --output-on-failure -j 8 2>&1 | tee "$out/ctest.log" | tail -25
"$build/engine/cli/mambascope-engine" --version 2>&1 | tee "$out/version.log"
if [ "${BENCH:-0}" = 1 ]; then
  "$build/engine/cli/mambascope-engine" bench --shape 128x8 --shape 256x16 --chunk 4096 --chunk 16384 --seconds 2 2>&1 | tee "$out/bench.log"
fi

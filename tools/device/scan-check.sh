#!/usr/bin/env bash
# Run on the GPU machine from the repository root (carry: [".deps/debs"]): builds only the scan
# kernel test and benchmark (engine-only configuration, sm_90), runs the test, the bf16 and fp32
# benchmarks, and with PROFILE=1 Nsight Compute on the ring kernel of the 1×512×131,072 row (its
# launch 138: one check, 13 single, 100 back-to-back and 23 cold calls at L = 4,096) and an
# instruction-class count of its SASS; CUDA_FLAGS (e.g. -DMS_RING_LOOKBACK=3) builds a variant.
# Logs go to $OUT.
set -uo pipefail
. "$(dirname "$0")/engine-env.sh"
build=${BUILD_DIR:-/tmp/build-scan}
cmake -S . -B "$build" -G Ninja -DMAMBASCOPE_ENGINE_ONLY=ON -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" ${CUDA_FLAGS:+"-DCMAKE_CUDA_FLAGS=$CUDA_FLAGS"} >"$out/configure.log" 2>&1
cmake --build "$build" -j "$(nproc)" --target test_selective_scan_cuda bench_selective_scan >"$out/build.log" 2>&1 ||
  { tail -30 "$out/build.log"; exit 1; }
timeout 240 "$build/tests/kernels/test_selective_scan_cuda" 2>&1 | tee "$out/test.log" | grep -vE '^\s+batch .* y [0-9.e-]+ +state' | tail -15
grep -E '^\s+batch' "$out/test.log" | sort -k12 -g | tail -3
timeout 120 "$build/tests/kernels/bench_selective_scan" 2>&1 | tee "$out/bench.log"
[ "${FP32:-1}" = 1 ] && timeout 120 "$build/tests/kernels/bench_selective_scan" --fp32 2>&1 | tee "$out/bench-fp32.log"
if [ "${PROFILE:-0}" = 1 ]; then
  cuobjdump -sass "$build/tests/kernels/bench_selective_scan" |
    awk '/Function : .*scan_ring_kernelI13__nv_bfloat16Lb1E/{f=1;next} /Function :/{f=0} f' >"$out/ring-bf16.sass"
  echo "# SASS of the bf16 ring kernel: $(grep -cE '^\s+/\*[0-9a-f]{4}\*/' "$out/ring-bf16.sass") instructions"
  grep -oE '^\s+/\*[0-9a-f]{4}\*/\s+(@!?U?P[0-9T] )?[A-Z0-9_.]+' "$out/ring-bf16.sass" | awk '{print $NF}' |
    sed 's/\..*//' | sort | uniq -c | sort -rn | head -25 | tr '\n' ' '; echo
  timeout 200 ncu --metrics gpu__time_duration.sum,smsp__inst_executed.sum,smsp__issue_active.avg.pct_of_peak_sustained_active,smsp__inst_executed_pipe_fma.sum,smsp__inst_executed_pipe_alu.sum,smsp__inst_executed_pipe_lsu.sum,smsp__inst_executed_pipe_xu.sum,smsp__average_warps_issue_stalled_barrier_per_issue_active.ratio,smsp__average_warps_issue_stalled_long_scoreboard_per_issue_active.ratio,smsp__average_warps_issue_stalled_short_scoreboard_per_issue_active.ratio,smsp__average_warps_issue_stalled_mio_throttle_per_issue_active.ratio,smsp__average_warps_issue_stalled_wait_per_issue_active.ratio,smsp__average_warps_issue_stalled_math_pipe_throttle_per_issue_active.ratio,smsp__average_warps_issue_stalled_not_selected_per_issue_active.ratio,smsp__average_warps_issue_stalled_branch_resolving_per_issue_active.ratio,smsp__average_warps_issue_stalled_membar_per_issue_active.ratio,smsp__average_warps_issue_stalled_dispatch_stall_per_issue_active.ratio,l1tex__data_bank_conflicts_pipe_lsu_mem_shared.sum \
      -k regex:scan_ring_kernel --launch-skip 137 --launch-count 1 "$build/tests/kernels/bench_selective_scan" >"$out/ncu.log" 2>&1
  grep -E '^\s+(gpu__|smsp__|l1tex__)' "$out/ncu.log"
fi

#!/usr/bin/env bash
# Run on the GPU machine from the repository root (carry: [".deps/debs"]): builds the scan test and
# benchmark once per value of a compile-time switch (FLAG=MS_RING_…, VALUES="0 1"; engine-only
# configuration, sm_90), runs the kernel test on every build but the one of value 0, then the bf16
# benchmark of each build twice, interleaved, so that variants are compared within one run
# (FP32=1 adds the fp32 benchmark). PROF="1" profiles the ring kernel of the 1×512×131,072 row of
# the named builds with Nsight Compute, per SASS instruction (stall samples, shared-memory
# wavefronts), into $OUT/prof.tgz: read ring<v>-sass.csv there.
set -uo pipefail
. "$(dirname "$0")/engine-env.sh"
flag=${FLAG:?name the switch, e.g. FLAG=MS_RING_LOOKBACK}
values=${VALUES:-0 1}
for v in $values; do
  (cmake -S . -B "/tmp/bv$v" -G Ninja -DMAMBASCOPE_ENGINE_ONLY=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
         "-DCMAKE_CUDA_FLAGS=-D$flag=$v" >/dev/null &&
   cmake --build "/tmp/bv$v" -j 8 --target test_selective_scan_cuda bench_selective_scan >"$out/build$v.log" 2>&1 ||
   { echo "build $flag=$v failed"; tail -20 "$out/build$v.log"; }) &
done
wait
for v in $values; do
  [ "$v" = 0 ] && continue
  timeout 240 "/tmp/bv$v/tests/kernels/test_selective_scan_cuda" >"$out/test$v.log" 2>&1
  echo "test $flag=$v: exit $?, $(grep -cE '^FAIL' "$out/test$v.log") failed, $(tail -1 "$out/test$v.log")"
done
echo "# batch d_inner L | lone ms, b2b ms, cold ms | speed-ups (lone, b2b, cold)"
for r in 1 2; do
  for v in $values; do
    echo "== $flag=$v, run $r"
    timeout 120 "/tmp/bv$v/tests/kernels/bench_selective_scan" | awk '/^ +[0-9]/{print $1, $2, $4, "|", $5, $7, $8, "|", $12, $13, $14}'
    [ "${FP32:-0}" = 1 ] && timeout 120 "/tmp/bv$v/tests/kernels/bench_selective_scan" --fp32 | awk '/^ +[0-9]/{print "fp32", $1, $2, $4, "|", $5, $7, $8}'
  done
done
mkdir -p /tmp/prof
for v in ${PROF:-}; do
  timeout 200 ncu --clock-control none --set full --import-source yes -k regex:scan_ring_kernel --launch-skip 137 --launch-count 1 \
    -o "/tmp/prof/ring$v" "/tmp/bv$v/tests/kernels/bench_selective_scan" >"/tmp/prof/ncu$v.log" 2>&1
  ncu -i "/tmp/prof/ring$v.ncu-rep" --page source --csv --print-source sass >"/tmp/prof/ring$v-sass.csv"
  ncu -i "/tmp/prof/ring$v.ncu-rep" --page details >"/tmp/prof/details$v.txt"
  rm -f "/tmp/prof/ring$v.ncu-rep"
  echo "== profile $flag=$v"; grep -E "Duration|Issue Slots Busy|Warp Cycles Per Issued|Executed Instructions  " "/tmp/prof/details$v.txt"
done
[ -n "${PROF:-}" ] && tar czf "$out/prof.tgz" -C /tmp/prof .
exit 0

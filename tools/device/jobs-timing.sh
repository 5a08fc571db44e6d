#!/usr/bin/env bash
# Run on the GPU machine from the repository root (carry: [".deps/debs"], and the base's tarball):
# builds the headless CLI of the working tree and, with BASE=path/to/base.tgz (here:
# `git archive <commit> $(git ls-tree --name-only <commit> | grep -vx -e resources -e tests -e docs)
# resources/CMakeLists.txt resources/mambascope.qrc resources/icons tests/CMakeLists.txt | gzip >
# .deps/probe/base.tgz`), that commit beside it; then times whole CLI jobs on the demo genome with
# the bundled 256 × 16 model on cuda:0, the builds alternately, REPS times (seconds from process
# start to end: what a user waits); RECORDS=1 times genomes of many short records instead.
# docs/performance.md, twentieth and twenty-first sessions.
set -uo pipefail
. "$(dirname "$0")/headless-env.sh"
build() {   # source dir, build dir
  cmake -S "$1" -B "$2" -G Ninja -DMAMBASCOPE_GUI=OFF -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" -DPKG_CONFIG_EXECUTABLE=$deps/usr/bin/pkgconf \
        -DSQLite3_INCLUDE_DIR=$deps/usr/include -DSQLite3_LIBRARY=$deps/usr/lib/x86_64-linux-gnu/libsqlite3.so \
        > "$out/configure_$(basename "$2").log" 2>&1 &&
    cmake --build "$2" -j "$(nproc)" --target mambascope-cli mambascope_cuda > "$out/build_$(basename "$2").log" 2>&1 ||
    { echo "building $1 failed (logs in \$OUT)"; exit 1; }
}
builds=("after:$PWD/build-jobs-timing")
build "$PWD" "$PWD/build-jobs-timing" &
if [ -n "${BASE:-}" ]; then
  mkdir -p /tmp/jobs-base && tar -xzf "$BASE" -C /tmp/jobs-base
  build /tmp/jobs-base /tmp/jobs-base-build &
  builds=("before:/tmp/jobs-base-build" "${builds[@]}")
fi
wait
d=$PWD/resources/demo; m=$PWD/resources/models/mambascope-dna-large; fa=$d/ecoli_k12_mg1655.fa; w=/tmp/jobs-timing
# READS=1: `classify`/`embed` of reads and records of many lengths (100,000 reads of 150 bases,
# ~16 Mbp of log-normal long reads of 0.2-100 kbp, ~5,800 records of 0.5-5 kbp, the demo's BAM).
# RECORDS=1: `score` of 16 Mbp of random bases as one record, as 8,000 of 2 kbp, as ~5,800 of
# 0.5-5 kbp (a transcriptome) and as ~2,400 log-normal contigs of 0.2-540 kbp (a draft assembly),
# instead of the demo's jobs.
g=/tmp/jobs-timing-genomes
if [ "${RECORDS:-0}" = 1 ] || [ "${READS:-0}" = 1 ]; then
  mkdir -p $g
  python3 - "$g" <<'PY'
import random, sys
random.seed(7)
def write(name, lengths):
    with open(f"{sys.argv[1]}/{name}.fa", "w") as f:
        for i, n in enumerate(lengths):
            s = "".join(random.choices("ACGT", k=n))
            f.write(f">r{i}\n" + "\n".join(s[k:k + 80] for k in range(0, n, 80)) + "\n")
write("one", [16_000_000])
write("2kbp", [2_000] * 8_000)
mixed = []
while sum(mixed) < 16_000_000: mixed.append(random.randint(500, 5_000))
write("mixed", mixed)
contigs = []   # a draft assembly's: log-normal, a few long ones among many short
while sum(contigs) < 16_000_000: contigs.append(min(2_000_000, max(200, int(random.lognormvariate(8.0, 1.3)))))
write("contigs", contigs)
def fastq(name, lengths):
    with open(f"{sys.argv[1]}/{name}.fq", "w") as f:
        for i, n in enumerate(lengths):
            f.write(f"@q{i}\n" + "".join(random.choices("ACGT", k=n)) + "\n+\n" + "I" * n + "\n")
fastq("short", [150] * 100_000)
long_reads = []
while sum(long_reads) < 16_000_000: long_reads.append(min(100_000, max(200, int(random.lognormvariate(8.3, 0.9)))))
fastq("long", long_reads)
PY
fi
for rep in $(seq "${REPS:-2}"); do
  for b in "${builds[@]}"; do
    name=${b%%:*}; cli=${b#*:}/app/mambascope-cli
    quiet=--quiet; [ -n "${MAMBASCOPE_STAGE_TIMES:-}" ] && quiet=
    run() {
      local what=$1; shift; rm -rf $w; mkdir -p $w
      local s; s=$(date +%s.%N)
      # --quiet hides notes, the stage times among them
      "$cli" "$@" --device cuda:0 $quiet > $w/log 2>&1 || { echo "$what failed:"; tail -3 $w/log; }
      awk -v a="$s" -v b="$(date +%s.%N)" -v r="$rep" -v n="$name" -v j="$what" 'BEGIN { printf "%s %-7s %-24s %.2f s\n", r, n, j, b - a }'
      grep -h 'busy:' $w/log || true   # MAMBASCOPE_STAGE_TIMES=1: where the job's time went
    }
    run "start-up (1 kbp)" classify --fasta $fa --model $m --region NC_000913.2:1-1000 --db $w/z.db
    if [ "${READS:-0}" = 1 ]; then
      run "classify 100k × 150 b reads" classify --reads $g/short.fq --model $m --db $w/q.db
      run "embed 16 Mbp long reads" embed --reads $g/long.fq --model $m --db $w/l.db
      run "classify 0.5-5 kbp records" classify --fasta $g/mixed.fa --model $m --db $w/m.db
      run "classify demo reads" classify --reads $d/ecoli_nanopore.bam --model $m --db $w/r.db
      continue
    fi
    if [ "${RECORDS:-0}" = 1 ]; then
      for set in one 2kbp mixed contigs; do run "score 16 Mbp as $set" score --fasta $g/$set.fa --model $m --db $w/s.db; done
      run "score 2kbp --strand both" score --fasta $g/2kbp.fa --model $m --db $w/s.db --strand both
      continue
    fi
    run "score --chunk 131072" score --fasta $fa --model $m --db $w/s.db --chunk 131072
    run "score" score --fasta $fa --model $m --db $w/s.db
    run "classify record" classify --fasta $fa --model $m --db $w/c.db
    run "embed --window 20000" embed --fasta $fa --model $m --window 20000 --db $w/e.db
    run "classify --window 2000" classify --fasta $fa --model $m --window 2000 --db $w/w.db
    run "classify --window 500" classify --fasta $fa --model $m --window 500 --db $w/w.db
    run "classify reads" classify --reads $d/ecoli_nanopore.bam --model $m --db $w/r.db
  done
done

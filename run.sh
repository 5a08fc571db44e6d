#!/usr/bin/env bash
# The main job on the bundled demo data: installs what is missing, builds Release (incrementally),
# describes the bundled lambda phage genome, prints the build's backends, and scores the genome
# into results.db (per-base A/C/G/T probabilities, log-likelihood, entropy). Until the bundled DNA
# model lands (issue 10) the model is a tiny random-weight fixture from tests/data: the pipeline is
# real, the numbers carry no biology.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps
cmake --preset release >/dev/null
cmake --build --preset release
cli=build/release/app/mambascope-cli
"$cli" --version
echo
"$cli" info resources/demo/lambda_virus.fa
echo
rm -f results.db results.db-wal results.db-shm results.loglik.bw results.embeddings.npy results.embeddings.npy.index.tsv \
      results.reads.tsv
"$cli" score --model tests/data/fixtures/tied_k4_s16/hf --fasta resources/demo/lambda_virus.fa --db results.db \
  --device auto --quiet
"$cli" embed --model tests/data/fixtures/tied_k4_s16/hf --fasta resources/demo/lambda_virus.fa --db results.db \
  --window 5000 --device auto --quiet
# Each demo read through the model's classifier head (a random head on the fixture: placeholder labels).
"$cli" classify --model tests/data/fixtures/tied_k4_s16_head --reads resources/demo/lambda_longreads.fq \
  --db results.db --device auto --quiet
"$cli" export --db results.db --run 1 --track loglik --out results.loglik.bw
"$cli" export --db results.db --run 2 --embeddings --out results.embeddings.npy
"$cli" export --db results.db --run 3 --predictions --out results.reads.tsv
"$cli" info results.db
echo
echo "run.sh: per-base tracks and embeddings in results.db; the loglik track as results.loglik.bw (bigWig, for"
echo "IGV or the UCSC browser); the window embeddings as results.embeddings.npy (+ .index.tsv); one class"
echo "prediction per demo read in results.reads.tsv"

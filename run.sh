#!/usr/bin/env bash
# The main job on the bundled demo data with the bundled model (resources/models/mambascope-dna-small,
# trained here on ten genomes: tools/train, card in its MODEL_CARD.md): installs what is missing,
# builds Release (incrementally), then on E. coli K-12 MG1655 (resources/demo):
#   score     every base of the genome: P(A/C/G/T), log-likelihood, entropy (one sequence, carried state)
#   classify  the species of origin of every demo nanopore read, and of each 10 kbp genome window
#             (the windows with --embeddings: their pooled embeddings from the same forward pass)
#   variants  log-likelihood ratio of each allele of the demo VCF
# and exports the loglik track (bigWig), predictions (TSV), embeddings (.npy), scored VCF, and a
# picture of the genome view at gyrA (PNG), then prints a short summary. About 4 minutes on 2 cores (after the build).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps
cmake --preset release >/dev/null
cmake --build --preset release
cli=build/release/app/mambascope-cli
gui=build/release/ui/mambascope
demo=resources/demo
genome=$demo/ecoli_k12_mg1655.fa
"$cli" --version
echo
"$cli" info "$genome"
echo
rm -f results.db results.db-wal results.db-shm results.loglik.bw results.embeddings.npy results.embeddings.npy.index.tsv \
      results.reads.tsv results.windows.tsv results.variants.vcf.gz results.variants.vcf.gz.tbi results.gyrA.png
"$cli" score --fasta "$genome" --db results.db --device auto --quiet                               # run 1
"$cli" classify --reads $demo/ecoli_nanopore.bam --db results.db --device auto --quiet             # run 2
"$cli" classify --fasta "$genome" --window 10000 --embeddings --db results.db --device auto --quiet # run 3
"$cli" variants --fasta "$genome" --vcf $demo/ecoli_known_alleles.vcf.gz --out results.variants.vcf.gz \
  --db results.db --device auto --quiet                                                             # run 4
"$cli" export --db results.db --run 1 --track loglik --out results.loglik.bw
"$cli" export --db results.db --run 3 --embeddings --out results.embeddings.npy
"$cli" export --db results.db --run 2 --predictions --out results.reads.tsv
"$cli" export --db results.db --run 3 --predictions --out results.windows.tsv
if [ -x "$gui" ]; then
  "$gui" --genome "$genome" --db results.db --bam $demo/ecoli_nanopore.bam --vcf $demo/ecoli_known_alleles.vcf.gz \
    --annotations $demo/ecoli_k12_mg1655.gff3 --goto gyrA --snapshot results.gyrA.png --quit
fi
"$cli" info results.db
echo
tools/demo/summarise_run.py results.db results.reads.tsv results.windows.tsv results.variants.vcf.gz

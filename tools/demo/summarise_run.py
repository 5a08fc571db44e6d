#!/usr/bin/env python3
"""The short summary that ./run.sh prints after the demo job: what the bundled model said about the
demo reads, the genome's 10 kbp windows and the demo alleles (Python 3 standard library only).

    tools/demo/summarise_run.py RESULTS.db READS.tsv WINDOWS.tsv VARIANTS.vcf.gz
"""
import collections
import csv
import gzip
import sys


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def main():
    db, reads_tsv, windows_tsv, vcf = sys.argv[1:5]
    reads = read_tsv(reads_tsv)
    print(f"Nanopore reads ({len(reads)}), species of origin by the model's head:")
    for label, n in collections.Counter(r["label"] for r in reads).most_common():
        print(f"  {n:5d}  {label}")
    long_reads = [r for r in reads if int(r["end"]) - int(r["start"]) >= 1000]
    ok = sum(r["label"] == "Escherichia coli" for r in long_reads)
    print(f"  reads of 1 kbp or more called E. coli: {ok} of {len(long_reads)}"
          " (reads under ~500 bp are shorter than anything the head was trained on)")

    windows = read_tsv(windows_tsv)
    odd = [w for w in windows if w["label"] != "Escherichia coli"]
    print(f"\nGenome in 10 kbp windows ({len(windows)}): {len(windows) - len(odd)} look like E. coli;"
          f" {len(odd)} look like another species (candidate foreign DNA: prophages, islands, rRNA operons):")
    for w in sorted(odd, key=lambda w: int(w["start"]))[:15]:
        print(f"  {w['sequence']}:{int(w['start']) + 1:,}-{int(w['end']):,}  {w['label']}  (p = {float(w['score']):.2f})")
    if len(odd) > 15:
        print(f"  ... and {len(odd) - 15} more in {windows_tsv}")

    rows = []
    with gzip.open(vcf, "rt") as f:
        for line in f:
            if line.startswith("#"):
                continue
            c = line.rstrip("\n").split("\t")
            info = dict(kv.split("=", 1) for kv in c[7].split(";") if "=" in kv)
            rows.append((float(info.get("MS_LLR", "nan")), c[1], c[3], c[4], info.get("GENE", ""), info.get("AA", "")))
    print("\nDemo alleles, log2-likelihood ratio ALT vs REF (negative: the model finds the ALT less likely):")
    for llr, pos, ref, alt, gene, aa in sorted(rows):
        print(f"  {llr:+8.3f}  {pos:>9}  {ref}>{alt}  {gene} {aa}")
    print(f"\nEverything is in {db}; exports: results.loglik.bw (bigWig, for IGV / UCSC), results.embeddings.npy"
          f" (+ .index.tsv), {reads_tsv}, {windows_tsv}, {vcf}; results.gyrA.png is the genome view at gyrA.")


if __name__ == "__main__":
    main()

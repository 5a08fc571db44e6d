#!/usr/bin/python3
"""Rebuilds the E. coli K-12 MG1655 demo in resources/demo/ from Debian packages (issue 10).

    apt-get install minimap2 samtools bcftools tabix     # once, as root (not build dependencies)
    tools/demo/build_demo.py [--out resources/demo] [--work .deps/demo-build] [--max-read-mbp 1.5]

Downloads cct-examples and python3-nanoget-examples with `apt-get download`, unpacks them with
`dpkg -x` into WORK (ignored by git) and writes into OUT:
    ecoli_k12_mg1655.fa (+ .fai)      NC_000913.2 from cct-examples' GenBank file
    ecoli_k12_mg1655.gff3             its genes, CDS, rRNAs and tRNAs (tools/demo/genbank.py)
    ecoli_nanopore.bam (+ .bai)       nanoget's real nanopore E. coli reads, minimap2 -ax map-ont
    ecoli_known_alleles.vcf.gz (+ .tbi)  resistance alleles and illustrative indels (known_alleles.py)
Python 3 standard library and the Debian tools above; the outputs are byte-for-byte reproducible
for the same package versions (minimap2 and samtools run single-threaded, no timestamps).
"""
import argparse
import gzip
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genbank          # noqa: E402
import known_alleles    # noqa: E402

PACKAGES = ["cct-examples", "python3-nanoget-examples"]
GENBANK = "usr/share/doc/cct/examples/sample_projects/sample_project_3/comparison_genomes/NC_000913.gbk.gz"
READS = "usr/share/doc/python3-nanoget/examples/nanotest/reads.fastq.gz"
TOOLS = {"minimap2": "minimap2", "samtools": "samtools", "bcftools": "bcftools", "bgzip": "tabix",
         "tabix": "tabix"}
STEM = "ecoli_k12_mg1655"


def die(message):
    raise SystemExit(f"build_demo: {message}")


def run(args, **kw):
    try:
        return subprocess.run(args, check=True, **kw)
    except subprocess.CalledProcessError as e:
        die(f"'{' '.join(args)}' failed with exit code {e.returncode}")


def fetch(work):
    debs, root = os.path.join(work, "debs"), os.path.join(work, "root")
    os.makedirs(debs, exist_ok=True)
    missing = [p for p in PACKAGES if not any(f.startswith(p + "_") for f in os.listdir(debs))]
    if missing:
        run(["apt-get", "download", *missing], cwd=debs, stdout=subprocess.DEVNULL)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    versions = {}
    for f in sorted(os.listdir(debs)):
        if f.endswith(".deb"):
            run(["dpkg", "-x", os.path.join(debs, f), root])
            name, version = f.split("_")[:2]
            versions[name] = version.replace("%3a", ":")
    return root, versions


def read_subset(reads_gz, out_fastq, max_bases):
    """The reads in file order while their bases add up to at most max_bases: how many, how many bases."""
    n = bases = 0
    with gzip.open(reads_gz, "rt") as f, open(out_fastq, "w") as out:
        while True:
            record = [f.readline() for _ in range(4)]
            if not record[0]:
                break
            if not record[0].startswith("@") or not record[2].startswith("+") or not record[3]:
                die(f"{reads_gz}: read {n + 1} is not a 4-line FASTQ record")
            length = len(record[1].rstrip("\n"))
            if bases + length > max_bases:
                break
            out.writelines(record)
            n, bases = n + 1, bases + length
    return n, bases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="resources/demo")
    ap.add_argument("--work", default=".deps/demo-build")
    ap.add_argument("--max-read-mbp", type=float, default=1.5,
                    help="keep the first reads of the file up to this many bases (the demo stays small)")
    a = ap.parse_args()
    absent = sorted({pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None})
    if absent:
        die(f"missing tools; install them with: apt-get install {' '.join(absent)}")
    os.makedirs(a.out, exist_ok=True)
    root, versions = fetch(a.work)
    tmp = os.path.join(a.work, "tmp")
    os.makedirs(tmp, exist_ok=True)

    records = genbank.read_genbank(os.path.join(root, GENBANK))
    if len(records) != 1:
        die(f"{GENBANK}: expected one record, found {len(records)}")
    record = records[0]
    fasta = os.path.join(a.out, STEM + ".fa")
    genbank.write_fasta(record, fasta)
    run(["samtools", "faidx", fasta])
    genbank.write_gff3(record, os.path.join(a.out, STEM + ".gff3"))
    print(f"build_demo: {record.name} ({record.length} bp), "
          f"{sum(f.key in genbank.GFF_TYPES for f in record.features)} features in the GFF3", file=sys.stderr)

    fastq = os.path.join(tmp, "reads.fq")
    n, bases = read_subset(os.path.join(root, READS), fastq, a.max_read_mbp * 1e6)
    bam = os.path.join(a.out, "ecoli_nanopore.bam")
    sam = os.path.join(tmp, "reads.sam")
    with open(sam, "w") as out:
        run(["minimap2", "-ax", "map-ont", "-t", "1", fasta, fastq], stdout=out, stderr=subprocess.DEVNULL)
    run(["samtools", "sort", "--no-PG", "-@", "0", "-o", bam, sam])
    run(["samtools", "index", bam])
    print(f"build_demo: {n} reads, {bases / 1e6:.2f} Mbp, aligned into {bam}", file=sys.stderr)

    rows = known_alleles.variants(record)
    raw_vcf = os.path.join(tmp, "alleles.vcf")
    with open(raw_vcf, "w") as out:
        out.write(known_alleles.vcf_text(record, rows, f"tools/demo/known_alleles.py on cct-examples "
                                                       f"{versions.get('cct-examples', '?')}"))
    vcf = os.path.join(a.out, "ecoli_known_alleles.vcf.gz")
    # left-aligns the indels and fails if a REF does not match the genome
    run(["bcftools", "norm", "--no-version", "--check-ref", "e", "-f", fasta, "-Oz", "-o", vcf, raw_vcf],
        stderr=subprocess.DEVNULL)
    run(["tabix", "-f", "-p", "vcf", vcf])
    print(f"build_demo: {len(rows)} variants in {vcf}", file=sys.stderr)
    for f in sorted(os.listdir(a.out)):
        if f.startswith((STEM, "ecoli_")):
            print(f"  {os.path.getsize(os.path.join(a.out, f)) / 1e6:7.2f} MB  {f}", file=sys.stderr)


if __name__ == "__main__":
    main()

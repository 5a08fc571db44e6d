#!/usr/bin/python3
"""The committed E. coli demo (resources/demo/) is consistent with itself: every complete CDS of the
GFF3 reads from a start codon to a stop codon on the FASTA (so coordinates, strands, joins and
phases are right), and every VCF REF is the genome's base there. Python standard library only."""
import gzip
import os
import sys
import unittest
from urllib.parse import unquote

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "resources", "demo")
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "demo"))
from known_alleles import CODONS, COMPLEMENT  # noqa: E402

STARTS = {"ATG", "GTG", "TTG", "CTG", "ATT", "ATC", "ATA"}   # bacterial start codons (table 11)


def read_fasta(path):
    name, parts = None, []
    with open(path) as f:
        for line in f:
            if line.startswith(">"):
                name = line[1:].split()[0]
            else:
                parts.append(line.strip())
    return name, "".join(parts)


class DemoData(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.name, cls.seq = read_fasta(os.path.join(DEMO, "ecoli_k12_mg1655.fa"))

    def test_genome(self):
        self.assertEqual((self.name, len(self.seq)), ("NC_000913.2", 4639675))
        self.assertEqual(set(self.seq), set("ACGT"))

    def test_cds_read_start_to_stop(self):
        cds = {}
        with open(os.path.join(DEMO, "ecoli_k12_mg1655.gff3")) as f:
            for line in f:
                if line.startswith("#"):
                    continue
                col = line.rstrip("\n").split("\t")
                self.assertEqual(len(col), 9, line)
                self.assertEqual(col[0], self.name)
                if col[2] != "CDS":
                    continue
                attrs = dict(kv.split("=", 1) for kv in col[8].split(";"))
                cds.setdefault(attrs["ID"], []).append((int(col[3]) - 1, int(col[4]), col[6], int(col[7]), attrs))
        self.assertGreater(len(cds), 4000)
        checked, bad = 0, []
        for fid, parts in cds.items():
            if parts[0][4].get("pseudo") == "true":
                continue
            parts.sort(reverse=parts[0][2] == "-")      # biological order
            seq = ""
            for start, end, strand, phase, _ in parts:
                piece = self.seq[start:end] if strand == "+" else self.seq[start:end].translate(COMPLEMENT)[::-1]
                self.assertEqual((-len(seq)) % 3, phase, f"{fid}: phase of part {start + 1}..{end}")
                seq += piece
            if len(seq) % 3 or seq[:3] not in STARTS or CODONS.get(seq[-3:]) != "*":
                bad.append(f"{fid} {unquote(parts[0][4]['Name'])}: {len(seq)} bp, {seq[:3]}...{seq[-3:]}")
            checked += 1
        self.assertEqual(bad, [])
        self.assertGreater(checked, 4000)

    def test_vcf_refs_match_the_genome(self):
        with gzip.open(os.path.join(DEMO, "ecoli_known_alleles.vcf.gz"), "rt") as f:
            rows = [line.split("\t") for line in f if not line.startswith("#")]
        self.assertGreaterEqual(len(rows), 5)
        for chrom, pos, vid, ref, alt, *_ in rows:
            self.assertEqual(chrom, self.name)
            self.assertEqual(self.seq[int(pos) - 1:int(pos) - 1 + len(ref)], ref, vid)
            self.assertNotEqual(ref, alt, vid)


if __name__ == "__main__":
    unittest.main()

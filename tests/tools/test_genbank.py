#!/usr/bin/python3
"""tools/demo/genbank.py: table-driven records that must parse (with the GFF3 they give) and
malformed ones that must fail with a message naming the line and what was expected."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "demo"))
import genbank  # noqa: E402

SEQ = "atgaaacgcattagcaccaccattaccaccaccatcaccattaccacaggtaacggtgcgggctgacgcgtacaggaaacacagaaaaaagcccgcacctgac"


def record_text(features, seq=SEQ, length=None, tail="//"):
    lines = [f"LOCUS       TEST1                {length or len(seq)} bp    DNA     circular BCT 01-JAN-2000",
             "DEFINITION  A test record,", "            on two lines.", "VERSION     TEST1.1",
             "FEATURES             Location/Qualifiers"]
    lines += features
    lines.append("ORIGIN")
    for i in range(0, len(seq), 60):
        chunk = seq[i:i + 60]
        lines.append(f"{i + 1:9d} " + " ".join(chunk[j:j + 10] for j in range(0, len(chunk), 10)))
    if tail:
        lines.append(tail)
    return [line + "\n" for line in lines]


GENE = ["     gene            1..66",
        "                     /gene=\"thrL\"",
        "                     /locus_tag=\"b0001\""]
CDS = ["     CDS             1..66",
       "                     /gene=\"thrL\"",
       "                     /locus_tag=\"b0001\"",
       "                     /codon_start=1",
       "                     /product=\"thr operon leader peptide; a \"\"quoted\"\"",
       "                     word over lines\"",
       "                     /translation=\"MKRISTTITTTITITTGNGAG",
       "                     EXTRA\""]


class Parses(unittest.TestCase):
    def test_record_fields(self):
        (r,) = genbank.parse_lines(record_text(GENE + CDS))
        self.assertEqual((r.name, r.length, r.topology), ("TEST1.1", len(SEQ), "circular"))
        self.assertEqual(r.definition, "A test record, on two lines.")
        self.assertEqual(r.sequence, SEQ.upper())
        cds = r.features[1]
        self.assertEqual(cds.first("product"), 'thr operon leader peptide; a "quoted" word over lines')
        self.assertEqual(cds.first("translation"), "MKRISTTITTTITITTGNGAGEXTRA")   # sequences join without spaces
        self.assertEqual(cds.first("codon_start"), "1")

    def test_locations(self):
        table = [
            ("1..66", [(0, 66, 1)]),
            ("<1..>66", [(0, 66, 1)]),
            ("7", [(6, 7, 1)]),
            ("complement(10..20)", [(9, 20, -1)]),
            ("join(1..10,21..30)", [(0, 10, 1), (20, 30, 1)]),
            # biological order: the 5' part of a minus-strand feature is its higher one
            ("complement(join(1..10,21..30))", [(20, 30, -1), (0, 10, -1)]),
            ("join(complement(21..30),complement(1..10))", [(20, 30, -1), (0, 10, -1)]),
            ("order(1..5, 8..9)", [(0, 5, 1), (7, 9, 1)]),
        ]
        for text, parts in table:
            with self.subTest(location=text):
                self.assertEqual(genbank.parse_location(text, 100), parts)

    def test_location_over_two_lines(self):
        feature = ["     CDS             join(1..30,", "                     37..66)",
                   "                     /gene=\"x\""]
        (r,) = genbank.parse_lines(record_text(feature))
        self.assertEqual(r.features[0].parts, [(0, 30, 1), (36, 66, 1)])

    def test_gff3(self):
        split = ["     CDS             complement(join(1..31,33..66))", "                     /locus_tag=\"b0002\"",
                 "     tRNA            complement(70..90)", "                     /product=\"tRNA-Leu\""]
        (r,) = genbank.parse_lines(record_text(GENE + CDS + split))
        rows = [line.split("\t") for line in genbank.gff3_lines(r)]
        self.assertEqual([(x[2], x[3], x[4], x[6], x[7]) for x in rows],
                         [("gene", "1", "66", "+", "."), ("CDS", "1", "31", "-", "2"),
                          ("CDS", "1", "66", "+", "0"), ("CDS", "33", "66", "-", "0"),
                          ("tRNA", "70", "90", "-", ".")])
        self.assertIn("ID=gene-b0001;Name=thrL;locus_tag=b0001", rows[0][8])
        # ';' inside a value is percent-encoded, as GFF3 column 9 requires
        self.assertIn("Parent=gene-b0001;locus_tag=b0001;product=thr operon leader peptide%3B a", rows[2][8])
        # one CDS, two lines, one ID; the 3' part (1..31) starts 2 bases into a codon: 34 = 3 * 11 + 1
        self.assertIn("ID=cds-b0002;Name=b0002", rows[1][8])
        self.assertEqual(rows[1][8], rows[3][8])
        self.assertIn("ID=trna-tRNA-Leu_70;Name=tRNA-Leu", rows[4][8])


class Fails(unittest.TestCase):
    def check(self, lines, message):
        with self.assertRaises(genbank.GenBankError) as e:
            genbank.parse_lines(lines, "x.gbk")
        self.assertRegex(str(e.exception), message)

    def test_bad_inputs(self):
        table = [
            ("no LOCUS", ["ID   something\n"], r"x.gbk:1: expected a LOCUS line"),
            ("empty", [], r"no GenBank record"),
            ("truncated", record_text(GENE, tail=None), r"record 'TEST1.1' \(line 1\) has no closing '//'"),
            ("length", record_text(GENE, length=500), r"the sequence has 103 bases; the LOCUS line says 500"),
            ("outside", record_text(["     gene            90..200", "                     /gene=\"x\""]),
             r"x.gbk:6: record 'TEST1.1': gene feature: location '90..200': range 90..200 is outside"),
            ("unbalanced", record_text(["     CDS             join(1..10,20..30", "                     /gene=\"x\""]),
             r"x.gbk:6: .*CDS feature: location 'join\(1..10,20..30': expected '\)'"),
            ("remote", record_text(["     CDS             join(1..10,J00194.1:100..202)"]),
             r"refers to another sequence"),
            ("between", record_text(["     misc_feature    10^11"]), r"a site between two bases"),
            ("unclosed quote", record_text(["     gene            1..10", "                     /gene=\"x"]),
             r"x.gbk:7: record 'TEST1.1': qualifier /gene has an unclosed quote"),
            ("qualifier without slash", record_text(["     gene            1..10", "                     gene=\"x\""]),
             r"x.gbk:6: .*location '1..10gene=\"x\"': unexpected 'gene=\"x\"' after the location"),
            ("text after a quoted value", record_text(["     gene            1..10", "                     /gene=\"x\"",
                                                       "                     stray"]),
             r"x.gbk:8: .*expected a qualifier '/name=value', found 'stray'"),
            ("bad base", record_text(GENE)[:-2] + ["       61 acgt1 acgt\n", "//\n"],
             r"sequence line holds characters that are not bases"),
        ]
        for name, lines, message in table:
            with self.subTest(name):
                self.check(lines, message)

    def test_unnamed_feature(self):
        (r,) = genbank.parse_lines(record_text(["     rRNA            1..10", "                     /note=\"x\""]))
        with self.assertRaisesRegex(genbank.GenBankError, r"rRNA at 1..10 has no /gene, /locus_tag or /product"):
            genbank.gff3_lines(r)

    def test_bad_codon_start(self):
        (r,) = genbank.parse_lines(record_text(["     CDS             1..10", "                     /gene=\"x\"",
                                                "                     /codon_start=4"]))
        with self.assertRaisesRegex(genbank.GenBankError, r"/codon_start=4; expected 1, 2 or 3"):
            genbank.gff3_lines(r)


if __name__ == "__main__":
    unittest.main()

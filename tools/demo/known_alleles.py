"""The demo VCF's variants: published E. coli resistance alleles and two illustrative lacZ indels,
placed on the demo genome through its own CDS annotation, each reference codon checked first.

None of these was observed in the demo reads (their 1.9x nanopore coverage cannot call variants):
they are what a biologist would look for on K-12, written onto the reference so that `variants`
and the genome view have recognisable sites. The INFO field SOURCE says which kind each one is.
"""

COMPLEMENT = str.maketrans("ACGT", "TGCA")

CODONS = {a + b + c: aa for (a, b, c), aa in zip(
    [(x, y, z) for x in "TCAG" for y in "TCAG" for z in "TCAG"],
    "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG")}

# gene, codon number (Met = 1), reference amino acid, codon in the mutant, what it is known for
SUBSTITUTIONS = [
    ("gyrA", 83, "S", "TTG", "fluoroquinolone resistance (gyrA S83L)"),
    ("gyrA", 87, "D", "AAC", "fluoroquinolone resistance (gyrA D87N)"),
    ("parC", 80, "S", "ATC", "fluoroquinolone resistance (parC S80I)"),
    ("rpoB", 526, "H", "TAC", "rifampicin resistance (rpoB H526Y)"),
    ("rpoB", 516, "D", "GTC", "rifampicin resistance (rpoB D516V)"),
    ("rpsL", 43, "K", "AGA", "streptomycin resistance (rpsL K43R)"),
]
# gene, codon number, "del" N bases at the codon's first base, or "ins" BASES before it
INDELS = [
    ("lacZ", 10, "del", 1, "illustrative frameshift, not a published allele"),
    ("lacZ", 20, "ins", "A", "illustrative frameshift, not a published allele"),
]


class AlleleError(Exception):
    pass


def _cds(record, gene):
    hits = [f for f in record.features if f.key == "CDS" and f.first("gene") == gene]
    if len(hits) != 1:
        raise AlleleError(f"record '{record.name}' has {len(hits)} CDS named {gene}; expected exactly one")
    if len(hits[0].parts) != 1:
        raise AlleleError(f"CDS {gene} at {hits[0].location} is split; the allele table expects one part")
    return hits[0]


def codon_site(record, gene, codon):
    """0-based genomic start of codon `codon` of `gene`, its strand and the codon as the gene reads it."""
    start, end, strand = _cds(record, gene).parts[0]
    if strand > 0:
        g = start + 3 * (codon - 1)
        bases = record.sequence[g:g + 3]
    else:
        g = end - 3 * codon
        bases = record.sequence[g:g + 3].translate(COMPLEMENT)[::-1]
    if not start <= g < end - 2:
        raise AlleleError(f"codon {codon} is outside CDS {gene} ({start + 1}..{end})")
    return g, strand, bases


def variants(record):
    """VCF rows (pos 1-based, ref, alt, info) for the tables above, unnormalised (bcftools norm follows)."""
    rows = []
    seq = record.sequence
    for gene, codon, ref_aa, mutant, note in SUBSTITUTIONS:
        g, strand, ref_codon = codon_site(record, gene, codon)
        if CODONS.get(ref_codon) != ref_aa:
            raise AlleleError(f"{gene} codon {codon} is {ref_codon} ({CODONS.get(ref_codon, '?')}) in "
                              f"'{record.name}'; the allele table expects {ref_aa}: wrong genome or numbering")
        alt_aa = CODONS[mutant]
        genomic_ref = seq[g:g + 3]
        genomic_alt = mutant if strand > 0 else mutant.translate(COMPLEMENT)[::-1]
        diffs = [i for i in range(3) if genomic_ref[i] != genomic_alt[i]]
        lo, hi = diffs[0], diffs[-1] + 1
        rows.append((g + lo + 1, genomic_ref[lo:hi], genomic_alt[lo:hi],
                     {"GENE": gene, "AA": f"{ref_aa}{codon}{alt_aa}", "SOURCE": "published", "NOTE": note}))
    for gene, codon, kind, what, note in INDELS:
        g, strand, _ = codon_site(record, gene, codon)
        first = g if strand > 0 else g + 2   # the codon's first base in the gene's reading direction
        if kind == "del":
            at = first if strand > 0 else first - what + 1
            rows.append((at, seq[at - 1:at + what], seq[at - 1],
                         {"GENE": gene, "AA": f"codon{codon}del{what}", "SOURCE": "illustrative", "NOTE": note}))
        else:
            # inserted before the codon's first base, in the gene's direction
            at = first if strand > 0 else first + 1
            ins = what if strand > 0 else what.translate(COMPLEMENT)[::-1]
            rows.append((at, seq[at - 1], seq[at - 1] + ins,
                         {"GENE": gene, "AA": f"codon{codon}ins{what}", "SOURCE": "illustrative", "NOTE": note}))
    return sorted(rows)


def vcf_text(record, rows, source_note):
    out = ["##fileformat=VCFv4.2",
           f"##source={source_note}",
           f"##reference={record.name}",
           f"##contig=<ID={record.name},length={record.length}>",
           '##INFO=<ID=GENE,Number=1,Type=String,Description="Gene whose CDS holds the variant">',
           '##INFO=<ID=AA,Number=1,Type=String,Description="Protein change (codon numbers from Met = 1)">',
           '##INFO=<ID=SOURCE,Number=1,Type=String,Description="published: a resistance allele from the '
           'literature, written onto the reference; illustrative: made up for the demo">',
           '##INFO=<ID=NOTE,Number=1,Type=String,Description="What the allele is known for">',
           "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for pos, ref, alt, info in rows:
        fields = ";".join(f"{k}={v.replace(' ', '_').replace(';', ',')}" for k, v in info.items())
        out.append(f"{record.name}\t{pos}\t{info['GENE']}_{info['AA']}\t{ref}\t{alt}\t.\t.\t{fields}")
    return "\n".join(out) + "\n"

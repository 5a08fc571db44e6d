#!/usr/bin/python3
"""Reads MambaScope's exports back with readers independent of MambaScope (test_export runs it).

  check_export.py bigwig FILE EXPECTED      pyBigWig: chromosome sizes, every base's value, zoom levels
  check_export.py zooms FILE -              every zoom record against the file's own values
  check_export.py bedgraph FILE EXPECTED    bedGraph (plain or bgzip) lines expanded to bases
  check_export.py table FILE EXPECTED tsv|csv   Python's csv reader: header and cells
  check_export.py npy FILE EXPECTED         numpy.load: dtype, shape, values; FILE.index.tsv rows

EXPECTED is written by the test from the results store's own API: for tracks one line per base
"chrom<TAB>length<TAB>pos<TAB>value" (value 'nan' where the export must have a gap), for tables
the expected cells tab-separated, for npy one vector per line. Exits 1 with a message on the first
disagreement. Only Debian's python3 packages are used (python3-pybigwig, python3-numpy).
"""
import csv
import gzip
import math
import struct
import sys
import zlib


def fail(msg):
    print("check_export: " + msg)
    sys.exit(1)


# Stored values are float16 (or quantised) codes decoded to float32; bigWig and the decimal text of
# bedGraph both hold float32 exactly (shortest round-trip text), so the only slack is float32 vs
# Python's double in the comparison itself.
TOL = 1e-6


def close(a, b, tol=TOL):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol * max(1.0, abs(b))


def read_track_expected(path):
    sizes, values = {}, {}
    with open(path) as f:
        for line in f:
            chrom, length, pos, value = line.rstrip("\n").split("\t")
            sizes[chrom] = int(length)
            values.setdefault(chrom, []).append((int(pos), float(value)))
    return sizes, values


def zoom_records(raw):
    """Every zoom level's records as (reduction, [(chrom, start, end, count, min, max, sum, sum_sq)]),
    read from the file's bytes through each level's R-tree (bigWig layout, Kent et al. 2010)."""
    n_levels = struct.unpack_from("<H", raw, 6)[0]
    block_bytes = struct.unpack_from("<I", raw, 52)[0]
    levels = []
    for z in range(n_levels):
        reduction, _, _, index = struct.unpack_from("<IIQQ", raw, 64 + 24 * z)
        blocks = []

        def walk(node):
            is_leaf, _, count = struct.unpack_from("<BBH", raw, node)
            for i in range(count):
                if is_leaf:
                    blocks.append(struct.unpack_from("<IIIIQQ", raw, node + 4 + 32 * i)[4:])
                else:
                    walk(struct.unpack_from("<IIIIQ", raw, node + 4 + 24 * i)[4])

        walk(index + 48)
        records = []
        for offset, size in blocks:
            data = raw[offset:offset + size]
            if block_bytes:
                data = zlib.decompress(data)
            records += [struct.unpack_from("<IIIIffff", data, i) for i in range(0, len(data), 32)]
        levels.append((reduction, records))
    return levels


def check_zoom_records(raw, bw):
    """Each record's count, minimum, maximum, sum and sum of squares against the bases it covers.
    libBigWig 0.4.7 left sum and sum of squares at 0 in the last record of every block (found in
    review): a browser zoomed out showed a mean of 0 there."""
    names = list(bw.chroms().keys())
    cache = {}
    for reduction, records in zoom_records(raw):
        previous = None
        for chrom, start, end, count, lo, hi, total, squares in records:
            name = names[chrom]
            if name not in cache:
                cache[name] = bw.values(name, 0, bw.chroms()[name])
            vals = [v for v in cache[name][start:end] if not math.isnan(v)]
            where = f"zoom level {reduction}, record {name}:{start}-{end}"
            if previous is not None and (chrom, start) <= previous:
                fail(f"{where} is not after the record before it")
            previous = (chrom, start)
            if count != len(vals) or not vals:
                fail(f"{where} counts {count} bases with data, the values {len(vals)}")
            if not close(lo, min(vals)) or not close(hi, max(vals)):
                fail(f"{where}: min/max {lo}/{hi}, the values' {min(vals)}/{max(vals)}")
            want, want_sq = math.fsum(vals), math.fsum(v * v for v in vals)
            if not math.isclose(total, want, rel_tol=1e-5, abs_tol=1e-3) or \
                    not math.isclose(squares, want_sq, rel_tol=1e-5, abs_tol=1e-3):
                fail(f"{where}: sum {total} and sum of squares {squares}, the values' {want} and {want_sq}")
        covered = sum(r[3] for r in records)
        total_values = sum(1 for v in (x for c in cache.values() for x in c) if not math.isnan(v))
        if len(cache) == len(names) and covered != total_values:
            fail(f"zoom level {reduction} covers {covered} bases, the values {total_values}")


def check_zooms(path):
    """A bigWig's zoom records against its own values (for files the database did not write)."""
    import pyBigWig

    bw = pyBigWig.open(path)
    with open(path, "rb") as f:
        check_zoom_records(f.read(), bw)
    print("zooms ok")


def check_bigwig(path, expected):
    import pyBigWig

    sizes, values = read_track_expected(expected)
    bw = pyBigWig.open(path)
    if bw is None or not bw.isBigWig():
        fail(f"{path} does not open as a bigWig")
    if bw.chroms() != sizes:
        fail(f"chromosome sizes {bw.chroms()} differ from the run's sequences {sizes}")
    header = bw.header()
    if header["nLevels"] < 1:
        fail(f"no zoom levels in {path} (header {header})")
    covered = 0
    for chrom, rows in values.items():
        got = bw.values(chrom, 0, sizes[chrom])
        for pos, want in rows:
            if not close(got[pos], want):
                fail(f"{chrom}:{pos} is {got[pos]} in the bigWig, {want} in the database")
            covered += not math.isnan(want)
        # Summaries over a whole chromosome come from the zoom levels (exact=False), whose records
        # keep each bin's true minimum and maximum: those must equal the values'. (Zoomed means
        # are interpolated over partial bins by design, so they are only approximations.)
        known = [v for _, v in rows if not math.isnan(v)]
        if known:
            for kind, want in (("min", min(known)), ("max", max(known))):
                zoomed = bw.stats(chrom, 0, sizes[chrom], type=kind, nBins=1)[0]
                if not close(zoomed, want):
                    fail(f"{chrom}: {kind} from the zoom levels {zoomed}, from the values {want}")
    if header["nBasesCovered"] != covered:
        fail(f"{header['nBasesCovered']} bases covered in the bigWig, {covered} values in the database")
    # The header's total summary (what browsers scale a track by), read from the file itself:
    # pyBigWig's header() truncates it to integers. libBigWig wrote a maximum of DBL_MIN for tracks
    # of negative values (found in review); the writer now sets it from the values.
    with open(path, "rb") as f:
        raw = f.read()
    check_zoom_records(raw, bw)
    offset = struct.unpack_from("<Q", raw, 44)[0]
    bases, lo, hi, total, squares = struct.unpack_from("<Qdddd", raw, offset)
    known = [v for rows in values.values() for _, v in rows if not math.isnan(v)]
    for key, got, want in (("bases covered", bases, covered), ("minimum", lo, min(known)), ("maximum", hi, max(known)),
                           ("sum", total, math.fsum(known)), ("sum of squares", squares, math.fsum(v * v for v in known))):
        if not math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
            fail(f"the header's summary has {key} {got}, the values' is {want}")
    print(f"bigwig ok: {covered} bases, {header['nLevels']} zoom level(s)")


def check_bedgraph(path, expected):
    sizes, values = read_track_expected(expected)
    with open(path, "rb") as f:
        compressed = f.read(2) == b"\x1f\x8b"
    lines = (gzip.open(path, "rt") if compressed else open(path)).read().splitlines()
    got = {c: {} for c in sizes}
    last = {}
    for n, line in enumerate(lines, 1):
        cols = line.split("\t")
        if len(cols) != 4:
            fail(f"line {n}: {len(cols)} columns, expected 4: {line!r}")
        chrom, start, end, value = cols[0], int(cols[1]), int(cols[2]), float(cols[3])
        if chrom not in sizes or not 0 <= start < end <= sizes[chrom]:
            fail(f"line {n}: interval {chrom}:{start}-{end} outside the sequences")
        if start < last.get(chrom, 0):
            fail(f"line {n}: not sorted or overlapping the line before")
        last[chrom] = end
        for p in range(start, end):
            got[chrom][p] = value
    bases = 0
    for chrom, rows in values.items():
        for pos, want in rows:
            have = got[chrom].get(pos, math.nan)
            if not close(have, want):
                fail(f"{chrom}:{pos} is {have} in the bedGraph, {want} in the database")
            bases += not math.isnan(want)
    print(f"bedgraph ok: {len(lines)} lines, {bases} bases")


def check_table(path, expected, syntax):
    with open(path, newline="") as f:
        got = list(csv.reader(f, delimiter="\t" if syntax == "tsv" else ","))
    with open(expected) as f:
        want = [line.rstrip("\n").split("\t") for line in f]
    if len(got) != len(want):
        fail(f"{len(got)} rows (header included), expected {len(want)}")
    for r, (g, w) in enumerate(zip(got, want)):
        if len(g) != len(w):
            fail(f"row {r}: {len(g)} cells {g}, expected {len(w)} {w}")
        for c, (a, b) in enumerate(zip(g, w)):
            try:
                same = close(float(a), float(b))
            except ValueError:
                same = a == b
            if not same:
                fail(f"row {r} column {want[0][c]!r}: {a!r}, expected {b!r}")
    print(f"table ok: {len(got) - 1} rows")


def check_npy(path, expected):
    import numpy

    a = numpy.load(path)
    with open(expected) as f:
        want = [[float(x) for x in line.split("\t")] for line in f if line.strip()]
    if a.dtype != numpy.float32 or a.ndim != 2:
        fail(f"array of {a.dtype} with {a.ndim} dimensions; expected float32 [n, d]")
    if a.shape != (len(want), len(want[0])):
        fail(f"shape {a.shape}, expected ({len(want)}, {len(want[0])})")
    # The vectors are stored as float32 and exported as they are: equal, not close.
    if not numpy.array_equal(a, numpy.array(want, dtype=numpy.float32)):
        fail(f"values differ:\n{a}\nexpected\n{numpy.array(want)}")
    with open(path + ".index.tsv", newline="") as f:
        index = list(csv.reader(f, delimiter="\t"))
    if index[0] != ["row", "kind", "item", "sequence", "start", "end"]:
        fail(f"index header {index[0]}")
    if [int(r[0]) for r in index[1:]] != list(range(len(want))):
        fail(f"index rows {[r[0] for r in index[1:]]}, expected 0..{len(want) - 1}")
    print(f"npy ok: {a.shape}")


def main():
    if len(sys.argv) < 4:
        fail(__doc__)
    kind, path, expected = sys.argv[1:4]
    if kind == "bigwig":
        check_bigwig(path, expected)
    elif kind == "zooms":
        check_zooms(path)
    elif kind == "bedgraph":
        check_bedgraph(path, expected)
    elif kind == "table":
        check_table(path, expected, sys.argv[4])
    elif kind == "npy":
        check_npy(path, expected)
    else:
        fail(f"unknown check {kind!r}")


main()

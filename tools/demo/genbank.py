"""A small GenBank flat-file reader and GFF3 writer for the demo genome (Python standard library only).

Reads what NCBI's GenBank format holds that the demo needs: LOCUS / VERSION names, the feature
table (keys, locations with join()/order()/complement() and partial-end marks '<' '>', qualifiers
over several lines, quoted or not) and the ORIGIN sequence. Anything it cannot read raises
GenBankError naming the file, the line and what was expected, rather than writing a wrong GFF3.

Locations are kept as parts (start, end, strand): 0-based half-open, in the feature's biological
order (a complement(join(a,b)) feature lists b before a), which is what the CDS phases follow.
"""
import gzip
import re
from urllib.parse import quote

FEATURE_KEY_COL = 5    # feature keys start in column 6 (0-based 5)
QUALIFIER_COL = 21     # locations and qualifiers start in column 22 (0-based 21)


class GenBankError(Exception):
    pass


class Feature:
    def __init__(self, key, location, parts, qualifiers, line):
        self.key = key
        self.location = location        # the location text, as written
        self.parts = parts              # [(start, end, strand)] 0-based half-open, biological order
        self.qualifiers = qualifiers    # {name: [values]} (a qualifier may repeat)
        self.line = line                # line of the feature key, for messages

    def first(self, name, default=None):
        values = self.qualifiers.get(name)
        return values[0] if values else default

    @property
    def strand(self):
        return self.parts[0][2]

    @property
    def span(self):
        return min(p[0] for p in self.parts), max(p[1] for p in self.parts)


class Record:
    def __init__(self, name, length, topology, definition, features, sequence):
        self.name, self.length, self.topology = name, length, topology
        self.definition, self.features, self.sequence = definition, features, sequence


def _opener(path):
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", encoding="ascii", errors="replace") if gz else open(path, encoding="ascii",
                                                                                     errors="replace")


def read_genbank(path):
    """Every record of a GenBank file (plain or gzip)."""
    with _opener(path) as f:
        return parse_lines(f, path)


def parse_lines(lines, path="<text>"):
    records, state = [], None
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if state is None:
            if not line.strip():
                continue
            if not line.startswith("LOCUS"):
                raise GenBankError(f"{path}:{number}: expected a LOCUS line to start a record, found '{line[:40]}'")
            state = _RecordState(path, number, line)
        elif line.startswith("//"):
            records.append(state.finish(number))
            state = None
        else:
            state.add(number, line)
    if state is not None:
        raise GenBankError(f"{path}: record '{state.name}' (line {state.start}) has no closing '//' line: "
                           "the file is truncated")
    if not records:
        raise GenBankError(f"{path}: no GenBank record (no LOCUS line)")
    return records


class _RecordState:
    def __init__(self, path, number, locus_line):
        self.path, self.start = path, number
        fields = locus_line.split()
        if len(fields) < 3 or not fields[2].isdigit():
            raise GenBankError(f"{path}:{number}: LOCUS line has no length in bases: '{locus_line}'")
        self.name, self.length = fields[1], int(fields[2])
        self.topology = "circular" if "circular" in fields else "linear"
        self.definition, self.section = "", None
        self.features = []          # [key, line, location text, qualifier lines]
        self.sequence = []

    def error(self, number, message):
        return GenBankError(f"{self.path}:{number}: record '{self.name}': {message}")

    def add(self, number, line):
        if line[:1] not in (" ", ""):
            self.section = line.split()[0]
            if self.section == "VERSION" and len(line.split()) > 1:
                self.name = line.split()[1]
            elif self.section == "DEFINITION":
                self.definition = line[12:].strip()
            return
        if self.section == "DEFINITION" and line.startswith(" " * 12):
            self.definition += " " + line.strip()
        elif self.section == "FEATURES":
            self.add_feature_line(number, line)
        elif self.section == "ORIGIN":
            fields = line.split()
            if fields and not fields[0].isdigit():
                raise self.error(number, f"sequence line does not start with a base number: '{line[:40]}'")
            bases = "".join(fields[1:])
            if not re.fullmatch(r"[A-Za-z]*", bases):
                raise self.error(number, f"sequence line holds characters that are not bases: '{line.strip()[:60]}'")
            self.sequence.append(bases)

    def add_feature_line(self, number, line):
        key = line[FEATURE_KEY_COL:QUALIFIER_COL].strip()
        body = line[QUALIFIER_COL:]
        if key:
            if line[:FEATURE_KEY_COL].strip():
                raise self.error(number, f"feature key not in column 6: '{line[:40]}'")
            self.features.append([key, number, body.strip(), []])
        elif not self.features:
            raise self.error(number, f"feature table line before any feature key: '{line.strip()[:40]}'")
        elif line[:QUALIFIER_COL].strip():
            raise self.error(number, f"expected a feature key in column 6 or text from column 22: '{line[:40]}'")
        else:
            feature = self.features[-1]
            if body.startswith("/") or feature[3]:
                feature[3].append((number, body))
            else:
                feature[2] += body.strip()   # a location continued on the next line

    def finish(self, number):
        sequence = "".join(self.sequence).upper()
        if not sequence:
            raise self.error(number, "no sequence (no ORIGIN section, or an empty one)")
        if len(sequence) != self.length:
            raise self.error(number, f"the sequence has {len(sequence)} bases; the LOCUS line says {self.length}")
        features = []
        for key, line, location, qualifier_lines in self.features:
            try:
                parts = parse_location(location, self.length)
            except ValueError as e:
                raise self.error(line, f"{key} feature: {e}") from None
            features.append(Feature(key, location, parts, self.qualifiers(qualifier_lines), line))
        return Record(self.name, self.length, self.topology, self.definition, features, sequence)

    def qualifiers(self, lines):
        """{name: [values]}: a quoted value runs until its quotes balance ('""' is a quote inside it)."""
        out, current = {}, None      # current: [name, raw value or None, line]

        def close():
            name, raw, line = current
            if raw is None:
                value = ""
            elif raw.startswith('"'):
                if len(raw) < 2 or not raw.endswith('"') or raw.count('"') % 2:
                    raise self.error(line, f"qualifier /{name} has an unclosed quote")
                value = raw[1:-1].replace('""', '"')
            else:
                value = raw
            out.setdefault(name, []).append(value)

        for number, text in lines:
            text = text.strip()
            if current is not None and current[1] is not None:
                raw = current[1]
                still_open = raw.startswith('"') and raw.count('"') % 2 == 1
                if still_open or (not raw.startswith('"') and not text.startswith("/")):
                    # words wrap at spaces; sequences (/translation) and unquoted values wrap anywhere
                    glue = " " if still_open and current[0] != "translation" else ""
                    current[1] = raw + glue + text
                    continue
            if current is not None:
                close()
            m = re.match(r"/([A-Za-z0-9_\-]+)(=(.*))?$", text)
            if not m:
                raise self.error(number, f"expected a qualifier '/name=value', found '{text[:40]}'")
            current = [m.group(1), m.group(3), number]
        if current is not None:
            close()
        return out


def parse_location(text, length):
    """Parts [(start, end, strand)] of a GenBank location, 0-based half-open, biological order."""
    pos = [0]

    def peek():
        return text[pos[0]] if pos[0] < len(text) else ""

    def expect(ch):
        if peek() != ch:
            raise ValueError(f"location '{text}': expected '{ch}' at character {pos[0] + 1}")
        pos[0] += 1

    def number():
        m = re.compile(r"[<>]?(\d+)").match(text, pos[0])
        if not m:
            raise ValueError(f"location '{text}': expected a base number at character {pos[0] + 1}")
        pos[0] = m.end()
        return int(m.group(1))

    def node(strand):
        for op in ("complement(", "join(", "order("):
            if text.startswith(op, pos[0]):
                pos[0] += len(op)
                if op == "complement(":
                    parts = node(-strand)
                else:
                    parts = node(strand)
                    while peek() == ",":
                        pos[0] += 1
                        parts += node(strand)
                expect(")")
                return parts[::-1] if op == "complement(" else parts
        if re.compile(r"[A-Za-z_][\w.]*:").match(text, pos[0]):
            raise ValueError(f"location '{text}' refers to another sequence; only local locations are read")
        first = number()
        if peek() == "^":
            raise ValueError(f"location '{text}' is a site between two bases; features on bases were expected")
        last = first
        if text.startswith("..", pos[0]):
            pos[0] += 2
            last = number()
        if not 1 <= first <= last <= length:
            raise ValueError(f"location '{text}': range {first}..{last} is outside the sequence (1..{length})")
        return [(first - 1, last, strand)]

    text = text.replace(" ", "")
    if not text:
        raise ValueError("empty location")
    parts = node(+1)
    if pos[0] != len(text):
        raise ValueError(f"location '{text}': unexpected '{text[pos[0]:]}' after the location")
    return parts


# --- GFF3 ---------------------------------------------------------------------------------------

GFF_TYPES = {"gene": "gene", "CDS": "CDS", "rRNA": "rRNA", "tRNA": "tRNA"}


def _escape(value):
    # GFF3 column 9 reserves ; = & , and control characters: percent-encode them (and %)
    return quote(value, safe=" !\"#$'()*+-./:<>?@[\\]^_`{|}~")


def feature_name(feature):
    # a few RNAs of real files carry only a /product (NC_000913.2's tRNA-Leu at 4604101)
    return feature.first("gene") or feature.first("locus_tag") or feature.first("product")


def gff3_lines(record):
    """GFF3 lines (without the header) for the genes, CDS, rRNAs and tRNAs of one record, by start."""
    genes_by_tag = {}
    rows, used_ids = [], set()
    for f in record.features:
        if f.key not in GFF_TYPES:
            continue
        name = feature_name(f)
        if name is None:
            raise GenBankError(f"line {f.line}: {f.key} at {f.location} has no /gene, /locus_tag or /product, "
                               "so it cannot be named")
        tag = f.first("locus_tag") or (name if f.first("gene") else f"{name}_{f.span[0] + 1}")
        base_id = f"{'gene' if f.key == 'gene' else f.key.lower()}-{tag}"
        fid, n = base_id, 1
        while fid in used_ids:
            n += 1
            fid = f"{base_id}.{n}"
        used_ids.add(fid)
        attrs = [("ID", fid), ("Name", name)]
        if f.key == "gene":
            genes_by_tag.setdefault(tag, fid)
        elif tag in genes_by_tag:
            attrs.append(("Parent", genes_by_tag[tag]))
        for q in ("gene", "locus_tag", "product"):
            if f.first(q) and not (q == "gene" and f.first(q) == name):
                attrs.append((q, f.first(q)))
        if "pseudo" in f.qualifiers:
            attrs.append(("pseudo", "true"))
        column9 = ";".join(f"{k}={_escape(v)}" for k, v in attrs)
        phases = cds_phases(f) if f.key == "CDS" else [None] * len(f.parts)
        for (start, end, strand), phase in zip(f.parts, phases):
            rows.append((start, end, GFF_TYPES[f.key], "+" if strand > 0 else "-",
                         "." if phase is None else str(phase), column9))
    rows.sort(key=lambda r: (r[0], r[2] != "gene", r[1]))
    return [f"{record.name}\tGenBank\t{t}\t{s + 1}\t{e}\t.\t{strand}\t{phase}\t{attrs}"
            for s, e, t, strand, phase, attrs in rows]


def cds_phases(feature):
    """GFF3 phase of each part: bases to skip at the part's 5' end to reach the next codon start."""
    codon_start = feature.first("codon_start", "1")
    if codon_start not in ("1", "2", "3"):
        raise GenBankError(f"line {feature.line}: CDS /codon_start={codon_start}; expected 1, 2 or 3")
    phase, phases = int(codon_start) - 1, []
    for start, end, _ in feature.parts:
        phases.append(phase)
        phase = (phase - (end - start)) % 3
    return phases


def write_gff3(record, path):
    with open(path, "w") as out:
        out.write("##gff-version 3\n")
        out.write(f"##sequence-region {record.name} 1 {record.length}\n")
        for line in gff3_lines(record):
            out.write(line + "\n")


def write_fasta(record, path, width=80):
    with open(path, "w") as out:
        out.write(f">{record.name} {record.definition}\n")
        for i in range(0, len(record.sequence), width):
            out.write(record.sequence[i:i + width] + "\n")

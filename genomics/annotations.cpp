#include "genomics/annotations.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/ascii.h"
#include "genomics/bed.h"
#include "genomics/file_kind.h"
#include "genomics/hts_handles.h"
#include "genomics/index_check.h"
#include "genomics/text_lines.h"

namespace ms {

namespace {

std::vector<std::string_view> split_tabs(std::string_view line) {
    std::vector<std::string_view> out;
    size_t start = 0;
    while (true) {
        const size_t tab = line.find('\t', start);
        out.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
        if (tab == std::string_view::npos) return out;
        start = tab + 1;
    }
}

bool parse_int(std::string_view s, int64_t& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// GFF3 escapes ';', '=', '%', ',' and tabs in values as %XX.
std::string percent_decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// GTF's attributes, `gene_id "g1"; transcript_id "t1";` (the value may be unquoted): the value of `key`.
std::string gtf_attribute(std::string_view attributes, std::string_view key) {
    for (std::string_view rest = attributes; !rest.empty();) {
        const size_t semi = rest.find(';');
        std::string_view kv = rest.substr(0, semi);
        rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
        while (!kv.empty() && kv.front() == ' ') kv.remove_prefix(1);
        const size_t space = kv.find(' ');
        if (space == std::string_view::npos || kv.substr(0, space) != key) continue;
        std::string_view value = kv.substr(space + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        return std::string(value);
    }
    return {};
}

// Parses one data line into `f`; the error text says what was expected (the caller adds where).
Result<void> parse_line(AnnotationFormat format, std::string_view line, Feature& f) {
    const std::vector<std::string_view> col =
        format == AnnotationFormat::bed ? split_bed_fields(line) : split_tabs(line);
    if (format == AnnotationFormat::gtf) {
        if (col.size() != 9)
            return make_error("has ", col.size(), " column", col.size() == 1 ? "" : "s",
                              "; expected 9 tab-separated GTF columns (seqname source feature start end score strand "
                              "frame attributes)");
        int64_t start = 0, end = 0;
        if (!parse_int(col[3], start) || start < 1)
            return make_error("start '", col[3], "' is not a whole number >= 1 (GTF is 1-based)");
        if (!parse_int(col[4], end)) return make_error("end '", col[4], "' is not a whole number");
        if (end < start) return make_error("end ", end, " is before start ", start);
        f.region = {std::string(col[0]), start - 1, end};
        f.type = std::string(col[2]);
        f.strand = col[6].size() == 1 ? col[6][0] : '.';
        // A gene is its gene_id; a transcript its transcript_id, under its gene; the rest (exon,
        // CDS, UTR, codons) belong to their transcript, or to the gene where none is named.
        const std::string gene = gtf_attribute(col[8], "gene_id"), transcript = gtf_attribute(col[8], "transcript_id");
        std::string gene_name = gtf_attribute(col[8], "gene_name");
        if (gene_name.empty()) gene_name = gene;
        if (f.type == "gene") {
            f.id = gene;
            f.parent.clear();
            f.name = gene_name;
        } else if (f.type == "transcript") {
            f.id = transcript;
            f.parent = gene;
            const std::string tname = gtf_attribute(col[8], "transcript_name");
            f.name = tname.empty() ? transcript : tname;
        } else {
            f.id.clear();
            f.parent = transcript.empty() ? gene : transcript;
            f.name = gene_name;
        }
        return {};
    }
    if (format == AnnotationFormat::gff3) {
        if (col.size() != 9)
            return make_error("has ", col.size(), " column", col.size() == 1 ? "" : "s",
                              "; expected 9 tab-separated GFF3 columns (seqid source type start end score strand phase attributes)");
        int64_t start = 0, end = 0;
        if (!parse_int(col[3], start) || start < 1) return make_error("start '", col[3], "' is not a whole number >= 1 (GFF3 is 1-based)");
        if (!parse_int(col[4], end)) return make_error("end '", col[4], "' is not a whole number");
        if (end < start) return make_error("end ", end, " is before start ", start);
        f.region = {std::string(col[0]), start - 1, end};
        f.type = std::string(col[2]);
        f.strand = col[6].size() == 1 ? col[6][0] : '.';
        f.name.clear();
        f.id.clear();
        f.parent.clear();
        for (std::string_view rest = col[8]; !rest.empty();) {
            const size_t semi = rest.find(';');
            const std::string_view kv = rest.substr(0, semi);
            rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
            const size_t eq = kv.find('=');
            if (eq == std::string_view::npos) continue;
            std::string_view key = kv.substr(0, eq);
            while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
            if (key == "Name") f.name = percent_decode(kv.substr(eq + 1));
            if (key == "ID") f.id = percent_decode(kv.substr(eq + 1));
            if (key == "Parent") f.parent = percent_decode(kv.substr(eq + 1));
        }
        if (f.name.empty()) f.name = f.id;
    } else {
        if (col.size() < 3)
            return make_error("has ", col.size(), " column", col.size() == 1 ? "" : "s",
                              "; expected at least 3 (contig, start, end) separated by tabs");
        int64_t begin = 0, end = 0;
        if (!parse_int(col[1], begin) || begin < 0) return make_error("start '", col[1], "' is not a whole number >= 0 (BED is 0-based)");
        if (!parse_int(col[2], end)) return make_error("end '", col[2], "' is not a whole number");
        if (end < begin) return make_error("end ", end, " is before start ", begin);
        f.region = {std::string(col[0]), begin, end};
        f.type = "region";
        f.name = col.size() > 3 ? std::string(col[3]) : "";
        f.id.clear();
        f.parent.clear();
        f.strand = col.size() > 5 && col[5].size() == 1 ? col[5][0] : '.';
    }
    if (f.region.contig.empty()) return make_error("the contig name (column 1) is empty");
    return {};
}

bool skip_line(AnnotationFormat format, std::string_view line) {
    if (format == AnnotationFormat::bed) return bed_header_line(line);
    return line.find_first_not_of(" \t") == std::string_view::npos || line.front() == '#';
}

// GTF rather than GFF3: the attributes of the first feature line are `key "value";` pairs.
bool gtf_content(std::string_view line) {
    const std::vector<std::string_view> col = split_tabs(line);
    return col.size() == 9 && col[8].find('"') != std::string_view::npos && col[8].find('=') == std::string_view::npos;
}

}  // namespace

const char* annotation_format_name(AnnotationFormat f) {
    switch (f) {
        case AnnotationFormat::gff3:
            return "GFF3";
        case AnnotationFormat::gtf:
            return "GTF";
        case AnnotationFormat::bed:
            break;
    }
    return "BED";
}

Result<AnnotationFormat> annotation_format(const std::string& path) {
    std::string name = ascii_lower(path);
    for (const char* z : {".gz", ".bgz", ".bgzf"})  // as the file kind is read (a GFF3 .bgz was parsed as BED)
        if (name.ends_with(z)) name.resize(name.size() - std::strlen(z));
    if (name.ends_with(".bed")) return AnnotationFormat::bed;
    if (name.ends_with(".gtf")) return AnnotationFormat::gtf;
    const bool gff_name = name.ends_with(".gff") || name.ends_with(".gff3");
    hts::Bgzf f(bgzf_open(path.c_str(), "r"));
    if (!f) return make_error("cannot open annotations '", path, "': ", std::strerror(errno ? errno : EIO));
    TextLines lines(f.get());
    std::string_view line;
    for (int n = 0; n < 100 && lines.next(line) == TextLines::Status::line; ++n) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.starts_with("##gff-version")) return AnnotationFormat::gff3;
        if (line.empty() || line.front() == '#') continue;
        if (gtf_content(line)) return AnnotationFormat::gtf;  // Ensembl's GTF is often named .gff
        break;
    }
    return gff_name ? AnnotationFormat::gff3 : AnnotationFormat::bed;
}

Result<AnnotationSet> AnnotationSet::load(const std::string& path, const ContigList& contigs) {
    MS_TRY(stat_input(path, "annotations"));  // sniffed for its format, then read
    AnnotationSet set;
    auto format = annotation_format(path);
    if (!format) return format.error();
    set.format_ = *format;
    const char* kind = annotation_format_name(set.format_);
    hts::Bgzf f(bgzf_open(path.c_str(), "r"));
    if (!f) return make_error("cannot open ", kind, " '", path, "': ", std::strerror(errno ? errno : EIO));
    TextLines lines(f.get());
    int64_t line_no = 0;
    std::string_view line;
    while (true) {
        const TextLines::Status got = lines.next(line);
        if (got == TextLines::Status::end) break;
        if (got == TextLines::Status::read_error)
            return make_error("cannot read ", kind, " '", path, "' ", after_line(line_no),
                              ": the file is truncated or its compression is corrupt");
        ++line_no;
        if (got == TextLines::Status::too_long)
            return make_error(kind, " '", path, "' line ", line_no, ": longer than ", lines.max_line_bytes() >> 20,
                              " MiB; expected a feature per line (is this a ", kind, " text file with its line ends?)");
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        // GFF3 may end with the sequences themselves; they are not features.
        if (set.format_ != AnnotationFormat::bed && line.substr(0, 7) == "##FASTA") break;
        if (skip_line(set.format_, line)) continue;
        if (line.find('\0') != std::string_view::npos)
            return make_error(kind, " '", path, "' line ", line_no, ": holds binary data (is this a ", kind, " text file?)");
        Feature feature;
        feature.line = line_no;
        if (auto ok = parse_line(set.format_, line, feature); !ok)
            return make_error(kind, " '", path, "' line ", line_no, ": ", ok.error().message);
        if (!contigs.empty()) {
            const SequenceRecord* c = contigs.find(feature.region.contig);
            if (!c)
                return make_error(kind, " '", path, "' line ", line_no, ": ", contigs.unknown(feature.region.contig));
            if (feature.region.end > c->length)
                return make_error(kind, " '", path, "' line ", line_no, ": end ", feature.region.end,
                                  " is past the end of contig '", c->name, "', which has ", c->length, " bases");
        }
        set.features_.push_back(std::move(feature));
    }
    return set;
}

Result<AnnotationSet> AnnotationSet::load_region(const std::string& path, const Region& region) {
    AnnotationSet set;
    auto format = annotation_format(path);
    if (!format) return format.error();
    set.format_ = *format;
    const char* kind = annotation_format_name(set.format_);
    const std::string locus = format_locus(region);
    hts::File fp(hts_open(path.c_str(), "r"));
    if (!fp) return make_error("cannot open ", kind, " '", path, "': ", std::strerror(errno ? errno : EIO));
    if (hts_get_format(fp.get())->compression != bgzf)
        return make_error("cannot query ", locus, " in ", kind, " '", path,
                          "': it is not bgzip-compressed, so it cannot be ",
                          "indexed (sort it, compress it with `bgzip` and index it with `tabix -p ",
                          set.format_ != AnnotationFormat::bed ? "gff" : "bed", "`, or load it whole)");
    const char* preset = set.format_ != AnnotationFormat::bed ? "gff " : "bed ";
    if (const IndexBeside index = inspect_index(
            path, {".csi", ".tbi"}, {cat("tabix -f -C -p ", preset, path), cat("tabix -f -p ", preset, path)});
        !index.problem.empty())
        return make_error("cannot query ", locus, " in ", kind, " '", path, "': its index '", index.path, "' ",
                          index.problem);
    hts::Tabix tbx(tbx_index_load3(path.c_str(), nullptr, HTS_IDX_SILENT_FAIL));
    if (!tbx)
        return make_error("cannot query ", locus, " in ", kind, " '", path, "': no index (", path, ".tbi or .csi) was ",
                          "found beside it; make one with `tabix -p ",
                          set.format_ != AnnotationFormat::bed ? "gff" : "bed", " ", path, "`");
    const int tid = tbx_name2id(tbx.get(), region.contig.c_str());
    if (tid < 0) return set;   // no features on that contig
    hts::Iterator itr(tbx_itr_queryi(tbx.get(), tid, region.begin, region.end));
    if (!itr) return make_error("cannot query ", locus, " in ", kind, " '", path, "': htslib could not make an iterator");
    hts::KString ks;
    while (true) {
        const int ret = tbx_itr_next(fp.get(), tbx.get(), itr.get(), &ks.s);
        if (ret == -1) break;
        if (ret < -1)
            return make_error("cannot read ", kind, " '", path, "' in ", locus, ": the file is truncated or corrupt");
        const std::string_view line(ks.s.s, ks.s.l);
        // htslib's index iterator reads its lines whole; the limit still holds for what is parsed.
        if (line.size() > kMaxTextLineBytes)
            return make_error(kind, " '", path, "' a line in ", locus, ": longer than ", kMaxTextLineBytes >> 20,
                              " MiB; expected a feature per line");
        if (skip_line(set.format_, line)) continue;
        Feature feature;
        if (auto ok = parse_line(set.format_, line, feature); !ok)
            return make_error(kind, " '", path, "' a line in ", locus, ": ", ok.error().message);
        set.features_.push_back(std::move(feature));
    }
    return set;
}

std::vector<const Feature*> AnnotationSet::overlapping(const Region& region) const {
    std::vector<const Feature*> out;
    for (const Feature& f : features_)
        if (f.region.contig == region.contig && f.region.begin < region.end && f.region.end > region.begin) out.push_back(&f);
    return out;
}

std::vector<const Feature*> AnnotationSet::find(std::string_view text, size_t limit) const {
    const std::string needle = ascii_lower(text);
    std::vector<const Feature*> exact, partial;
    if (needle.empty()) return exact;
    for (const Feature& f : features_) {
        const std::string name = ascii_lower(f.name), id = ascii_lower(f.id);
        if (name == needle || id == needle)
            exact.push_back(&f);
        else if (name.find(needle) != std::string::npos || id.find(needle) != std::string::npos)
            partial.push_back(&f);
    }
    exact.insert(exact.end(), partial.begin(), partial.end());
    if (exact.size() > limit) exact.resize(limit);
    return exact;
}

}  // namespace ms

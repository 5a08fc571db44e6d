#include "app/file_info.h"

#include <sys/stat.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "app/genome_info.h"
#include "app/job_common.h"
#include "genomics/annotations.h"
#include "genomics/fasta.h"
#include "genomics/fastq.h"
#include "genomics/locus.h"
#include "genomics/vcf.h"

namespace ms {

using nlohmann::json;

namespace {

// NaN — a mean of nothing, the GC content of only N — is "NA" (in JSON, null).
std::string fixed(double v, int digits) {
    if (std::isnan(v)) return "NA";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// Length statistics of reads, in one pass.
struct LengthStats {
    int64_t count = 0, bases = 0, min = 0, max = 0;
    std::vector<int64_t> lengths;   // for N50
    void add(int64_t len) {
        min = count == 0 ? len : std::min(min, len);
        max = std::max(max, len);
        ++count;
        bases += len;
        lengths.push_back(len);
    }
    double mean() const { return count ? double(bases) / double(count) : 0.0; }
    // The length L such that reads of length >= L hold half the bases (long-read runs quote it).
    int64_t n50() {
        std::sort(lengths.begin(), lengths.end(), std::greater<>());
        int64_t acc = 0;
        for (int64_t l : lengths)
            if ((acc += l) * 2 >= bases) return l;
        return 0;
    }
};

Result<Region> parse_region(const std::string& locus, const std::vector<SequenceRecord>& contigs,
                            const std::string& path, const std::vector<std::string>& without_bases = {}) {
    auto region = parse_locus(locus, ContigList(contigs, without_bases));
    if (!region) return make_error("--region for '", path, "': ", region.error().message);
    return region;
}

std::string head_line(const std::string& path, const std::string& what) { return cat("# ", path, ": ", what, "\n"); }

Result<FileInfo> describe_fasta(const std::string& path, const InfoOptions& o) {
    FileInfo info{FileKind::fasta, "", "", ""};
    json j = {{"file", path}, {"type", "FASTA"}};
    if (!o.region.empty()) {
        auto fa = FastaFile::open(path);
        if (!fa) return fa.error();
        auto region = parse_region(o.region, fa->records(), path, fa->empty_records());
        if (!region) return region.error();
        auto bases = fa->fetch(region->contig, region->begin, region->end);
        if (!bases) return bases.error();
        const Composition c = composition(*bases);
        const SequenceMask mask = sequence_mask(*bases, region->begin);
        const std::string gc = fixed(gc_percent(c) / 100.0, 4);
        info.tsv = head_line(path, cat("FASTA (", to_string(fa->compression()), "), region ", format_locus(*region))) +
                   "region\tlength\tgc_fraction\tn_bases\tn_runs\tsoft_masked\n" +
                   cat(format_locus(*region), '\t', c.length, '\t', gc, '\t', c.n, '\t', mask.n_runs.size(), '\t',
                       c.soft_masked, '\n');
        j["compression"] = to_string(fa->compression());
        j["region"] = {{"contig", region->contig}, {"begin", region->begin}, {"end", region->end},
                       {"length", c.length}, {"gc_fraction", gc_percent(c) / 100.0}, {"n_bases", c.n},
                       {"n_runs", mask.n_runs.size()}, {"soft_masked", c.soft_masked}};
        info.json = j.dump();
        return info;
    }
    auto s = summarize_genome(path, o.threads);
    if (!s) return s.error();
    info.tsv = head_line(path, cat("FASTA (", to_string(s->compression), "), ",
                                   plural(int64_t(s->records.size()), "record"), ", ", s->total.length, " bp")) +
               format_genome_summary(*s);
    if (s->compression == Compression::gzip)
        info.note = cat("'", path, "' is gzip, not bgzip: it was read from start to end; `zcat FILE | bgzip > FILE.bgz` ",
                        "makes it indexable for regions");
    j["compression"] = to_string(s->compression);
    j["records"] = json::array();
    for (const RecordSummary& r : s->records)
        j["records"].push_back({{"name", r.name}, {"length", r.composition.length},
                                {"gc_fraction", gc_percent(r.composition) / 100.0}, {"n_bases", r.composition.n},
                                {"n_runs", r.n_runs}, {"soft_masked", r.composition.soft_masked}});
    info.json = j.dump();
    return info;
}

Result<FileInfo> describe_fastq(const std::string& path, const InfoOptions& o) {
    if (!o.region.empty()) return make_error("--region does not apply to FASTQ '", path, "': its reads have no positions");
    auto r = FastqReader::open(path, o.threads);
    if (!r) return r.error();
    FastqRecord rec;
    LengthStats st;
    Composition c;
    int64_t qual_sum = 0;
    while (true) {
        auto more = r->next(rec);
        if (!more) return more.error();
        if (!*more) break;
        st.add(int64_t(rec.sequence.size()));
        add_composition(c, rec.sequence);
        for (char q : rec.qualities) qual_sum += q - 33;
    }
    const double mean_q = st.bases ? double(qual_sum) / double(st.bases) : std::nan("");
    const int64_t n50 = st.n50();
    FileInfo info{FileKind::fastq, "", "", ""};
    info.tsv = head_line(path, cat("FASTQ (", to_string(r->compression()), ")")) +
               "reads\tbases\tmin_length\tmean_length\tmax_length\tn50\tgc_fraction\tmean_quality\n" +
               cat(st.count, '\t', st.bases, '\t', st.min, '\t', fixed(st.mean(), 1), '\t', st.max, '\t', n50, '\t',
                   fixed(gc_percent(c) / 100.0, 4), '\t', fixed(mean_q, 1), '\n');
    info.json = json{{"file", path}, {"type", "FASTQ"}, {"compression", to_string(r->compression())},
                     {"reads", st.count}, {"bases", st.bases}, {"min_length", st.min}, {"mean_length", st.mean()},
                     {"max_length", st.max}, {"n50", n50}, {"gc_fraction", gc_percent(c) / 100.0},
                     {"mean_quality", mean_q}}
                    .dump();
    return info;
}

Result<FileInfo> describe_alignments(const std::string& path, const InfoOptions& o) {
    auto r = AlignmentReader::open(path, {o.reference, o.threads});
    if (!r) return r.error();
    r->set_filter(o.filter);
    std::string scope = "whole file";
    if (!o.region.empty()) {
        auto region = parse_region(o.region, r->references(), path);
        if (!region) return region.error();
        MS_TRY(r->query(*region));
        scope = "region " + format_locus(*region);
    }
    // Index by reference, with the unplaced reads last.
    std::vector<LengthStats> per(r->references().size() + 1);
    std::vector<int64_t> mapq_sum(per.size(), 0);
    AlignedRead read;
    while (true) {
        auto more = r->next(read);
        if (!more) return more.error();
        if (!*more) break;
        size_t i = per.size() - 1;
        if (!read.contig.empty() && !read.unmapped())   // unmapped mates placed beside their pair go to '*'
            for (size_t k = 0; k < r->references().size(); ++k)
                if (r->references()[k].name == read.contig) {
                    i = k;
                    break;
                }
        per[i].add(int64_t(read.sequence.size()));
        mapq_sum[i] += read.unmapped() ? 0 : read.mapq;
    }
    FileInfo info{FileKind::alignments, "", "", ""};
    info.tsv = head_line(path, cat(r->format_name(), ", ", plural(int64_t(r->references().size()), "reference"), ", ",
                                   scope, ", ", plural(r->records_read(), "record"), " read, ", r->records_filtered(),
                                   " filtered out (secondary, supplementary, duplicate, QC-fail",
                                   o.filter.keep_unmapped ? "" : ", unmapped",
                                   o.filter.min_mapq > 0 ? cat(", MAPQ < ", o.filter.min_mapq) : std::string(), ")")) +
               "reference\tlength\treads\tbases\tmin_length\tmean_length\tmax_length\tn50\tmean_mapq\n";
    json j = {{"file", path}, {"type", r->format_name()}, {"records_read", r->records_read()},
              {"records_filtered", r->records_filtered()}, {"references", json::array()}};
    for (size_t i = 0; i < per.size(); ++i) {
        const bool unplaced = i + 1 == per.size();
        if (unplaced && per[i].count == 0) continue;
        const std::string name = unplaced ? "*" : r->references()[i].name;
        const int64_t length = unplaced ? 0 : r->references()[i].length;
        LengthStats& s = per[i];
        const int64_t n50 = s.n50();
        // Unplaced reads have no mapping quality, and no reads no mean.
        const double mq = s.count && !unplaced ? double(mapq_sum[i]) / double(s.count) : std::nan("");
        info.tsv += cat(name, '\t', length, '\t', s.count, '\t', s.bases, '\t', s.min, '\t', fixed(s.mean(), 1), '\t', s.max,
                        '\t', n50, '\t', fixed(mq, 1), '\n');
        j["references"].push_back({{"name", name}, {"length", length}, {"reads", s.count}, {"bases", s.bases},
                                   {"min_length", s.min}, {"mean_length", s.mean()}, {"max_length", s.max},
                                   {"n50", n50}, {"mean_mapq", mq}});
    }
    info.json = j.dump();
    return info;
}

Result<FileInfo> describe_variants(const std::string& path, const InfoOptions& o) {
    auto r = VcfReader::open(path);
    if (!r) return r.error();
    std::unique_ptr<FastaFile> reference;
    if (!o.reference.empty()) {
        auto fa = FastaFile::open(o.reference);
        if (!fa) return fa.error();
        reference = std::make_unique<FastaFile>(std::move(*fa));
        r->check_ref_against(reference.get());
    }
    if (!o.region.empty()) {
        std::vector<SequenceRecord> contigs;
        if (reference)
            contigs = reference->records();
        else
            MS_ASSIGN(contigs, r->region_contigs(o.region));
        auto region = parse_region(o.region, contigs, path);
        if (!region) return region.error();
        MS_TRY(r->query(*region));
    }
    struct Counts {
        int64_t records = 0, snvs = 0, indels = 0, multiallelic = 0;
    };
    std::map<std::string, Counts> by_contig;
    std::vector<std::string> order;
    VariantRecord v;
    int64_t total = 0;
    while (true) {
        auto more = r->next(v);
        if (!more) return more.error();
        if (!*more) break;
        ++total;
        // A REF that disagrees with the reference means the VCF was called against another
        // genome (or build): nothing computed from it would be trustworthy.
        if (v.ref_check == RefCheck::mismatch || v.ref_check == RefCheck::past_reference_end ||
            v.ref_check == RefCheck::contig_not_in_reference)
            return make_error("VCF '", path, "' record ", total, " at ", format_locus({v.contig, v.pos, v.end()}),
                              ": REF '", v.ref, "' ",
                              v.ref_check == RefCheck::mismatch ? cat("but the reference '", o.reference, "' has '", v.reference_bases, "' there")
                              : v.ref_check == RefCheck::past_reference_end ? cat("runs past the end of contig '", v.contig, "' in '", o.reference, "'")
                                                                            : cat("is on contig '", v.contig, "', which '", o.reference, "' does not have"),
                              "; expected the VCF to be called against this reference");
        auto [it, inserted] = by_contig.try_emplace(v.contig);
        if (inserted) order.push_back(v.contig);
        Counts& c = it->second;
        ++c.records;
        if (v.alts.size() > 1) ++c.multiallelic;
        // Alleles, as `bcftools stats` counts them: a one-base ALT against a one-base REF is an
        // SNV, a sequence ALT of another length an indel; symbolic alleles (<DEL>, <*>, <NON_REF>),
        // breakends, `*` and MNPs are neither (a gVCF's `T C,<*>` has one SNV).
        auto plain = [](const std::string& a) {
            return !a.empty() &&
                   std::all_of(a.begin(), a.end(), [](char b) { return std::isalpha(static_cast<unsigned char>(b)); });
        };
        for (const std::string& a : v.alts) {
            if (!plain(a) || !plain(v.ref)) continue;
            if (a.size() == 1 && v.ref.size() == 1)
                ++c.snvs;
            else if (a.size() != v.ref.size())
                ++c.indels;
        }
    }
    // Contigs of the header first (with their lengths), then those only seen in records.
    std::vector<SequenceRecord> contigs = r->contigs();
    for (const std::string& name : order)
        if (std::none_of(contigs.begin(), contigs.end(), [&](const SequenceRecord& c) { return c.name == name; }))
            contigs.push_back({name, 0});
    std::string samples;
    for (const std::string& s : r->samples()) samples += (samples.empty() ? "" : ",") + s;
    FileInfo info{FileKind::variants, "", "", ""};
    info.tsv = head_line(path, cat(r->is_bcf() ? "BCF" : "VCF", ", ", plural(int64_t(r->samples().size()), "sample"),
                                   samples.empty() ? "" : " (" + samples + ")", ", ", plural(total, "record"),
                                   reference ? ", every REF matches " + o.reference : std::string())) +
               "contig\tlength\trecords\tsnvs\tindels\tmultiallelic\n";
    json j = {{"file", path}, {"type", r->is_bcf() ? "BCF" : "VCF"}, {"samples", r->samples()}, {"records", total},
              {"contigs", json::array()}};
    for (const SequenceRecord& c : contigs) {
        const Counts n = by_contig.count(c.name) ? by_contig[c.name] : Counts{};
        // A length the header does not give is NA (JSON null), not 0.
        info.tsv += cat(c.name, '\t', c.length > 0 ? std::to_string(c.length) : "NA", '\t', n.records, '\t', n.snvs,
                        '\t', n.indels, '\t', n.multiallelic, '\n');
        j["contigs"].push_back({{"name", c.name},
                                {"length", c.length > 0 ? json(c.length) : json(nullptr)},
                                {"records", n.records},
                                {"snvs", n.snvs},
                                {"indels", n.indels},
                                {"multiallelic", n.multiallelic}});
    }
    info.json = j.dump();
    return info;
}

Result<FileInfo> describe_annotations(const std::string& path, const InfoOptions& o) {
    ContigList contigs;
    if (!o.reference.empty()) {
        auto fa = FastaFile::open(o.reference);
        if (!fa) return fa.error();
        contigs = ContigList(fa->records(), fa->empty_records());
    }
    auto set = AnnotationSet::load(path, contigs);
    if (!set) return set.error();
    const char* kind = annotation_format_name(set->format());
    std::vector<const Feature*> shown;
    std::string scope;
    if (!o.region.empty()) {
        // The contigs the file itself names, of unknown length, when no reference gives them (the
        // last feature's end is not the contig's: a locus past it is merely empty).
        std::vector<SequenceRecord> known = contigs.contigs();
        if (known.empty())
            for (const Feature& f : set->features())
                if (std::none_of(known.begin(), known.end(),
                                 [&](const SequenceRecord& c) { return c.name == f.region.contig; }))
                    known.push_back({f.region.contig, kUnknownLength});
        auto region = parse_region(o.region, known, path);
        if (!region) return region.error();
        shown = set->overlapping(*region);
        scope = ", region " + format_locus(*region);
    } else if (!o.find.empty()) {
        shown = set->find(o.find);
        scope = cat(", ", shown.size(), " matching '", o.find, "'");
    }
    FileInfo info{FileKind::annotations, "", "", ""};
    json j = {{"file", path}, {"type", kind}, {"features", set->features().size()}};
    if (!o.region.empty() || !o.find.empty()) {
        info.tsv = head_line(path, cat(kind, ", ", set->features().size(), " features", scope)) +
                   "contig\tstart\tend\tstrand\ttype\tname\tid\n";
        j["matches"] = json::array();
        for (const Feature* f : shown) {
            // start as people read it (1-based), end inclusive, as in a locus.
            info.tsv += cat(f->region.contig, '\t', f->region.begin + 1, '\t', f->region.end, '\t', f->strand, '\t', f->type,
                            '\t', f->name, '\t', f->id, '\n');
            j["matches"].push_back({{"contig", f->region.contig}, {"begin", f->region.begin}, {"end", f->region.end},
                                    {"strand", std::string(1, f->strand)}, {"type", f->type}, {"name", f->name}, {"id", f->id}});
        }
    } else {
        std::vector<std::string> order;
        std::map<std::string, std::map<std::string, int64_t>> types;
        for (const Feature& f : set->features()) {
            if (!types.count(f.region.contig)) order.push_back(f.region.contig);
            ++types[f.region.contig][f.type];
        }
        info.tsv = head_line(path, cat(kind, ", ", set->features().size(), " features")) + "contig\tfeatures\ttypes\n";
        j["contigs"] = json::array();
        for (const std::string& c : order) {
            int64_t n = 0;
            std::string list;
            for (const auto& [type, count] : types[c]) {
                n += count;
                list += cat(list.empty() ? "" : ",", type, ":", count);
            }
            info.tsv += cat(c, '\t', n, '\t', list, '\n');
            j["contigs"].push_back({{"name", c}, {"features", n}, {"types", types[c]}});
        }
    }
    info.json = j.dump();
    return info;
}

}  // namespace

Result<FileInfo> describe_file(const std::string& path, const InfoOptions& options) {
    auto kind = guess_file_kind(path);
    if (!kind) return kind.error();
    switch (*kind) {
        case FileKind::fasta: return describe_fasta(path, options);
        case FileKind::fastq: return describe_fastq(path, options);
        case FileKind::alignments: return describe_alignments(path, options);
        case FileKind::variants: return describe_variants(path, options);
        case FileKind::annotations: return describe_annotations(path, options);
    }
    return make_error("unreachable");
}

}  // namespace ms

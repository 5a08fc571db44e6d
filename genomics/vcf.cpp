// VCF/BCF through htslib. Text VCF is read a line at a time (hts_getline, which counts lines in
// htsFile::lineno; tbx_itr_next for region queries) and parsed with vcf_parse; a copy of the line
// is kept because vcf_parse cuts it into fields in place, and a malformed record is reported with
// its line number and text. BCF goes through bcf_read / bcf_itr_next.
#include "genomics/vcf.h"
#include "common/ascii.h"
#include "genomics/file_kind.h"
#include "genomics/index_check.h"

#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <htslib/tbx.h>
#include <htslib/vcf.h>

#include <sys/stat.h>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ms {

const char* to_string(RefCheck check) {
    switch (check) {
        case RefCheck::unchecked: return "unchecked";
        case RefCheck::match: return "match";
        case RefCheck::mismatch: return "mismatch";
        case RefCheck::contig_not_in_reference: return "contig not in reference";
        case RefCheck::past_reference_end: return "past reference end";
    }
    return "?";
}

namespace {

struct HtsCloser { void operator()(htsFile* f) const { hts_close(f); } };
struct HdrDeleter { void operator()(bcf_hdr_t* h) const { bcf_hdr_destroy(h); } };
struct RecDeleter { void operator()(bcf1_t* r) const { bcf_destroy(r); } };
struct TbxDeleter { void operator()(tbx_t* t) const { tbx_destroy(t); } };
struct IdxDeleter { void operator()(hts_idx_t* i) const { hts_idx_destroy(i); } };
struct ItrDeleter { void operator()(hts_itr_t* i) const { hts_itr_destroy(i); } };

// A line quoted in a message: long INFO columns would bury the point, so it is cut.
std::string quote_line(const char* s, size_t n) {
    std::string line(s, n);
    if (line.size() > 80) line = line.substr(0, 77) + "...";
    return line;
}

// The errcode bits after which a record's fields cannot be trusted. BCF_ERR_CTG_UNDEF and
// BCF_ERR_TAG_UNDEF are left out on purpose: htslib adds the missing header line and reads the
// record correctly, and real files (freebayes' hla.vcf.gz) have no ##contig lines.
constexpr int kFatalErrcode = BCF_ERR_NCOLS | BCF_ERR_LIMITS | BCF_ERR_CHAR | BCF_ERR_CTG_INVALID | BCF_ERR_TAG_INVALID;

std::string describe_errcode(int code) {
    std::string out;
    auto add = [&](int bit, const char* what) {
        if (code & bit) out += (out.empty() ? "" : "; ") + std::string(what);
    };
    add(BCF_ERR_NCOLS, "too few columns (expected at least 8: CHROM POS ID REF ALT QUAL FILTER INFO)");
    add(BCF_ERR_LIMITS, "a value is out of range (POS, a length or a count)");
    add(BCF_ERR_CHAR, "an invalid character");
    add(BCF_ERR_CTG_INVALID, "an invalid contig name");
    add(BCF_ERR_TAG_INVALID, "an INFO or FORMAT tag that disagrees with its header definition");
    return out.empty() ? "unreadable" : out;
}

// VCF 4.2 allows A, C, G, T and N in REF; callers also write the other IUPAC codes (R, Y, …) where
// the reference has them. Those are kept (and compared with the reference like any base), and
// only what is no nucleotide code at all makes the record malformed.
bool is_ref_base(char c) { return c != '\0' && std::strchr("ACGTNRYSWKMBDHV", ascii_upper(c)) != nullptr; }
bool all_bases(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_ref_base); }

// An ALT the VCF specification allows: bases, '*' (a deletion spanning the site), a symbolic
// allele (<DEL>, <*>, <NON_REF>), a breakend (t[p[, ]p]t) or a single breakend (.t, t.).
bool is_alt_allele(std::string_view alt) {
    if (all_bases(alt) || alt == "*") return true;
    if (alt.size() >= 3 && alt.front() == '<' && alt.back() == '>') return true;
    if (alt.find_first_of("[]") != std::string_view::npos) return true;
    if (alt.size() >= 2 && alt.front() == '.') return all_bases(alt.substr(1));
    if (alt.size() >= 2 && alt.back() == '.') return all_bases(alt.substr(0, alt.size() - 1));
    return false;
}

}  // namespace

struct VcfReader::Impl {
    std::unique_ptr<htsFile, HtsCloser> fp;
    std::unique_ptr<bcf_hdr_t, HdrDeleter> hdr;
    std::unique_ptr<bcf1_t, RecDeleter> rec;
    // Region queries: tabix for text VCF, a plain index for BCF; loaded on the first query.
    std::unique_ptr<tbx_t, TbxDeleter> tbx;
    std::unique_ptr<hts_idx_t, IdxDeleter> idx;
    std::unique_ptr<hts_itr_t, ItrDeleter> itr;
    std::string query_locus;
    kstring_t line = KS_INITIALIZE;
    std::string raw_line;   // the text line as read, before vcf_parse cut it up
    int64_t records_read = 0;
    const FastaFile* reference = nullptr;
    // A window of reference bases around the last record: VCF records come sorted, so most REF
    // checks are answered without another faidx fetch.
    std::string window_contig;
    int64_t window_begin = 0;
    std::string window;

    ~Impl() { ks_free(&line); }
    bool bcf() const { return hts_get_format(fp.get())->format == ::bcf; }
};

VcfReader::~VcfReader() = default;
VcfReader::VcfReader(VcfReader&&) noexcept = default;
VcfReader& VcfReader::operator=(VcfReader&&) noexcept = default;

bool VcfReader::is_bcf() const { return impl_->bcf(); }

void VcfReader::check_ref_against(const FastaFile* reference) {
    impl_->reference = reference;
    impl_->window_contig.clear();
    impl_->window.clear();
}

namespace {

// The commands that remake a VCF's (tabix; a .csi with -C) or a BCF's (bcftools) index.
IndexRemake vcf_remake(const std::string& path, bool text) {
    if (text) return {cat("tabix -f -C -p vcf ", path), cat("tabix -f -p vcf ", path)};
    return {cat("bcftools index -f ", path), cat("bcftools index -f ", path)};
}

}  // namespace

Result<VcfReader> VcfReader::open(const std::string& path) {
    MS_TRY(stat_input(path, "VCF"));
    VcfReader r;
    r.path_ = path;
    r.impl_ = std::make_unique<Impl>();
    Impl& m = *r.impl_;
    m.fp.reset(hts_open(path.c_str(), "r"));
    if (!m.fp) {
        // htslib says ENOEXEC when it recognises no format at all.
        if (errno == ENOEXEC) return make_error("'", path, "' is not VCF or BCF (htslib recognises no format in it)");
        return make_error("cannot open VCF '", path, "': ", std::strerror(errno ? errno : EIO));
    }
    const htsFormat* fmt = hts_get_format(m.fp.get());
    if (fmt->format != vcf && fmt->format != ::bcf) {
        char* desc = hts_format_description(fmt);
        const std::string seen = desc ? desc : "an unknown format";
        std::free(desc);
        return make_error("'", path, "' is not VCF or BCF (htslib reads it as ", seen, ")");
    }
    // htslib reads a text VCF's index with its header (for contigs the header does not name), so a
    // damaged one is refused before it can crash the header read (found by fuzz_index). One made for
    // a longer file, or one this user cannot read, is no harm there: only a query needs it.
    if (fmt->format == vcf)
        if (const IndexBeside index = inspect_index(path, {".csi", ".tbi"}, vcf_remake(path, true), true);
            !index.problem.empty())
            return make_error("cannot open VCF '", path, "': htslib reads its index with the header, and its index '",
                              index.path, "' ", index.problem);
    m.hdr.reset(bcf_hdr_read(m.fp.get()));
    if (!m.hdr)
        return make_error("cannot read the header of VCF '", path, "' (expected ## meta lines and a #CHROM line; ",
                          "is the file truncated?)");
    m.rec.reset(bcf_init());
    if (!m.rec) return make_error("out of memory opening VCF '", path, "'");

    // ##contig lines may number themselves (IDX=, as BCF headers do); numbers that leave a gap made
    // htslib's bcf_hdr_seqnames fail an assertion and abort the process (found by fuzz_vcf).
    for (int i = 0; i < m.hdr->n[BCF_DT_CTG]; ++i)
        if (!m.hdr->id[BCF_DT_CTG][i].key)
            return make_error("cannot read the header of VCF '", path,
                              "': its ##contig lines number themselves (IDX=) ", "with a gap: no contig has number ",
                              i);
    int n = 0;
    const char** names = bcf_hdr_seqnames(m.hdr.get(), &n);
    for (int i = 0; i < n; ++i) {
        int64_t length = 0;
        if (bcf_hrec_t* h = bcf_hdr_get_hrec(m.hdr.get(), BCF_HL_CTG, "ID", names[i], nullptr)) {
            const int k = bcf_hrec_find_key(h, "length");
            if (k >= 0) length = std::strtoll(h->vals[k], nullptr, 10);
        }
        r.contigs_.push_back({names[i], length});
    }
    std::free(names);   // bcf_hdr_seqnames allocates the array only; the names belong to the header
    for (int i = 0; i < bcf_hdr_nsamples(m.hdr.get()); ++i) r.samples_.emplace_back(m.hdr->samples[i]);
    return r;
}

Result<void> VcfReader::load_index(const std::string& what) {
    Impl& m = *impl_;
    const bool text = !m.bcf();
    if (text && hts_get_format(m.fp.get())->compression != bgzf)
        return make_error("cannot ", what, " in VCF '", path_, "': the file is not bgzip-compressed, so it cannot ",
                          "be indexed (compress it with `bgzip` and index it with `tabix -p vcf`, or read it whole)");
    if ((text && !m.tbx) || (!text && !m.idx))
        if (const IndexBeside index = inspect_index(path_, {".csi", text ? ".tbi" : ".csi"}, vcf_remake(path_, text));
            !index.problem.empty())
            return make_error("cannot ", what, " in ", text ? "VCF" : "BCF", " '", path_, "': its index '", index.path,
                              "' ", index.problem);
    if (text && !m.tbx) {
        // HTS_IDX_SILENT_FAIL: the missing index is reported here, with a hint, not on stderr.
        m.tbx.reset(tbx_index_load3(path_.c_str(), nullptr, HTS_IDX_SILENT_FAIL));
        if (!m.tbx)
            return make_error("cannot ", what, " in VCF '", path_, "': no index (", path_, ".tbi or ", path_,
                              ".csi) was found or it is unreadable; make one with `tabix -p vcf` or `bcftools index`");
    }
    if (!text && !m.idx) {
        m.idx.reset(bcf_index_load3(path_.c_str(), nullptr, HTS_IDX_SILENT_FAIL));
        if (!m.idx)
            return make_error("cannot ", what, " in BCF '", path_, "': no index (", path_,
                              ".csi) was found or it is unreadable; make one with `bcftools index`");
    }
    return {};
}

Result<std::vector<SequenceRecord>> VcfReader::region_contigs(const std::string& locus) {
    MS_TRY(load_index(cat("query ", locus)));
    std::vector<SequenceRecord> out = contigs_;
    for (SequenceRecord& c : out)
        if (c.length <= 0) c.length = kUnknownLength;
    Impl& m = *impl_;
    if (!m.bcf()) {  // a BCF's index names the header's contigs only
        int n = 0;
        const char** names = tbx_seqnames(m.tbx.get(), &n);
        for (int i = 0; i < n; ++i)
            if (std::none_of(out.begin(), out.end(), [&](const SequenceRecord& c) { return c.name == names[i]; }))
                out.push_back({names[i], kUnknownLength});
        std::free(names);  // the array only; the names belong to the index
    }
    return out;
}

Result<void> VcfReader::query(const Region& region) {
    Impl& m = *impl_;
    const std::string locus = format_locus(region);
    const bool text = !m.bcf();
    MS_TRY(load_index(cat("query ", locus)));
    // A contig the index does not know has no records here; one the header does not know either
    // is a different genome.
    const int tid = text ? tbx_name2id(m.tbx.get(), region.contig.c_str())
                         : bcf_hdr_name2id(m.hdr.get(), region.contig.c_str());
    const bool in_header = std::any_of(contigs_.begin(), contigs_.end(), [&](const SequenceRecord& c) { return c.name == region.contig; });
    if (tid < 0 && !in_header)
        return make_error("cannot query ", locus, " in VCF '", path_, "': contig '", region.contig,
                          "' is in neither its header nor its index (is this VCF of another genome?)");
    m.query_locus = locus;
    if (tid < 0) {
        m.itr.reset();
        m.query_locus += " (no records)";
        return {};
    }
    m.itr.reset(text ? tbx_itr_queryi(m.tbx.get(), tid, region.begin, region.end)
                     : bcf_itr_queryi(m.idx.get(), tid, region.begin, region.end));
    if (!m.itr) return make_error("cannot query ", locus, " in VCF '", path_, "': htslib could not make an iterator");
    return {};
}

Result<bool> VcfReader::next(VariantRecord& out) {
    Impl& m = *impl_;
    bcf1_t* rec = m.rec.get();
    const bool text = !m.bcf();
    // Where the record came from, for messages: a line number when reading text in order, else
    // the record number (BCF) or the queried region (index).
    auto where = [&]() -> std::string {
        if (!m.query_locus.empty()) return cat("a record in ", m.query_locus);
        if (text) return cat("line ", m.fp->lineno);
        return cat("record ", m.records_read + 1);
    };
    auto line_text = [&]() -> std::string {
        if (!text) return "";
        return cat(" (\"", quote_line(m.raw_line.data(), m.raw_line.size()), "\")");
    };

    int ret = 0;
    if (!m.query_locus.empty()) {
        if (!m.itr) return false;   // the queried contig has no records
        ret = text ? tbx_itr_next(m.fp.get(), m.tbx.get(), m.itr.get(), &m.line)
                   : bcf_itr_next(m.fp.get(), m.itr.get(), rec);
    } else {
        ret = text ? hts_getline(m.fp.get(), '\n', &m.line) : bcf_read(m.fp.get(), m.hdr.get(), rec);
    }
    if (text && ret >= 0) {
        m.raw_line.assign(m.line.s, m.line.l);
        ret = vcf_parse(&m.line, m.hdr.get(), rec) < 0 ? -2 : 0;
    }
    // A failed block read can still hand back the part of a line read before it: the stream's own
    // error flag tells a truncated file from a malformed line.
    if (BGZF* bg = hts_get_bgzfp(m.fp.get()); bg && bg->errcode) {
        // Read through its index, a failure may be the index's: one made for another file sends the
        // reader to offsets that are no blocks there, and that was blamed on the good file alone
        // (found in review), as the BAM reader says.
        const std::string index = m.itr ? find_index(path_, {".csi", text ? ".tbi" : ".csi"}) : std::string();
        return make_error("cannot read VCF '", path_, "' after ", m.records_read, " records: the file is truncated ",
                          "or its compression is corrupt",
                          index.empty() ? std::string()
                                        : cat(", or its index '", index, "' is not this file's (remake it: `",
                                              vcf_remake(path_, text).for_index(index), "`)"));
    }
    if (ret == -1) return false;   // end of the file or the region
    if (ret < -1 || (rec->errcode & kFatalErrcode))
        return make_error("VCF '", path_, "' ", where(), line_text(), " is malformed: ",
                          ret < -1 && !(rec->errcode & kFatalErrcode) ? "htslib could not parse it, or the file is truncated"
                                                                         : describe_errcode(rec->errcode));
    ++m.records_read;
    if (text) {
        // htslib 1.16 reads a line of fewer than 8 columns without complaint (the missing ones
        // become missing values), so the columns are counted here.
        const size_t columns = size_t(std::count(m.raw_line.begin(), m.raw_line.end(), '\t')) + 1;
        if (columns < 8)
            return make_error("VCF '", path_, "' ", where(), line_text(), " is malformed: it has ", columns,
                              " column", columns == 1 ? "" : "s", "; expected at least 8 (CHROM POS ID REF ALT QUAL FILTER INFO)");
        // htslib reads POS up to its first non-digit: `12x` and `186.5` were scored at 12 and 186.
        const size_t from = m.raw_line.find('\t') + 1, to = m.raw_line.find('\t', from);
        const std::string_view pos_text = std::string_view(m.raw_line).substr(from, to - from);
        if (pos_text.empty() || pos_text.find_first_not_of("0123456789") != std::string_view::npos)
            return make_error("VCF '", path_, "' ", where(), line_text(), " is malformed: POS '", pos_text,
                              "' is not a whole number (POS must be a whole number of at least 1)");
    }
    if (bcf_unpack(rec, BCF_UN_STR) < 0)
        return make_error("VCF '", path_, "' ", where(), line_text(), " is malformed: its ID, REF or ALT cannot be read");

    const char* contig = bcf_hdr_id2name(m.hdr.get(), rec->rid);
    out.contig = contig ? contig : "";
    out.pos = rec->pos;
    out.id = rec->d.id ? rec->d.id : ".";
    out.ref = rec->n_allele > 0 ? rec->d.allele[0] : "";
    out.alts.clear();
    for (int i = 1; i < rec->n_allele; ++i) out.alts.emplace_back(rec->d.allele[i]);
    out.ref_check = RefCheck::unchecked;
    out.reference_bases.clear();

    if (out.pos < 0)
        return make_error("VCF '", path_, "' ", where(), line_text(), " is malformed: POS must be a whole number of at least 1");
    if (!all_bases(out.ref))
        return make_error("VCF '", path_, "' ", where(), line_text(), " is malformed: REF '", out.ref,
                          "' is not made of nucleotide codes (A, C, G, T, N or IUPAC)");

    // ALT as strictly as REF: `G1A` or `GXT` were counted as "not scorable (symbolic, …)" without
    // naming the line, while the same letters in REF were an error (found in review).
    for (const std::string& alt : out.alts)
        if (!is_alt_allele(alt))
            return make_error("VCF '", path_, "' ", where(), line_text(), " is malformed: ALT '", alt,
                              "' is not an allele: expected nucleotide codes (A, C, G, T, N or IUPAC), '*', a ",
                              "symbolic allele <ID> or a breakend");

    if (m.reference) {
        const SequenceRecord* chrom = m.reference->find(out.contig);
        if (!chrom) {
            out.ref_check = RefCheck::contig_not_in_reference;
        } else if (out.end() > chrom->length) {
            out.ref_check = RefCheck::past_reference_end;
        } else {
            if (m.window_contig != out.contig || out.pos < m.window_begin ||
                out.end() > m.window_begin + int64_t(m.window.size())) {
                // 64 kb windows: large enough that sorted records rarely leave one, small enough
                // to hold beside anything else.
                const int64_t end = std::min(chrom->length, std::max(out.end(), out.pos + (int64_t(1) << 16)));
                auto bases = m.reference->fetch(out.contig, out.pos, end);
                if (!bases) return bases.error();
                m.window_contig = out.contig;
                m.window_begin = out.pos;
                m.window = std::move(*bases);
            }
            std::string here = m.window.substr(size_t(out.pos - m.window_begin), out.ref.size());
            if (same_ignoring_case(here, out.ref)) {
                out.ref_check = RefCheck::match;
            } else {
                out.ref_check = RefCheck::mismatch;
                for (char& c : here) c = ascii_upper(c);
                out.reference_bases = std::move(here);
            }
        }
    }
    return true;
}

}  // namespace ms

#include "genomics/alignments.h"
#include "genomics/file_kind.h"

#include <htslib/cram.h>
#include <htslib/hfile.h>
#include <htslib/hts.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>

#include "common/ascii.h"
#include "genomics/cram_container.h"
#include "genomics/fasta.h"
#include "genomics/hts_handles.h"
#include "genomics/index_check.h"

namespace ms {

bool AlignedRead::reverse() const { return flag & BAM_FREVERSE; }
bool AlignedRead::unmapped() const { return flag & BAM_FUNMAP; }

namespace {

bool g_user_ref_path = false;  // REF_PATH or REF_CACHE was set by the user, not by keep_htslib_offline
std::string g_user_ref_where;  // for messages: "REF_PATH '…'" and/or "REF_CACHE '…'" as the user set them

// htslib, given a CRAM's reference by name, reads NAME.fai (and NAME.gzi) beside it. Where the index
// lives in the user's cache instead (a read-only genome folder), htslib gets a folder of links: the
// FASTA and its index side by side.
Result<std::string> reference_for_htslib(const FastaFile& ref) {
    namespace fs = std::filesystem;
    if (ref.index_path() == ref.path() + ".fai") return ref.path();
    std::error_code ec;
    const fs::path fasta = fs::absolute(ref.path(), ec);
    const fs::path dir = ref.index_path() + ".cram-ref";
    const fs::path link = dir / fasta.filename();
    const IndexPaths cached = cache_index_paths(ref.path());
    fs::create_directories(dir, ec);
    std::vector<std::pair<fs::path, fs::path>> links{{link, fasta},
                                                     {link.string() + ".fai", fs::path(ref.index_path())}};
    if (!cached.gzi.empty() && fs::exists(cached.gzi, ec)) links.push_back({link.string() + ".gzi", cached.gzi});
    for (const auto& [from, to] : links) {
        // Jobs reading the same reference at once share these links: one already right is left,
        // a new one is made under a private name and renamed over (a remove-then-create let another
        // job find no link, or fail on "File exists").
        if (fs::read_symlink(from, ec) == to && !ec) continue;
        const fs::path tmp = from.string() + cat(".tmp-", ::getpid());
        fs::remove(tmp, ec);
        fs::create_symlink(to, tmp, ec);
        if (!ec) fs::rename(tmp, from, ec);
        if (ec) {
            const std::string why = ec.message();
            fs::remove(tmp, ec);
            return make_error("cannot use '", ref.path(), "' as a CRAM reference: its index is in the cache (",
                              ref.index_path(), ") and a link beside it could not be made: ", why);
        }
    }
    return link.string();
}

// The first contig of the CRAM's header whose M5 tag differs from the reference's bases (a
// reference of another build or assembly): "contig 'chr1' (M5 ... in the CRAM, ... in REF)".
std::string md5_mismatch(const sam_hdr_t* hdr, const std::string& reference) {
    auto ref = FastaFile::open(reference);
    if (!ref) return {};
    for (int i = 0; i < sam_hdr_nref(hdr); ++i) {
        const char* name = sam_hdr_tid2name(hdr, i);
        kstring_t m5{0, 0, nullptr};
        const bool tagged = sam_hdr_find_tag_id(const_cast<sam_hdr_t*>(hdr), "SQ", "SN", name, "M5", &m5) == 0;
        const std::string want = tagged && m5.s ? m5.s : "";
        free(m5.s);
        if (want.empty() || !ref->find(name)) continue;
        auto bases = ref->fetch(name, 0, ref->find(name)->length);
        if (!bases) continue;
        for (char& c : *bases) c = ascii_upper(c);
        hts_md5_context* ctx = hts_md5_init();
        if (!ctx) return {};
        hts_md5_update(ctx, bases->data(), unsigned(bases->size()));
        unsigned char digest[16];
        hts_md5_final(digest, ctx);
        hts_md5_destroy(ctx);
        char hex[33];
        hts_md5_hex(hex, digest);
        const std::string lower_want = ascii_lower(want);
        if (lower_want != hex)
            return cat("contig '", name, "' (MD5 ", lower_want, " in the CRAM's header, ", hex, " in '", reference,
                       "')");
    }
    return {};
}

}  // namespace

void keep_htslib_offline() {
    static std::once_flag once;
    std::call_once(once, [] {
        g_user_ref_path = std::getenv("REF_PATH") || std::getenv("REF_CACHE");
        if (const char* p = std::getenv("REF_PATH")) g_user_ref_where = cat("REF_PATH '", p, "'");
        if (const char* c = std::getenv("REF_CACHE"))
            g_user_ref_where += cat(g_user_ref_where.empty() ? "" : " or ", "REF_CACHE '", c, "'");
        if (!std::getenv("REF_PATH")) ::setenv("REF_PATH", (user_cache_dir() + "/cram-md5/%s").c_str(), 0);
    });
}

struct AlignmentReader::Impl {
    hts::File fp;
    hts::SamHeader hdr;
    hts::Bam rec;
    hts::Index idx;
    hts::Iterator itr;
    std::string query_locus;
    AlignmentFilter filter;
    int64_t read = 0, filtered = 0;
    htsExactFormat format = unknown_format;
    std::string reference;  // the CRAM's --reference, for messages

    bool keep(const bam1_t* b) const {
        const uint16_t f = b->core.flag;
        if ((f & BAM_FSECONDARY) && !filter.keep_secondary) return false;
        if ((f & BAM_FSUPPLEMENTARY) && !filter.keep_supplementary) return false;
        if ((f & BAM_FDUP) && !filter.keep_duplicates) return false;
        if ((f & BAM_FQCFAIL) && !filter.keep_qc_fail) return false;
        // As `samtools view -q`: an unmapped read's MAPQ (0 by the SAM spec) fails any minimum.
        if ((f & BAM_FUNMAP) && !filter.keep_unmapped) return false;
        return b->core.qual >= filter.min_mapq;
    }
};

AlignmentReader::~AlignmentReader() = default;
AlignmentReader::AlignmentReader(AlignmentReader&&) noexcept = default;
AlignmentReader& AlignmentReader::operator=(AlignmentReader&&) noexcept = default;

const char* AlignmentReader::format_name() const {
    switch (impl_->format) {
        case bam: return "BAM";
        case cram: return "CRAM";
        default: return "SAM";
    }
}
void AlignmentReader::set_filter(const AlignmentFilter& filter) { impl_->filter = filter; }
int64_t AlignmentReader::records_read() const { return impl_->read; }
int64_t AlignmentReader::records_filtered() const { return impl_->filtered; }

Result<AlignmentReader> AlignmentReader::open(const std::string& path, const AlignmentOptions& options) {
    MS_TRY(stat_input(path, "alignments"));
    keep_htslib_offline();
    AlignmentReader r;
    r.path_ = path;
    r.impl_ = std::make_unique<Impl>();
    Impl& m = *r.impl_;
    errno = 0;
    m.fp.reset(hts_open(path.c_str(), "r"));
    if (!m.fp) {
        if (errno == ENOEXEC || errno == 0)
            return make_error("'", path, "' is not SAM, BAM or CRAM (htslib recognises no format in it)");
        return make_error("cannot open alignments '", path, "': ", std::strerror(errno));
    }
    const htsFormat* fmt = hts_get_format(m.fp.get());
    m.format = fmt->format;
    if (m.format != sam && m.format != bam && m.format != cram) {
        char* desc = hts_format_description(fmt);
        const std::string seen = desc ? desc : "an unknown format";
        std::free(desc);
        return make_error("'", path, "' is not SAM, BAM or CRAM (htslib reads it as ", seen, ")");
    }
    const char* kind = r.format_name();
    // A BAM or CRAM written to the end carries an end-of-file marker; without it the file was cut
    // short (an interrupted copy or aligner) and reading would stop early without an error.
    if (m.format != sam && hts_check_EOF(m.fp.get()) == 0)
        return make_error(kind, " '", path, "' has no end-of-file marker: it is truncated ",
                          "(was the copy or the aligner interrupted?)");
    std::set<std::string> reference_contigs;  // of --reference, for a CRAM
    // Without a reference a CRAM is decoded if it needs none (unaligned reads, an embedded
    // reference, no_ref) and otherwise fails at its first read with a message asking for one.
    if (m.format == cram && !options.reference.empty()) {
        m.reference = options.reference;
        auto ref = FastaFile::open(options.reference);  // builds the .fai htslib needs
        if (!ref) return ref.error();
        for (const SequenceRecord& rec : ref->records()) reference_contigs.insert(rec.name);
        std::string given;
        MS_ASSIGN(given, reference_for_htslib(*ref));
        if (hts_set_fai_filename(m.fp.get(), given.c_str()) != 0)
            return make_error("cannot use '", options.reference, "' as the reference of CRAM '", path,
                              "': htslib cannot read it or its index ", ref->index_path());
    }
    if (options.threads > 0 && hts_set_threads(m.fp.get(), options.threads) != 0)
        return make_error("cannot start ", options.threads, " decoding threads for '", path, "'");
    m.hdr.reset(sam_hdr_read(m.fp.get()));
    if (!m.hdr)
        return make_error("cannot read the header of ", kind, " '", path, "' (is the file truncated or not ", kind, "?)");
    m.rec.reset(bam_init1());
    if (!m.rec) return make_error("out of memory opening '", path, "'");
    for (int i = 0; i < sam_hdr_nref(m.hdr.get()); ++i) {
        const char* name = sam_hdr_tid2name(m.hdr.get(), i);
        // A contig the given reference lacks would send htslib to the network (REF_PATH's default,
        // the EBI server) for its sequence by MD5: refused here instead.
        if (!options.reference.empty() && m.format == cram && !reference_contigs.count(name))
            return make_error("the reference '", options.reference, "' has no contig '", name, "', which CRAM '", path,
                              "' names: give the FASTA the CRAM was made against");
        r.references_.push_back({name, int64_t(sam_hdr_tid2len(m.hdr.get(), i))});
    }
    return r;
}

namespace {

// The index htslib takes for `path` (FILE.csi before FILE.bai or FILE.crai), or empty.
std::string index_beside(const std::string& path, int format) {
    return find_index(path, {".csi", format == cram ? ".crai" : ".bai"});
}

// The commands that remake the index of `path`: a .csi as a .csi (htslib finds it before a .bai).
IndexRemake samtools_remake(const std::string& path) {
    return {cat("samtools index -c ", path), cat("samtools index ", path)};
}

}  // namespace

Result<void> AlignmentReader::query(const Region& region) {
    Impl& m = *impl_;
    const std::string locus = format_locus(region);
    const char* kind = format_name();
    if (m.format == sam && hts_get_format(m.fp.get())->compression != bgzf)
        return make_error("cannot query ", locus, " in SAM '", path_, "': plain SAM cannot be indexed; convert it with ",
                          "`samtools sort -o FILE.bam` and `samtools index FILE.bam`");
    if (!m.idx) {
        if (const IndexBeside index = inspect_index(path_, {".csi", m.format == cram ? ".crai" : ".bai"},
                                                    samtools_remake(path_), false, sam_hdr_nref(m.hdr.get()));
            !index.problem.empty())
            return make_error("cannot query ", locus, " in ", kind, " '", path_, "': its index '", index.path, "' ",
                              index.problem);
        m.idx.reset(sam_index_load3(m.fp.get(), path_.c_str(), nullptr, HTS_IDX_SILENT_FAIL));
        if (!m.idx) {
            // A file there that htslib cannot load is damaged, not missing (it was said to be missing).
            if (const std::string index = index_beside(path_, m.format); !index.empty())
                return make_error("cannot query ", locus, " in ", kind, " '", path_, "': its index '", index,
                                  "' cannot be read (damaged, or no index); remake it with `",
                                  samtools_remake(path_).for_index(index), "`");
            return make_error("cannot query ", locus, " in ", kind, " '", path_, "': no index (", path_,
                              m.format == cram ? ".crai" : ".bai or .csi",
                              ") was found beside it; make one with `samtools index ", path_, "`");
        }
    }
    const int tid = sam_hdr_name2tid(m.hdr.get(), region.contig.c_str());
    if (tid < 0)
        return make_error("cannot query ", locus, " in ", kind, " '", path_, "': contig '", region.contig,
                          "' is not in its header (is it aligned to another genome?)");
    m.itr.reset(sam_itr_queryi(m.idx.get(), tid, region.begin, region.end));
    if (!m.itr) return make_error("cannot query ", locus, " in ", kind, " '", path_, "': htslib could not make an iterator");
    if (m.format == cram) {
        // htslib has seeked to the container the .crai names and will trust the header it finds
        // there (genomics/cram_container.h): it must be one.
        cram_fd* cf = m.fp.get()->fp.cram;
        const off_t at = htell(cram_fd_get_fp(cf));
        struct stat st {};
        if (at >= 0 && ::stat(path_.c_str(), &st) == 0 && uint64_t(at) < uint64_t(st.st_size)) {
            const std::string problem =
                cram_container_problem(path_, uint64_t(at), uint64_t(st.st_size), cram_major_vers(cf));
            if (!problem.empty()) {
                m.itr.reset();
                return make_error("cannot query ", locus, " in ", kind, " '", path_, "': its index '",
                                  index_beside(path_, m.format), "' sends the query to byte ", at, ", where ", problem,
                                  " — it was made for another version of the file, or is damaged; ", "remake it with `",
                                  samtools_remake(path_).other, "`");
            }
        }
    }
    m.query_locus = locus;
    return {};
}

Result<bool> AlignmentReader::next(AlignedRead& out) {
    Impl& m = *impl_;
    bam1_t* b = m.rec.get();
    while (true) {
        const int ret = m.itr ? sam_itr_next(m.fp.get(), m.itr.get(), b) : sam_read1(m.fp.get(), m.hdr.get(), b);
        if (ret == -1) return false;
        if (ret < -1) {
            const std::string where = m.query_locus.empty() ? cat("after record ", m.read) : cat("in ", m.query_locus);
            if (m.format == cram && m.reference.empty() && !g_user_ref_path)
                return make_error(
                    "cannot decode CRAM '", path_, "' ", where, ": it needs the reference FASTA it was ",
                    "compressed against (or the file is truncated or corrupt): give it with --reference FILE ",
                    "(or set REF_PATH)");
            if (m.format == cram && m.reference.empty())
                return make_error("cannot decode CRAM '", path_, "' ", where, ": the file is truncated or corrupt, or ",
                                  "its reference sequences (the M5 tags of its @SQ lines) are not found through ",
                                  g_user_ref_where, "; give the FASTA with --reference FILE");
            if (m.format == cram) {
                const std::string differs = md5_mismatch(m.hdr.get(), m.reference);
                if (!differs.empty())
                    return make_error("cannot decode CRAM '", path_, "' ", where, ": '", m.reference, "' is not the ",
                                      "reference it was compressed against: ", differs);
                return make_error("cannot decode CRAM '", path_, "' ", where, ": the file is truncated or corrupt, or ",
                                  "the reference FASTA '", m.reference, "' is not the one it was compressed against");
            }
            // Read through its index, a failure may be the index's: one made for another file (a
            // copied .bai beside a subsampled BAM) sends the reader to offsets that are no records
            // there, and that was blamed on the good file alone (found in review).
            const std::string index = m.itr ? index_beside(path_, m.format) : std::string();
            return make_error("cannot read ", format_name(), " '", path_, "' ", where, ": ",
                              m.format == sam ? "a malformed line (expected 11 tab-separated SAM columns)"
                                              : "the file is truncated or corrupt",
                              index.empty() ? std::string()
                                            : cat(", or its index '", index, "' is not this file's (remake it: `",
                                                  samtools_remake(path_).for_index(index), "`)"));
        }
        ++m.read;
        if (!m.keep(b)) {
            ++m.filtered;
            continue;
        }
        break;
    }
    const bam1_core_t& c = b->core;
    out.name = bam_get_qname(b);
    out.flag = c.flag;
    out.mapq = c.qual;
    out.contig = c.tid >= 0 ? sam_hdr_tid2name(m.hdr.get(), c.tid) : "";
    out.pos = c.tid >= 0 ? c.pos : -1;
    out.end = c.tid >= 0 ? bam_endpos(b) : -1;
    const uint8_t* seq = bam_get_seq(b);
    out.sequence.resize(size_t(c.l_qseq));
    for (int i = 0; i < c.l_qseq; ++i) out.sequence[size_t(i)] = seq_nt16_str[bam_seqi(seq, i)];
    const uint8_t* qual = bam_get_qual(b);
    out.qualities.clear();
    if (c.l_qseq > 0 && qual[0] != 0xff) {   // 0xff: the file stores no qualities ("*")
        out.qualities.resize(size_t(c.l_qseq));
        for (int i = 0; i < c.l_qseq; ++i) out.qualities[size_t(i)] = char(qual[i] + 33);
    }
    out.blocks.clear();
    out.cigar.clear();
    if (c.tid >= 0 && !(c.flag & BAM_FUNMAP)) {
        const uint32_t* cigar = bam_get_cigar(b);
        int64_t ref = c.pos;
        out.cigar.reserve(c.n_cigar);
        for (uint32_t i = 0; i < c.n_cigar; ++i) {
            const int op = bam_cigar_op(cigar[i]);
            const int64_t len = bam_cigar_oplen(cigar[i]);
            out.cigar.push_back({bam_cigar_opchr(cigar[i]), len});
            if (op == BAM_CMATCH || op == BAM_CEQUAL || op == BAM_CDIFF) {
                if (!out.blocks.empty() && out.blocks.back().end == ref)
                    out.blocks.back().end += len;
                else
                    out.blocks.push_back({ref, ref + len});
            }
            if (bam_cigar_type(op) & 2) ref += len;   // consumes the reference
        }
    }
    if (c.flag & BAM_FREVERSE) {
        reverse_complement(out.sequence);
        std::reverse(out.qualities.begin(), out.qualities.end());
    }
    return true;
}

Result<Coverage> coverage(AlignmentReader& reader, const Region& region, int bins) {
    if (bins < 1) return make_error("coverage needs at least 1 bin, not ", bins);
    if (region.length() <= 0) return make_error("coverage needs a non-empty region, not ", format_locus(region));
    Coverage cov;
    cov.region = region;
    cov.bin_size = (region.length() + bins - 1) / bins;
    const int64_t n_bins = (region.length() + cov.bin_size - 1) / cov.bin_size;
    std::vector<int64_t> aligned(size_t(n_bins), 0);
    MS_TRY(reader.query(region));
    AlignedRead read;
    while (true) {
        auto more = reader.next(read);
        if (!more) return more.error();
        if (!*more) break;
        if (read.unmapped() || read.pos < 0) continue;
        for (const Interval& block : read.blocks) {
            const int64_t b = std::max(block.begin, region.begin), e = std::min(block.end, region.end);
            for (int64_t p = b; p < e;) {
                const int64_t bin = (p - region.begin) / cov.bin_size;
                const int64_t bin_end = std::min(region.begin + (bin + 1) * cov.bin_size, e);
                aligned[size_t(bin)] += bin_end - p;
                p = bin_end;
            }
        }
    }
    cov.mean_depth.resize(size_t(n_bins));
    for (int64_t i = 0; i < n_bins; ++i) {
        const int64_t width = std::min(cov.bin_size, region.end - (region.begin + i * cov.bin_size));
        cov.mean_depth[size_t(i)] = double(aligned[size_t(i)]) / double(width);
    }
    return cov;
}

}  // namespace ms

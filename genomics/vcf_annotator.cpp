// htslib does the VCF work: records are read with bcf_read into the input's header, moved to the
// output header with bcf_translate (IDs are per header, and the output declares more), changed with
// bcf_update_info and written with bcf_write; the index comes from tbx_index_build3.
#include "genomics/vcf_annotator.h"

#include <fcntl.h>

#include <htslib/hts.h>
#include <htslib/tbx.h>
#include <htslib/vcf.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <string_view>

#include "common/ascii.h"
#include "common/atomic_file.h"
#include "genomics/bgzip_index.h"

namespace ms {

namespace {

struct HtsCloser {
    void operator()(htsFile* f) const { hts_close(f); }
};
struct HdrDeleter {
    void operator()(bcf_hdr_t* h) const { bcf_hdr_destroy(h); }
};
struct RecDeleter {
    void operator()(bcf1_t* r) const { bcf_destroy(r); }
};
using File = std::unique_ptr<htsFile, HtsCloser>;
using Header = std::unique_ptr<bcf_hdr_t, HdrDeleter>;
using Record = std::unique_ptr<bcf1_t, RecDeleter>;

Result<std::pair<File, Header>> open_input(const std::string& path) {
    File fp(hts_open(path.c_str(), "r"));
    if (!fp) return make_error("cannot open VCF '", path, "'");
    Header hdr(bcf_hdr_read(fp.get()));
    if (!hdr) return make_error("cannot read the header of VCF '", path, "'");
    return std::pair{std::move(fp), std::move(hdr)};
}

bool declared_info(const bcf_hdr_t* h, const char* id) {
    return bcf_hdr_idinfo_exists(h, BCF_HL_INFO, bcf_hdr_id2int(h, BCF_DT_ID, id));
}

// .tbi addresses positions below 2^29; longer contigs need .csi.
constexpr int64_t kTbiMaxLength = int64_t(1) << 29;

}  // namespace

struct VcfAnnotator::Impl {
    std::string input, output, target, tmp, tmp_index;  // target: where output's data goes (a link's target)
    bool bgzip = false, csi = false, committed = false;
    File in, out;
    Header in_hdr, out_hdr;
    Record rec;
    std::vector<VcfInfoField> fields;
    std::vector<std::string> stale;  // INFO fields removed from every record (`fields`, owned ones)
    int64_t written = 0;

    ~Impl() {
        out.reset();
        if (!committed) {
            std::error_code ec;
            if (!tmp.empty()) std::filesystem::remove(tmp, ec);
            if (!tmp_index.empty()) std::filesystem::remove(tmp_index, ec);
        }
    }
};

VcfAnnotator::VcfAnnotator() : impl_(std::make_unique<Impl>()) {}
VcfAnnotator::~VcfAnnotator() = default;
VcfAnnotator::VcfAnnotator(VcfAnnotator&&) noexcept = default;
VcfAnnotator& VcfAnnotator::operator=(VcfAnnotator&&) noexcept = default;

Result<VcfAnnotator> VcfAnnotator::create(const std::string& input, const std::string& output,
                                          const std::vector<VcfInfoField>& fields, const std::vector<std::string>& meta,
                                          const std::vector<SequenceRecord>& reference,
                                          const std::vector<std::string>& owned) {
    VcfAnnotator a;
    Impl& m = *a.impl_;
    m.input = input;
    m.output = output;
    m.fields = fields;
    const std::string lower = ascii_lower(output);
    m.bgzip = lower.ends_with(".gz") || lower.ends_with(".bgz");  // OUT.VCF.GZ was written as plain text
    // The temporary goes beside the file a link points to, and a device or pipe is refused: the
    // rename into place replaced /dev/stdout with a plain file (as root), and wrote nothing to it.
    MS_ASSIGN(m.target, resolve_output(output));

    // A first pass collects what records use but the header does not declare — contigs, and INFO,
    // FILTER and FORMAT tags (htslib declares those while reading, as it warns): the output header
    // must name them before the first record is written, or htslib refuses the record (and in
    // VCF output ends the process).
    auto scan = open_input(input);
    if (!scan) return scan.error();
    Header declared(bcf_hdr_dup(scan->second.get()));
    Record r(bcf_init());
    // A bgzipped output gets a tabix index, which needs records sorted by contig and position:
    // found here, before any scoring, rather than at the index after all of it.
    std::set<int> finished_contigs;
    int last_rid = -1;
    hts_pos_t last_pos = -1;
    int64_t n_read = 0;
    auto unsorted = [&](const std::string& what) {
        return make_error("VCF '", input, "' is not sorted: record ", n_read, " (",
                          bcf_hdr_id2name(scan->second.get(), r->rid), ":", r->pos + 1, ") ", what,
                          ". A bgzipped output needs a tabix index, which needs sorted records: sort the input with ",
                          "`bcftools sort`, or write a plain .vcf");
    };
    while (bcf_read(scan->first.get(), scan->second.get(), r.get()) == 0) {
        ++n_read;
        if (!m.bgzip) continue;
        if (r->rid != last_rid) {
            if (finished_contigs.count(r->rid) || (last_rid >= 0 && !finished_contigs.insert(last_rid).second))
                return unsorted("returns to a contig left before");
            last_rid = r->rid;
            last_pos = -1;
        }
        if (r->pos < last_pos) return unsorted(cat("comes after position ", last_pos + 1));
        last_pos = r->pos;
    }
    int n_seen = 0;
    const char** seen = bcf_hdr_seqnames(scan->second.get(), &n_seen);
    std::vector<std::string> undeclared;
    for (int i = 0; i < n_seen; ++i)
        if (bcf_hdr_name2id(declared.get(), seen[i]) < 0) undeclared.emplace_back(seen[i]);
    std::free(seen);
    std::vector<std::string> undeclared_tags;  // header lines as htslib made them
    const bcf_hdr_t* scanned = scan->second.get();
    for (int i = 0; i < scanned->nhrec; ++i) {
        const bcf_hrec_t* hr = scanned->hrec[i];
        if (hr->type != BCF_HL_INFO && hr->type != BCF_HL_FLT && hr->type != BCF_HL_FMT) continue;
        const int at = bcf_hrec_find_key(const_cast<bcf_hrec_t*>(hr), "ID");
        if (at < 0) continue;
        const int id = bcf_hdr_id2int(declared.get(), BCF_DT_ID, hr->vals[at]);
        if (id >= 0 && bcf_hdr_idinfo_exists(declared.get(), hr->type, id)) continue;
        kstring_t line = KS_INITIALIZE;
        if (bcf_hrec_format(hr, &line) == 0 && line.l) undeclared_tags.emplace_back(line.s, line.l);
        ks_free(&line);
    }

    auto in = open_input(input);
    if (!in) return in.error();
    m.in = std::move(in->first);
    m.in_hdr = std::move(in->second);
    m.rec.reset(bcf_init());
    m.out_hdr.reset(bcf_hdr_dup(m.in_hdr.get()));
    if (!m.rec || !m.out_hdr) return make_error("out of memory opening VCF '", input, "'");
    bcf_hdr_t* h = m.out_hdr.get();
    auto append = [&](const std::string& line) -> Result<void> {
        if (bcf_hdr_append(h, line.c_str()) < 0)
            return make_error("cannot add the header line '", line, "' to VCF '", output, "'");
        return {};
    };
    for (const std::string& name : undeclared) {
        auto ref =
            std::find_if(reference.begin(), reference.end(), [&](const SequenceRecord& s) { return s.name == name; });
        MS_TRY(append(ref == reference.end() ? cat("##contig=<ID=", name, ">")
                                             : cat("##contig=<ID=", name, ",length=", ref->length, ">")));
    }
    for (std::string line : undeclared_tags) {
        while (!line.empty() && line.back() == '\n') line.pop_back();
        MS_TRY(append(line));
    }
    // A file annotated before: each owned field of the earlier annotation goes (its options may
    // have made other fields, which would contradict the new ones), and so do its meta lines.
    for (const VcfInfoField& f : fields) m.stale.push_back(f.id);
    for (const std::string& id : owned)
        if (std::find(m.stale.begin(), m.stale.end(), id) == m.stale.end()) m.stale.push_back(id);
    for (const std::string& id : m.stale) bcf_hdr_remove(h, BCF_HL_INFO, id.c_str());
    for (const std::string& line : meta)
        if (const size_t eq = line.find('='); line.starts_with("##") && eq != std::string::npos)
            bcf_hdr_remove(h, BCF_HL_GEN, line.substr(2, eq - 2).c_str());
    for (const VcfInfoField& f : fields) {
        MS_TRY(append(
            cat("##INFO=<ID=", f.id, ",Number=", f.number, ",Type=", f.type, ",Description=\"", f.description, "\">")));
    }
    for (const std::string& line : meta) MS_TRY(append(line));
    if (bcf_hdr_sync(h) < 0) return make_error("cannot build the header of VCF '", output, "'");
    int n_ctg = 0;
    const char** ctg = bcf_hdr_seqnames(h, &n_ctg);
    for (int i = 0; i < n_ctg; ++i) {
        auto ref =
            std::find_if(reference.begin(), reference.end(), [&](const SequenceRecord& s) { return s.name == ctg[i]; });
        if (ref != reference.end() && ref->length >= kTbiMaxLength) m.csi = true;
    }
    std::free(ctg);

    remove_stale_temporaries(m.target);
    m.tmp = cat(m.target, ".partial-", ::getpid());
    errno = 0;
    m.out.reset(hts_open(m.tmp.c_str(), m.bgzip ? "wz" : "w"));
    if (!m.out) {
        const int err = errno ? errno : EIO;
        const auto folder = std::filesystem::path(m.target).parent_path();
        std::error_code ec;
        if (!folder.empty() && !std::filesystem::is_directory(folder, ec))
            return make_error("cannot create '", output, "': its folder '", folder.string(), "' does not exist");
        return make_error("cannot create '", output, "' (a temporary beside it first): ", std::strerror(err),
                          " — is its folder writable?");
    }
    if (bcf_hdr_write(m.out.get(), h) < 0) return make_error("cannot write the header of '", output, "'");
    return a;
}

Result<void> VcfAnnotator::write_next(const VariantRecord& expected, const std::vector<VcfInfoValue>& info) {
    Impl& m = *impl_;
    bcf1_t* rec = m.rec.get();
    const int ret = bcf_read(m.in.get(), m.in_hdr.get(), rec);
    if (ret < 0 || bcf_unpack(rec, BCF_UN_STR) < 0)
        return make_error("VCF '", m.input, "' ended or failed after ", m.written, " records while copying it to '",
                          m.output, "'");
    const char* contig = bcf_hdr_id2name(m.in_hdr.get(), rec->rid);
    if (expected.contig != contig || expected.pos != rec->pos || rec->n_allele < 1 || expected.ref != rec->d.allele[0])
        return make_error("record ", m.written + 1, " of VCF '", m.input, "' is ", contig, ":", rec->pos + 1,
                          " while the job wrote ", expected.contig, ":", expected.pos + 1,
                          " (the file changed while it was read?)");
    // Tolerated while reading (the first pass declared them in the output header); left set,
    // htslib would refuse the record when writing it.
    rec->errcode &= ~(BCF_ERR_CTG_UNDEF | BCF_ERR_TAG_UNDEF);
    for (const std::string& id : m.stale)  // values of an earlier annotation go
        if (declared_info(m.in_hdr.get(), id.c_str()) &&
            bcf_update_info(m.in_hdr.get(), rec, id.c_str(), nullptr, 0, BCF_HT_FLAG) < 0)
            return make_error("cannot remove INFO/", id, " from record ", m.written + 1, " of VCF '", m.input, "'");
    if (bcf_translate(m.out_hdr.get(), m.in_hdr.get(), rec) < 0)
        return make_error("cannot move record ", m.written + 1, " of VCF '", m.input, "' to the output header");
    for (const VcfInfoValue& v : info) {
        int rc = 0;
        if (v.flag) {
            rc = bcf_update_info_flag(m.out_hdr.get(), rec, v.id.c_str(), nullptr, 1);
        } else {
            if (std::all_of(v.values.begin(), v.values.end(), [](float x) { return std::isnan(x); })) continue;
            std::vector<float> vals = v.values;
            for (float& x : vals)
                if (std::isnan(x)) bcf_float_set_missing(x);
            rc = bcf_update_info_float(m.out_hdr.get(), rec, v.id.c_str(), vals.data(), int(vals.size()));
        }
        if (rc < 0) return make_error("cannot set INFO/", v.id, " on record ", m.written + 1, " of '", m.output, "'");
    }
    if (bcf_write(m.out.get(), m.out_hdr.get(), rec) < 0)
        return make_error("cannot write record ", m.written + 1, " to '", m.output, "' (disk full?)");
    ++m.written;
    return {};
}

Result<void> VcfAnnotator::commit() {
    Impl& m = *impl_;
    if (bcf_read(m.in.get(), m.in_hdr.get(), m.rec.get()) == 0)
        return make_error("VCF '", m.input, "' has records after the ", m.written, " that were written; '", m.output,
                          "' was not made");
    if (hts_close(m.out.release()) != 0) return make_error("cannot finish writing '", m.output, "' (disk full?)");
    // On the disk before it replaces the earlier file under its name, as the other exports do
    // (BgzipWriter, AtomicFile): a crash right after the rename must not leave an empty VCF.
    {
        const int fd = ::open(m.tmp.c_str(), O_RDONLY);
        const bool synced = fd >= 0 && ::fsync(fd) == 0;
        const int err = errno;
        if (fd >= 0) ::close(fd);
        if (!synced) return make_error("cannot write '", m.output, "': ", std::strerror(err));
    }
    std::error_code ec;
    if (m.bgzip) {
        m.tmp_index = m.tmp + (m.csi ? ".csi" : ".tbi");
        errno = 0;
        const int rc = tbx_index_build3(m.tmp.c_str(), m.tmp_index.c_str(), m.csi ? 14 : 0, 1, &tbx_conf_vcf);
        if (rc < 0 && index_write_failed(errno))  // a full disk was blamed on the input's order
            return make_error("cannot write the index of '", m.output, "': ", std::strerror(errno));
        if (rc < 0)
            return make_error("cannot index '", m.output,
                              "': its records are not sorted by contig and position as the input ",
                              "was not (sort it with `bcftools sort`, or write a plain .vcf, which needs no index)");
        const std::string index = m.output + (m.csi ? ".csi" : ".tbi");
        // A stale index of an earlier file must not describe the new one, even for a moment.
        std::filesystem::remove(m.output + ".tbi", ec);
        std::filesystem::remove(m.output + ".csi", ec);
        keep_mode(m.target, m.tmp);
        std::filesystem::rename(m.tmp, m.target, ec);
        // The index goes beside the name the user gave (where readers look for it), which for a
        // link may be another file system than the data's: copied there when a rename cannot.
        if (!ec) std::filesystem::rename(m.tmp_index, index, ec);
        if (ec == std::errc::cross_device_link) {
            ec.clear();
            std::filesystem::copy_file(m.tmp_index, index, std::filesystem::copy_options::overwrite_existing, ec);
            if (!ec) std::filesystem::remove(m.tmp_index, ec);
        }
    } else {
        keep_mode(m.target, m.tmp);
        std::filesystem::rename(m.tmp, m.target, ec);
    }
    if (ec) return make_error("cannot move the finished VCF into place at '", m.output, "': ", ec.message());
    m.committed = true;
    return {};
}

}  // namespace ms

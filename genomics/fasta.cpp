#include "genomics/fasta.h"

#include <htslib/faidx.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

namespace ms {

struct FastaFile::Impl {
    faidx_t* fai = nullptr;
    ~Impl() {
        if (fai) fai_destroy(fai);
    }
};

FastaFile::~FastaFile() = default;
FastaFile::FastaFile(FastaFile&&) noexcept = default;
FastaFile& FastaFile::operator=(FastaFile&&) noexcept = default;

Result<FastaFile> FastaFile::open(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return make_error("cannot open FASTA '", path, "': ", std::strerror(errno));
    FastaFile f;
    f.path_ = path;
    f.impl_ = std::make_unique<Impl>();
    // FAI_CREATE builds the .fai (and .gzi) when missing; htslib prints its own reason to stderr.
    f.impl_->fai = fai_load3(path.c_str(), nullptr, nullptr, FAI_CREATE);
    if (!f.impl_->fai)
        return make_error("cannot read FASTA '", path, "': htslib could not load or build its index (",
                          "is it FASTA, plain or bgzip-compressed, with equal line lengths within each record, ",
                          "and is its folder writable for the .fai?)");
    const int n = faidx_nseq(f.impl_->fai);
    for (int i = 0; i < n; ++i) {
        const char* name = faidx_iseq(f.impl_->fai, i);
        // htslib 1.16 (Debian 12) reports lengths as int: records up to 2^31 - 1 bp, larger than
        // any assembled chromosome.
        const int len = faidx_seq_len(f.impl_->fai, name);
        if (len < 0) return make_error("FASTA index of '", path, "' has no length for record '", name, "'");
        f.records_.push_back({name, int64_t(len)});
    }
    if (f.records_.empty()) return make_error("FASTA '", path, "' holds no records");
    return f;
}

const SequenceRecord* FastaFile::find(const std::string& name) const {
    for (const SequenceRecord& r : records_)
        if (r.name == name) return &r;
    return nullptr;
}

Result<std::string> FastaFile::fetch(const std::string& name, int64_t begin, int64_t end) const {
    const SequenceRecord* r = find(name);
    if (!r) return make_error("no record named '", name, "' in '", path_, "'");
    if (begin < 0 || end > r->length || begin > end)
        return make_error("region ", begin, "-", end, " is outside record '", name, "' (0-", r->length, ") of '", path_, "'");
    if (begin == end) return std::string();
    hts_pos_t len = 0;
    // faidx_fetch_seq64 takes inclusive 0-based ends.
    char* s = faidx_fetch_seq64(impl_->fai, name.c_str(), begin, end - 1, &len);
    if (!s || len != end - begin) {
        std::free(s);
        return make_error("cannot read ", name, ":", begin + 1, "-", end, " from '", path_, "' (truncated or corrupt file?)");
    }
    std::string out(s, size_t(len));
    std::free(s);
    return out;
}

Result<std::string> FastaFile::fetch_all(const std::string& name) const {
    const SequenceRecord* r = find(name);
    if (!r) return make_error("no record named '", name, "' in '", path_, "'");
    return fetch(name, 0, r->length);
}

Composition composition(const std::string& bases) {
    Composition c;
    c.length = int64_t(bases.size());
    for (char b : bases) {
        if (b >= 'a' && b <= 'z') ++c.soft_masked;
        switch (b) {
            case 'G': case 'C': case 'g': case 'c': ++c.gc; break;
            case 'A': case 'T': case 'a': case 't': ++c.at; break;
            case 'N': case 'n': ++c.n; break;
            default: ++c.other;
        }
    }
    return c;
}

}  // namespace ms

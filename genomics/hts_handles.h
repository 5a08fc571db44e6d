// One owner type per htslib handle, so that every early return (and every error path) frees what
// was opened: htslib's handles come in paired lifetimes (hts_open/hts_close, fai_load/fai_destroy)
// and a forgotten close leaks file descriptors and thread pools.
//
// htslib return conventions the readers rely on (htslib 1.16):
//   sam_read1, sam_itr_next, bcf_read, bcf_itr_next, tbx_itr_next, hts_getline, bgzf_getline:
//     >= 0 a record/line was read; -1 end of the file or region; < -1 an error (truncated file,
//     corrupt compression, a record htslib cannot parse).
//   bgzf_read: bytes read (0 at end of file), < 0 error. A failed block read can still hand back
//     part of a line first, so readers also check BGZF::errcode.
//   Functions returning pointers (hts_open, sam_hdr_read, fai_load3, sam_index_load3): nullptr on
//     failure, with errno set for I/O failures (ENOEXEC: htslib recognised no format).
#pragma once

#include <htslib/bgzf.h>
#include <htslib/faidx.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <htslib/sam.h>
#include <htslib/tbx.h>

#include <memory>

namespace ms::hts {

struct FileCloser { void operator()(htsFile* f) const { hts_close(f); } };
struct SamHdrDeleter { void operator()(sam_hdr_t* h) const { sam_hdr_destroy(h); } };
struct BamDeleter { void operator()(bam1_t* b) const { bam_destroy1(b); } };
struct IdxDeleter { void operator()(hts_idx_t* i) const { hts_idx_destroy(i); } };
struct ItrDeleter { void operator()(hts_itr_t* i) const { hts_itr_destroy(i); } };
struct BgzfCloser { void operator()(BGZF* f) const { bgzf_close(f); } };
struct FaiDeleter { void operator()(faidx_t* f) const { fai_destroy(f); } };
struct TbxDeleter { void operator()(tbx_t* t) const { tbx_destroy(t); } };

using File = std::unique_ptr<htsFile, FileCloser>;
using SamHeader = std::unique_ptr<sam_hdr_t, SamHdrDeleter>;
using Bam = std::unique_ptr<bam1_t, BamDeleter>;
using Index = std::unique_ptr<hts_idx_t, IdxDeleter>;
using Iterator = std::unique_ptr<hts_itr_t, ItrDeleter>;
using Bgzf = std::unique_ptr<BGZF, BgzfCloser>;
using Fai = std::unique_ptr<faidx_t, FaiDeleter>;
using Tabix = std::unique_ptr<tbx_t, TbxDeleter>;

// A kstring_t that frees its buffer.
struct KString {
    kstring_t s = KS_INITIALIZE;
    KString() = default;
    KString(const KString&) = delete;
    KString& operator=(const KString&) = delete;
    ~KString() { ks_free(&s); }
};

}  // namespace ms::hts

// Writing text as BGZF (bgzip) through htslib, optionally with a tabix index, so that exports can
// be queried by region (`tabix out.bedgraph.gz chr1:1-1000`, `bcftools view -r`). Written under
// temporary names beside the target and renamed into place only when complete, like AtomicFile.
#pragma once

#include <cerrno>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace ms {

// How the finished file is indexed: not at all, as BED-like (chrom, 0-based start, end in columns
// 1-3: BED and bedGraph) or as VCF (CHROM, 1-based POS, end from REF).
enum class TabixPreset { none, bed, vcf };

// Whether a failed tabix index build was the disk's (errno after it, cleared before): htslib's
// failure code alone reads the same for unsorted records and a full disk.
inline bool index_write_failed(int err) {
    return err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS || err == EFBIG;
}

class BgzipWriter {
public:
    static Result<BgzipWriter> create(const std::string& path);
    BgzipWriter(BgzipWriter&&) noexcept;
    BgzipWriter& operator=(BgzipWriter&&) noexcept;
    ~BgzipWriter();  // removes the temporary files unless commit() succeeded

    Result<void> write(std::string_view text);
    // Closes the BGZF stream, builds PATH.tbi (or PATH.csi when `csi`: positions past 2^29, which
    // .tbi cannot hold) and moves both into place: a stale index of an earlier file at PATH is
    // removed first, so a failure between the two renames leaves no index that lies about the data.
    // Records must be sorted as tabix needs: one block per chromosome, starts ascending within it.
    Result<void> commit(TabixPreset index, bool csi = false);

private:
    BgzipWriter();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ms

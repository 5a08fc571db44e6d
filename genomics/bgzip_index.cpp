#include "genomics/bgzip_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/atomic_file.h"
#include "genomics/hts_handles.h"

namespace ms {

struct BgzipWriter::Impl {
    std::string path, tmp, tmp_index;
    hts::Bgzf file;
    bool committed = false;

    ~Impl() {
        file.reset();
        if (committed) return;
        if (!tmp.empty()) std::remove(tmp.c_str());
        if (!tmp_index.empty()) std::remove(tmp_index.c_str());
    }
};

BgzipWriter::BgzipWriter() : impl_(std::make_unique<Impl>()) {}
BgzipWriter::BgzipWriter(BgzipWriter&&) noexcept = default;
BgzipWriter& BgzipWriter::operator=(BgzipWriter&&) noexcept = default;
BgzipWriter::~BgzipWriter() = default;

Result<BgzipWriter> BgzipWriter::create(const std::string& path) {
    BgzipWriter w;
    Impl& d = *w.impl_;
    MS_ASSIGN(d.path, resolve_output(path));
    // commit() replaces the index of an earlier file here, of either kind: refused as the file
    // itself would be (a write-protected .tbi was replaced without a word), before any work.
    for (const char* ext : {".tbi", ".csi"}) {
        std::error_code ec;
        if (std::filesystem::exists(std::filesystem::symlink_status(d.path + ext, ec)))
            MS_TRY(resolve_output(d.path + ext));
    }
    remove_stale_temporaries(d.path);
    d.tmp = cat(d.path, ".tmp-", ::getpid());
    d.file.reset(bgzf_open(d.tmp.c_str(), "w"));
    if (!d.file) return make_error("cannot create '", path, "': ", std::strerror(errno));
    keep_mode(d.path, d.tmp);
    return w;
}

Result<void> BgzipWriter::write(std::string_view text) {
    Impl& d = *impl_;
    assert(d.file);
    if (text.empty()) return {};
    if (bgzf_write(d.file.get(), text.data(), text.size()) != ssize_t(text.size()))
        return make_error("cannot write '", d.path, "': ", std::strerror(errno), " (disk full?)");
    return {};
}

Result<void> BgzipWriter::commit(TabixPreset index, bool csi) {
    Impl& d = *impl_;
    assert(d.file);
    // bgzf_close writes the last block and the end-of-file marker; its failure is the disk's.
    const int closed = bgzf_close(d.file.release());
    if (closed != 0) return make_error("cannot write '", d.path, "': ", std::strerror(errno), " (disk full?)");
    const int fd = ::open(d.tmp.c_str(), O_RDONLY);
    const bool synced = fd >= 0 && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!synced) return make_error("cannot write '", d.path, "': ", std::strerror(errno));

    std::string index_path;
    if (index != TabixPreset::none) {
        const char* ext = csi ? ".csi" : ".tbi";
        index_path = d.path + ext;
        d.tmp_index = d.tmp + ext;
        // min_shift 0 makes a .tbi; 14 is htslib's default for .csi (16 kbp bins).
        errno = 0;
        const int rc = tbx_index_build2(d.tmp.c_str(), d.tmp_index.c_str(), csi ? 14 : 0,
                                        index == TabixPreset::bed ? &tbx_conf_bed : &tbx_conf_vcf);
        if (rc != 0 && index_write_failed(errno))  // a full disk was blamed on the order
            return make_error("cannot write the index of '", d.path, "': ", std::strerror(errno));
        if (rc != 0)
            return make_error("cannot index '", d.path, "' with tabix (htslib returned ", rc,
                              "); the records may not be sorted by chromosome and start");
        // An index of an earlier file at this path (of either kind) would lie about the new data.
        std::remove((d.path + ".tbi").c_str());
        std::remove((d.path + ".csi").c_str());
    }
    if (std::rename(d.tmp.c_str(), d.path.c_str()) != 0)
        return make_error("cannot move the finished file into place at '", d.path, "': ", std::strerror(errno));
    d.committed = true;
    if (!index_path.empty() && std::rename(d.tmp_index.c_str(), index_path.c_str()) != 0) {
        const int err = errno;
        std::remove(d.tmp_index.c_str());
        return make_error("cannot move the index into place at '", index_path, "': ", std::strerror(err));
    }
    return {};
}

}  // namespace ms

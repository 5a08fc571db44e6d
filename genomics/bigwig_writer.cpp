#include "genomics/bigwig_writer.h"

#include <bigWig.h>
extern "C" {
#include <bwCommon.h>  // bwDestroyIndexNode
}
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>

#include "common/atomic_file.h"
#include "genomics/bigwig_zoom.h"

namespace ms {

namespace {

// libBigWig keeps process-wide state (the read buffer size, curl for remote files) that bwInit sets
// once; writing local files does not use curl, but reading the finished file back does go
// through its buffered reader.
Result<void> init_libbigwig() {
    static std::once_flag once;
    static int rc = 0;
    std::call_once(once, [] { rc = bwInit(1 << 17); });
    if (rc != 0) return make_error("libBigWig could not be initialised (bwInit returned ", rc, ")");
    return {};
}

// libBigWig's own file, replaced by a stdio stream over our descriptor that never reports a failed
// write to it. Why: after a write fails (a full disk) libBigWig keeps filling its block buffer past
// its end (valgrind: invalid writes in bwAddIntervals, then heap corruption and a crash), and
// bwClose only prints a failure of its last writes, leaving a truncated file that reads back with no
// zoom levels. So every write "succeeds", the first failure's errno is kept here, and the writer
// reports it once libBigWig has closed the file (which is then removed, not moved into place).
struct Sink {
    int fd = -1;
    int error = 0;  // the first failed write's (or close's) errno

    static ssize_t write(void* c, const char* buf, size_t size) {
        Sink& s = *static_cast<Sink*>(c);
        for (size_t done = 0; done < size && s.error == 0;) {
            const ssize_t n = ::write(s.fd, buf + done, size - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0)
                s.error = n < 0 ? errno : ENOSPC;
            else
                done += size_t(n);
        }
        return ssize_t(size);
    }
    static ssize_t read(void* c, char* buf, size_t size) { return ::read(static_cast<Sink*>(c)->fd, buf, size); }
    static int seek(void* c, off64_t* pos, int whence) {
        const off_t at = ::lseek(static_cast<Sink*>(c)->fd, off_t(*pos), whence);
        if (at < 0) return -1;
        *pos = at;
        return 0;
    }
    static int close(void* c) {
        Sink& s = *static_cast<Sink*>(c);
        if (s.fd >= 0 && ::close(s.fd) != 0 && s.error == 0) s.error = errno;
        s.fd = -1;
        return 0;
    }
};

struct BwCloser {
    void operator()(bigWigFile_t* f) const { bwClose(f); }
};
using BwFile = std::unique_ptr<bigWigFile_t, BwCloser>;

// Intervals handed to libBigWig at a time: large blocks keep its per-call overhead small; the
// memory is 12 bytes an interval.
constexpr size_t kBlock = 1 << 16;

}  // namespace

struct BigWigWriter::Impl {
    std::string path, tmp;
    std::vector<BigWigChrom> chroms;
    Sink sink;  // declared before `file`: it outlives libBigWig's handle, which closes through it
    BwFile file;
    bool committed = false;
    // The block being filled, its chromosome and whether libBigWig has started that chromosome
    // (then blocks are appended to its last one).
    std::vector<uint32_t> starts, ends;
    std::vector<float> values;
    size_t block_chrom = 0, started_chrom = std::numeric_limits<size_t>::max();
    int64_t last_end = 0, count = 0;
    // The whole file's summary, kept here: libBigWig 0.4.7 starts its maximum at DBL_MIN (the
    // smallest positive double), so a track of negative values (every log-likelihood) got a
    // maximum of 2.2e-308 in the header that browsers scale by.
    uint64_t bases_covered = 0;
    double min_value = std::numeric_limits<double>::infinity(), max_value = -std::numeric_limits<double>::infinity();
    double sum = 0, sum_squares = 0;

    ~Impl() {
        abandon();
        if (!committed && !tmp.empty()) std::remove(tmp.c_str());
    }

    // Frees libBigWig's handle without finishing the file (a write failed, or the export stopped):
    // with isWrite cleared bwClose skips bwFinalize, which would read back blocks that never reached
    // the disk and crash on them.
    // bwFinalize also frees the in-memory index (a list of leaf nodes, one a written block): freed
    // here instead.
    void abandon() {
        if (file && file->writeBuffer) {
            for (bwLL* n = file->writeBuffer->firstIndexNode; n;) {
                bwLL* next = n->next;
                bwDestroyIndexNode(n->node);
                std::free(n);
                n = next;
            }
            file->writeBuffer->firstIndexNode = file->writeBuffer->currentIndexNode = nullptr;
        }
        if (file) file->isWrite = 0;
        file.reset();
    }

    // Overwrites the header's total summary (basesCovered, minVal, maxVal, sumData, sumSquares:
    // one uint64 and four doubles, little-endian, at the header's totalSummaryOffset, bytes 44-51)
    // with the figures gathered in add().
    Result<void> write_total_summary() const {
        std::FILE* f = std::fopen(tmp.c_str(), "r+b");
        if (!f) return make_error("cannot write bigWig '", path, "': ", std::strerror(errno));
        uint64_t offset = 0;
        const double summary[4] = {min_value, max_value, sum, sum_squares};
        const bool ok = std::fseek(f, 44, SEEK_SET) == 0 && std::fread(&offset, 8, 1, f) == 1 && offset > 0 &&
                        std::fseek(f, long(offset), SEEK_SET) == 0 && std::fwrite(&bases_covered, 8, 1, f) == 1 &&
                        std::fwrite(summary, 8, 4, f) == 4;
        const bool closed = std::fclose(f) == 0;
        if (!ok || !closed)
            return make_error("cannot write bigWig '", path, "': updating the header's summary failed (disk full?)");
        return {};
    }

    Error write_failed() const { return make_error("cannot write bigWig '", path, "': ", std::strerror(sink.error)); }

    Result<void> flush_block() {
        if (starts.empty()) return {};
        const uint32_t n = uint32_t(starts.size());
        int rc = 0;
        if (started_chrom == block_chrom) {
            rc = bwAppendIntervals(file.get(), starts.data(), ends.data(), values.data(), n);
        } else {
            const std::vector<const char*> names(n, chroms[block_chrom].name.c_str());
            rc = bwAddIntervals(file.get(), names.data(), starts.data(), ends.data(), values.data(), n);
            started_chrom = block_chrom;
        }
        if (sink.error) return write_failed();
        if (rc != 0)
            return make_error("cannot write bigWig '", path, "': libBigWig refused intervals of '",
                              chroms[block_chrom].name, "'");
        starts.clear();
        ends.clear();
        values.clear();
        return {};
    }
};

BigWigWriter::BigWigWriter() : impl_(std::make_unique<Impl>()) {}
BigWigWriter::BigWigWriter(BigWigWriter&&) noexcept = default;
BigWigWriter& BigWigWriter::operator=(BigWigWriter&&) noexcept = default;
BigWigWriter::~BigWigWriter() = default;

Result<BigWigWriter> BigWigWriter::create(const std::string& path, std::vector<BigWigChrom> chroms, int max_zooms) {
    MS_TRY(init_libbigwig());
    if (chroms.empty()) return make_error("cannot write bigWig '", path, "': no chromosomes to describe");
    std::sort(chroms.begin(), chroms.end(), [](const BigWigChrom& a, const BigWigChrom& b) {
        return std::strcmp(a.name.c_str(), b.name.c_str()) < 0;
    });
    std::vector<const char*> names;
    std::vector<uint32_t> lengths;
    for (const BigWigChrom& c : chroms) {
        // bigWig stores chromosome sizes and positions as 32-bit unsigned integers.
        if (c.length <= 0 || c.length > int64_t(std::numeric_limits<uint32_t>::max()))
            return make_error("cannot write bigWig '", path, "': chromosome '", c.name, "' has length ", c.length,
                              "; bigWig holds lengths from 1 to 4,294,967,295");
        names.push_back(c.name.c_str());
        lengths.push_back(uint32_t(c.length));
    }
    BigWigWriter w;
    Impl& d = *w.impl_;
    MS_ASSIGN(d.path, resolve_output(path));
    remove_stale_temporaries(d.path);
    d.tmp = cat(d.path, ".tmp-", ::getpid());
    d.chroms = std::move(chroms);
    // Created here first: when libBigWig cannot open a file for writing it frees its half-built
    // handle twice and crashes (seen with a missing or read-only folder), so it is only ever
    // handed a file that already exists and is writable.
    const int fd = ::open(d.tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) return make_error("cannot create bigWig '", path, "': ", std::strerror(errno));
    ::close(fd);
    keep_mode(d.path, d.tmp);
    d.file.reset(bwOpen(d.tmp.c_str(), nullptr, "w"));
    if (!d.file) return make_error("cannot create bigWig '", path, "': ", std::strerror(errno));
    {
        d.sink.fd = ::open(d.tmp.c_str(), O_RDWR | O_CLOEXEC);
        std::FILE* stream =
            d.sink.fd < 0 ? nullptr
                          : fopencookie(&d.sink, "w+",
                                        cookie_io_functions_t{&Sink::read, &Sink::write, &Sink::seek, &Sink::close});
        if (!stream) {
            const int e = errno;
            if (d.sink.fd >= 0) ::close(d.sink.fd);
            d.sink.fd = -1;
            return make_error("cannot create bigWig '", path, "': ", std::strerror(e));
        }
        std::fclose(d.file->URL->x.fp);  // libBigWig's stream; nothing was written through it yet
        d.file->URL->x.fp = stream;
    }
    if (bwCreateHdr(d.file.get(), max_zooms) != 0)
        return make_error("cannot write bigWig '", path, "': libBigWig could not create the header");
    // libBigWig copies the names; bwClose frees the list.
    d.file->cl = bwCreateChromList(names.data(), lengths.data(), int64_t(names.size()));
    if (!d.file->cl)
        return make_error("cannot write bigWig '", path, "': libBigWig could not build the chromosome list");
    if (bwWriteHdr(d.file.get()) != 0 || d.sink.error)
        return d.sink.error ? d.write_failed()
                            : make_error("cannot write bigWig '", path, "': writing the header failed");
    d.starts.reserve(kBlock);
    d.ends.reserve(kBlock);
    d.values.reserve(kBlock);
    return w;
}

const std::vector<BigWigChrom>& BigWigWriter::chroms() const { return impl_->chroms; }
int64_t BigWigWriter::intervals() const { return impl_->count; }

Result<void> BigWigWriter::add(size_t chrom, int64_t begin, int64_t end, float value) {
    Impl& d = *impl_;
    assert(d.file && chrom < d.chroms.size() && value == value);
    if (chrom != d.block_chrom) {
        // Programmer errors, but cheap to catch: libBigWig would write an unreadable index.
        assert(chrom > d.block_chrom || d.starts.empty());
        MS_TRY(d.flush_block());
        d.block_chrom = chrom;
        d.last_end = 0;
    }
    assert(begin >= d.last_end && end > begin && end <= d.chroms[chrom].length);
    d.starts.push_back(uint32_t(begin));
    d.ends.push_back(uint32_t(end));
    d.values.push_back(value);
    d.last_end = end;
    ++d.count;
    const double n = double(end - begin), v = value;
    d.bases_covered += uint64_t(end - begin);
    d.min_value = std::min(d.min_value, v);
    d.max_value = std::max(d.max_value, v);
    d.sum += n * v;
    d.sum_squares += n * v * v;
    if (d.starts.size() == kBlock) MS_TRY(d.flush_block());
    return {};
}

Result<void> BigWigWriter::commit() {
    Impl& d = *impl_;
    assert(d.file);
    if (d.count == 0)
        return make_error("cannot write bigWig '", d.path, "': there are no values to write (every position is empty)");
    MS_TRY(d.flush_block());
    // bwClose writes the index and zoom levels from the blocks it reads back, and reports no error:
    // the blocks must be on disk first, the sink keeps the first failed write's errno, and the file
    // is read back below to see that it is whole.
    if (std::fflush(d.file->URL->x.fp) != 0 || d.sink.error) {
        if (!d.sink.error) d.sink.error = errno ? errno : EIO;
        return d.write_failed();  // ~Impl abandons the handle and removes the file
    }
    d.file.reset();
    if (d.sink.error) return d.write_failed();
    MS_TRY(d.write_total_summary());
    MS_TRY(rewrite_bigwig_zoom_levels(d.tmp, d.path));
    {
        BwFile check(bwOpen(d.tmp.c_str(), nullptr, "r"));
        if (!check || !check->cl || check->cl->nKeys != int64_t(d.chroms.size()))
            return make_error("cannot write bigWig '", d.path,
                              "': the finished file does not read back as a bigWig (disk full?)");
    }
    const int fd = ::open(d.tmp.c_str(), O_RDONLY);
    const bool synced = fd >= 0 && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!synced) return make_error("cannot write bigWig '", d.path, "': ", std::strerror(errno));
    if (std::rename(d.tmp.c_str(), d.path.c_str()) != 0)
        return make_error("cannot move the finished file into place at '", d.path, "': ", std::strerror(errno));
    d.committed = true;
    return {};
}

}  // namespace ms

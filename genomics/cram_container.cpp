#include "genomics/cram_container.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/error.h"

namespace ms {

namespace {

// A header's variable-length integers (CRAM spec §2.3): ITF8 takes 1-5 bytes, LTF8 1-9, the count
// of leading 1 bits of the first byte saying how many follow.
class HeaderBytes {
public:
    explicit HeaderBytes(const std::vector<uint8_t>& b) : b_(b) {}
    size_t at() const { return at_; }
    bool int32(int32_t& v) {
        if (at_ + 4 > b_.size()) return false;
        v = int32_t(uint32_t(b_[at_]) | uint32_t(b_[at_ + 1]) << 8 | uint32_t(b_[at_ + 2]) << 16 |
                    uint32_t(b_[at_ + 3]) << 24);
        at_ += 4;
        return true;
    }
    bool itf8(int32_t& v) {
        if (at_ >= b_.size()) return false;
        const uint8_t b0 = b_[at_];
        const int extra = b0 < 0x80 ? 0 : b0 < 0xC0 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
        if (at_ + 1 + size_t(extra) > b_.size()) return false;
        static constexpr uint32_t kMask[] = {0x7F, 0x3FFF, 0x1FFFFF, 0x0FFFFFFF};
        uint32_t u = 0;
        if (extra < 4) {
            for (int i = 0; i <= extra; ++i) u = u << 8 | b_[at_ + size_t(i)];
            u &= kMask[extra];
        } else {  // the last byte's low four bits complete the 32
            u = uint32_t(b0 & 0x0F) << 28 | uint32_t(b_[at_ + 1]) << 20 | uint32_t(b_[at_ + 2]) << 12 |
                uint32_t(b_[at_ + 3]) << 4 | (b_[at_ + 4] & 0x0F);
        }
        v = int32_t(u);
        at_ += 1 + size_t(extra);
        return true;
    }
    bool ltf8() {  // skipped: the record counter and base count are not checked
        if (at_ >= b_.size()) return false;
        int extra = 0;
        while (extra < 8 && (b_[at_] & (0x80 >> extra))) ++extra;
        if (at_ + 1 + size_t(extra) > b_.size()) return false;
        at_ += 1 + size_t(extra);
        return true;
    }

private:
    const std::vector<uint8_t>& b_;
    size_t at_ = 0;
};

// The most a header is read for: 4 + 4·5 + 2·9 + 5 bytes of counts, and landmarks (a slice each;
// samtools writes one a container, and never thousands).
constexpr size_t kHeaderReadBytes = 64 * 1024;

}  // namespace

std::string cram_container_problem(const std::string& path, uint64_t offset, uint64_t file_bytes, int major_version) {
    if (major_version < 2 || major_version > 3) return {};
    if (offset >= file_bytes) return cat("the file has ended (", file_bytes, " bytes)");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cat("the file cannot be read (", std::strerror(errno), ")");
    std::vector<uint8_t> b(size_t(std::min<uint64_t>(kHeaderReadBytes, file_bytes - offset)));
    const ssize_t got = ::pread(fd, b.data(), b.size(), off_t(offset));
    const int read_errno = errno;
    ::close(fd);
    if (got < 0) return cat("the file cannot be read (", std::strerror(read_errno), ")");
    b.resize(size_t(got));
    HeaderBytes h(b);
    int32_t length = 0, ref = 0, start = 0, span = 0, records = 0, blocks = 0, landmarks = 0;
    if (!h.int32(length) || !h.itf8(ref) || !h.itf8(start) || !h.itf8(span) || !h.itf8(records) || !h.ltf8() ||
        !h.ltf8() || !h.itf8(blocks) || !h.itf8(landmarks))
        return "no container header ends before the file does";
    if (length < 0 || blocks < 0 || landmarks < 0 || ref < -2 || records < 0)
        return "no container starts (its header's counts are negative)";
    for (int32_t i = 0; i < landmarks; ++i) {
        int32_t at = 0;
        if (!h.itf8(at)) return "no container header ends before the file does";
        if (at < 0 || at > length) return "no container starts (a slice of its header lies outside it)";
    }
    size_t header = h.at();
    if (major_version >= 3) {
        int32_t crc = 0;
        if (!h.int32(crc)) return "no container header ends before the file does";
        if (uint32_t(crc) != uint32_t(::crc32(0L, b.data(), uInt(header))))
            return "no container starts (the header's CRC32 does not match)";
        header = h.at();
    }
    if (offset + header + uint64_t(length) > file_bytes)
        return cat("no container starts (its ", length, " bytes of blocks would end past the file's end)");
    return {};
}

}  // namespace ms

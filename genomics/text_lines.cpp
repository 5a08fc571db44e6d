#include "genomics/text_lines.h"

#include <cstring>

namespace ms {

namespace {
constexpr size_t kReadBytes = size_t(64) << 10;
}

TextLines::TextLines(BGZF* fp, size_t max_line_bytes) : fp_(fp), max_(max_line_bytes), buf_(kReadBytes) {}

TextLines::Status TextLines::next(std::string_view& line) {
    pending_.clear();
    for (;;) {
        if (pos_ < len_) {
            const char* start = buf_.data() + pos_;
            const void* nl = std::memchr(start, '\n', len_ - pos_);
            const size_t n = nl ? size_t(static_cast<const char*>(nl) - start) : len_ - pos_;
            if (pending_.size() + n > max_) return Status::too_long;
            if (nl && pending_.empty()) {   // the common case: the whole line in the buffer, no copy
                line = std::string_view(start, n);
                pos_ += n + 1;
                return Status::line;
            }
            pending_.append(start, n);
            pos_ += n + (nl ? 1 : 0);
            if (nl) {
                line = pending_;
                return Status::line;
            }
        }
        if (eof_) {
            if (pending_.empty()) return Status::end;
            line = pending_;
            return Status::line;
        }
        const ssize_t got = bgzf_read(fp_, buf_.data(), buf_.size());
        // A failed block read may still hand back bytes: the stream's error flag decides.
        if (got < 0 || fp_->errcode) return Status::read_error;
        pos_ = 0;
        len_ = size_t(got);
        eof_ = got == 0;
    }
}

}  // namespace ms

// A byte-level state machine over large bgzf_read buffers rather than bgzf_getline: a 60 Mbp
// chromosome is a million short lines, and per-line calls would cost more than the bases.
#include "genomics/fasta_stream.h"
#include "genomics/file_kind.h"
#include "genomics/text_lines.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unordered_map>
#include <vector>

#include "genomics/hts_handles.h"

namespace ms {

const char* to_string(Compression c) {
    switch (c) {
        case Compression::none: return "none";
        case Compression::gzip: return "gzip";
        case Compression::bgzip: return "bgzip";
    }
    return "?";
}

namespace {

constexpr size_t kBufferBytes = size_t(1) << 20;
// A header line longer than this is not a name but a file that is not FASTA (or lost its line
// ends); holding it all would let one bad file take the machine's memory.
constexpr size_t kMaxHeaderBytes = size_t(1) << 20;

// Bytes allowed in sequence lines: IUPAC letters in either case, '*' (stop, in proteins) and '-'
// (gaps in alignments), as faidx accepts them.
constexpr std::array<bool, 256> make_valid_table() {
    std::array<bool, 256> t{};
    for (int c = 'A'; c <= 'Z'; ++c) t[size_t(c)] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[size_t(c)] = true;
    t[size_t('*')] = t[size_t('-')] = true;
    return t;
}
constexpr std::array<bool, 256> kValid = make_valid_table();

// Up to 40 bytes of a line for a message, with unprintable bytes as \xNN so binary garbage shows
// as what it is.
std::string printable(const char* p, size_t n) {
    std::string out;
    for (size_t i = 0; i < n && i < 40; ++i) {
        const unsigned char c = static_cast<unsigned char>(p[i]);
        if (c == '\n' || c == '\r') break;
        if (c >= 0x20 && c < 0x7f) {
            out += char(c);
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02X", c);
            out += hex;
        }
    }
    return out;
}

}  // namespace

namespace {
// A bgzip file cut at a block boundary reads as a shorter file without an error; only its missing
// end-of-file block tells (htslib merely warns).
Result<void> check_bgzip_end(BGZF* f, const std::string& path) {
    if (bgzf_compression(f) == 2 && bgzf_check_EOF(f) == 0)
        return make_error("'", path, "' has no bgzip end-of-file marker: it is truncated (was the copy or download ",
                          "interrupted?)");
    return {};
}
}  // namespace

Result<Compression> detect_compression(const std::string& path) {
    hts::Bgzf f(bgzf_open(path.c_str(), "r"));
    if (!f) return make_error("cannot open '", path, "': ", std::strerror(errno ? errno : EIO));
    switch (bgzf_compression(f.get())) {
        case 1: return Compression::gzip;
        case 2:
            MS_TRY(check_bgzip_end(f.get(), path));
            return Compression::bgzip;
        default: return Compression::none;
    }
}

struct FastaStream::Impl {
    hts::Bgzf fp;
    Compression compression = Compression::none;
    std::vector<char> buf = std::vector<char>(kBufferBytes);
    size_t pos = 0, len = 0;
    bool eof = false;
    int64_t line_no = 0;   // the line being read (or last read), 1-based
    bool at_line_start = true;
    bool have_record = false, record_done = true, any_record = false;
    std::string name, description;
    int64_t header_line = 0;
    // Line layout of the current record: the width of its first line, and the first line
    // shorter than that (after which only blank lines may follow).
    int64_t width = -1, cur_len = 0, short_line = 0, short_len = 0;
    bool pending_cr = false;
    // Spaces and tabs after the line's last base, and those of the record's first line and of the
    // line before the current one (-1 before). faidx takes trailing blanks as part of the line's
    // width in bytes, so they are fine when every line but the last has the same number; blanks
    // before or between bases it indexes too, but then reads wrong bases at random positions.
    int64_t cur_pad = 0, line_pad = -1, prev_pad = -1;
    // Whether the record's first line ends with CRLF (1) or LF (0), and the line before the
    // current one; -1 before: faidx takes a record's line width in bytes, so a record mixing
    // both cannot be indexed.
    int line_crlf = -1, prev_crlf = -1;
    std::unordered_map<std::string, int64_t> seen_names;   // name -> header line
    std::string path;

    std::string where() const { return cat("FASTA '", path, "' record '", name, "' line ", line_no, ": "); }

    // True when there are bytes at buf[pos]; false at the end of the file.
    Result<bool> fill() {
        if (pos < len) return true;
        if (eof) return false;
        const ssize_t n = bgzf_read(fp.get(), buf.data(), buf.size());
        if (n < 0 || fp->errcode)
            return make_error("cannot read FASTA '", path, "' ", after_line(line_no),
                              ": the file is truncated or its compression is corrupt");
        if (n == 0) {
            eof = true;
            return false;
        }
        pos = 0;
        len = size_t(n);
        return true;
    }

    // `terminated`: the line ended with '\n' (the file's last line may not).
    Result<void> end_line(bool terminated = true) {
        at_line_start = true;
        const bool crlf = pending_cr;
        pending_cr = false;
        if (cur_len > 0) {
            // The line before this one was not the record's last: its end must be of the record's
            // kind (the last line's end does not matter to faidx, so it is not held to it).
            if (prev_crlf >= 0 && prev_crlf != line_crlf)
                return make_error("FASTA '", path, "' record '", name, "' line ", line_no - 1, ": ends with ",
                                  prev_crlf ? "CRLF (Windows)" : "LF (Unix)",
                                  " where the record's first line ends with ", line_crlf ? "CRLF" : "LF",
                                  "; faidx needs one kind of line end within a record: convert the file, e.g. with ",
                                  "`sed -i 's/\\r$//' FILE` or dos2unix");
            if (prev_pad >= 0 && prev_pad != line_pad)
                return make_error("FASTA '", path, "' record '", name, "' line ", line_no - 1, ": ", prev_pad,
                                  " spaces or tabs after its bases where the record's first line has ", line_pad,
                                  "; faidx needs every line of a record but the last to have the same width in bytes: ",
                                  "remove the trailing blanks, e.g. with `sed -i 's/[[:blank:]]*$//' FILE`");
            if (line_crlf < 0 && terminated) line_crlf = crlf ? 1 : 0;
            if (line_pad < 0 && terminated) line_pad = cur_pad;
            prev_crlf = terminated ? (crlf ? 1 : 0) : -1;
            prev_pad = terminated ? cur_pad : -1;
        }
        if (cur_len == 0 && cur_pad > 0)
            return make_error(where(),
                              "a line of only spaces or tabs; faidx (htslib) cannot index it: remove it, e.g. ",
                              "with `sed -i '/^[[:blank:]]*$/d' FILE`");
        if (cur_len == 0) {   // a blank line: only more blank lines or the next header may follow
            if (short_line == 0) {
                short_line = line_no;
                short_len = 0;
            }
            return {};
        }
        if (short_line != 0)
            return make_error(where(), cur_len, " bases after line ", short_line, " of ", short_len,
                              short_len == 0 ? " (blank)" : "",
                              "; every line of a record but the last must have the same length (faidx needs it to index the file)");
        if (width < 0) {
            width = cur_len;
        } else if (cur_len > width) {
            return make_error(where(), cur_len, " bases, more than the ", width, " of the record's first line; ",
                              "every line of a record but the last must have the same length");
        } else if (cur_len < width) {
            short_line = line_no;
            short_len = cur_len;
        }
        return {};
    }
};

FastaStream::~FastaStream() = default;
FastaStream::FastaStream(FastaStream&&) noexcept = default;
FastaStream& FastaStream::operator=(FastaStream&&) noexcept = default;

Compression FastaStream::compression() const { return impl_->compression; }
const std::string& FastaStream::name() const { return impl_->name; }
const std::string& FastaStream::description() const { return impl_->description; }
int64_t FastaStream::header_line() const { return impl_->header_line; }

Result<FastaStream> FastaStream::open(const std::string& path, int threads) {
    MS_TRY(stat_input(path, "FASTA"));
    FastaStream s;
    s.path_ = path;
    s.impl_ = std::make_unique<Impl>();
    Impl& m = *s.impl_;
    m.path = path;
    m.fp.reset(bgzf_open(path.c_str(), "r"));
    if (!m.fp) return make_error("cannot open FASTA '", path, "': ", std::strerror(errno ? errno : EIO));
    MS_TRY(check_bgzip_end(m.fp.get(), path));
    const int c = bgzf_compression(m.fp.get());
    m.compression = c == 2 ? Compression::bgzip : c == 1 ? Compression::gzip : Compression::none;
    // 256 blocks queued per thread: htslib's own default in samtools.
    if (threads > 0 && m.compression == Compression::bgzip && bgzf_mt(m.fp.get(), threads, 256) != 0)
        return make_error("cannot start ", threads, " decompression threads for '", path, "'");
    return s;
}

Result<bool> FastaStream::next_record() {
    Impl& m = *impl_;
    if (m.have_record && !m.record_done) {
        std::string skipped;
        while (true) {
            auto more_r = read(skipped, kBufferBytes);
            if (!more_r) return more_r.error();
            const bool more = std::move(*more_r);
            if (!more) break;
        }
    }
    while (true) {
        auto more_r = m.fill();
        if (!more_r) return more_r.error();
        const bool more = std::move(*more_r);
        if (!more) {
            if (m.any_record) return false;
            if (m.line_no == 0) return make_error("FASTA '", path_, "' is empty; expected records starting with a '>' header line");
            return make_error("FASTA '", path_, "' holds only blank lines; expected records starting with a '>' header line");
        }
        const char c = m.buf[m.pos];
        if (c == '>') break;
        // Only blank lines can come before the first header (read() consumes a record's lines).
        const char* p = m.buf.data() + m.pos;
        const size_t avail = m.len - m.pos;
        if (c == '\n' || (c == '\r' && avail > 1 && p[1] == '\n')) {
            ++m.line_no;
            m.pos += c == '\n' ? 1 : 2;
            continue;
        }
        return make_error("FASTA '", path_, "' line ", m.line_no + 1, ": expected a '>' header line, found \"",
                          printable(p, avail), "\" (is this a FASTA file?)");
    }
    ++m.line_no;
    m.header_line = m.line_no;
    ++m.pos;   // the '>'
    std::string header;
    while (true) {
        auto more_r = m.fill();
        if (!more_r) return more_r.error();
        const bool more = std::move(*more_r);
        if (!more) break;
        const char* p = m.buf.data() + m.pos;
        const size_t avail = m.len - m.pos;
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', avail));
        const size_t n = nl ? size_t(nl - p) : avail;
        header.append(p, n);
        m.pos += n + (nl ? 1 : 0);
        if (header.size() > kMaxHeaderBytes)
            return make_error("FASTA '", path_, "' line ", m.line_no, ": the '>' header line is longer than ",
                              kMaxHeaderBytes >> 20, " MiB; expected a record name (is this FASTA with its line ends?)");
        if (nl) break;
    }
    if (!header.empty() && header.back() == '\r') header.pop_back();
    // A carriage return inside the header line: the file ends its lines with CR alone (classic Mac
    // OS), so its whole text reads as this one line.
    if (const size_t cr = header.find('\r'); cr != std::string::npos && cr + 1 < header.size())
        return make_error("FASTA '", path_, "' line ", m.line_no, ": a carriage return (\\r) inside the '>' header ",
                          "line; the file ends its lines with CR alone (classic Mac OS), which FASTA readers do not ",
                          "take: convert it, e.g. with `tr '\\r' '\\n' < IN > OUT`");
    const size_t cut = header.find_first_of(" \t");
    m.name = header.substr(0, cut);
    m.description.clear();
    if (cut != std::string::npos) {
        const size_t rest = header.find_first_not_of(" \t", cut);
        if (rest != std::string::npos) m.description = header.substr(rest);
    }
    if (m.name.empty())
        return make_error("FASTA '", path_, "' line ", m.line_no, ": the '>' header has no record name");
    if (auto [it, inserted] = m.seen_names.emplace(m.name, m.line_no); !inserted)
        return make_error("FASTA '", path_, "' line ", m.line_no, ": record name '", m.name,
                          "' was already used at line ", it->second, "; record names must be unique");
    m.have_record = m.any_record = true;
    m.record_done = false;
    m.at_line_start = true;
    m.width = -1;
    m.line_crlf = m.prev_crlf = m.line_pad = m.prev_pad = -1;
    m.cur_len = m.short_line = m.short_len = 0;
    return true;
}

Result<bool> FastaStream::read(std::string& out, size_t max_bases) {
    Impl& m = *impl_;
    out.clear();
    if (!m.have_record || m.record_done) return false;
    while (out.size() < max_bases) {
        auto more_r = m.fill();
        if (!more_r) return more_r.error();
        const bool more = std::move(*more_r);
        if (m.at_line_start) {
            if (!more || m.buf[m.pos] == '>') {
                m.record_done = true;
                break;
            }
            ++m.line_no;
            m.at_line_start = false;
            m.cur_len = m.cur_pad = 0;
            m.pending_cr = false;
        }
        if (!more) {   // the last line has no line end
            MS_TRY(m.end_line(false));
            m.record_done = true;
            break;
        }
        const char* p = m.buf.data() + m.pos;
        const size_t avail = m.len - m.pos;
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', avail));
        const size_t seg = nl ? size_t(nl - p) : avail;
        const size_t take = std::min(seg, max_bases - out.size());
        // The common case is a run of valid bases: find where it stops, then append it whole.
        size_t i = 0;
        while (i < take) {
            const size_t start = i;
            while (i < take && kValid[static_cast<unsigned char>(p[i])]) ++i;
            if (i > start) {
                if (m.pending_cr)
                    return make_error(m.where(), "a carriage return (\\r) inside the line; expected it only before the line end");
                if (m.cur_pad > 0)
                    return make_error(m.where(), "a space or tab before the base in column ", m.cur_len + m.cur_pad + 1,
                                      "; faidx (htslib) would index this file but then read wrong bases from it at ",
                                      "random positions, so blanks may only follow a line's bases: remove them, e.g. ",
                                      "with `sed -i '/^>/!s/[[:blank:]]//g' FILE`");
                out.append(p + start, i - start);
                m.cur_len += int64_t(i - start);
            }
            if (i == take) break;
            if (p[i] == '\r' && !m.pending_cr) {
                m.pending_cr = true;   // accepted only when the line end follows (CRLF)
                ++i;
                continue;
            }
            if ((p[i] == ' ' || p[i] == '\t') && !m.pending_cr) {
                ++m.cur_pad;  // accepted only after the line's bases (checked at the next base)
                ++i;
                continue;
            }
            return make_error(m.where(), "unexpected byte '", printable(p + i, 1), "' in column ", m.cur_len + 1,
                              "; expected bases (letters, '*' or '-')");
        }
        m.pos += take;
        if (nl && take == seg) {
            ++m.pos;   // the '\n'
            MS_TRY(m.end_line());
        }
    }
    return !out.empty();
}

}  // namespace ms

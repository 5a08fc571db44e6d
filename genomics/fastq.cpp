// Line by line through bgzf_getline: FASTQ lines are short (a read), and BGZF reads plain, gzip
// and bgzip alike.
#include "genomics/fastq.h"
#include "genomics/file_kind.h"
#include "genomics/text_lines.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include "genomics/hts_handles.h"

namespace ms {

struct FastqReader::Impl {
    hts::Bgzf fp;
    hts::KString line;
    Compression compression = Compression::none;
    int64_t line_no = 0, records = 0;

    // Reads the next line into `line` (without its CR LF): false at the end of the file.
    Result<bool> getline(const std::string& path) {
        const int n = bgzf_getline(fp.get(), '\n', &line.s);
        if (n == -1 && !fp->errcode) return false;
        if (n < -1 || fp->errcode)
            return make_error("cannot read FASTQ '", path, "' ", after_line(line_no),
                              ": the file is truncated or its compression is corrupt");
        ++line_no;
        if (line.s.l > 0 && line.s.s[line.s.l - 1] == '\r') line.s.s[--line.s.l] = '\0';
        return true;
    }
    std::string_view text() const { return {line.s.s ? line.s.s : "", line.s.l}; }
};

FastqReader::~FastqReader() = default;
FastqReader::FastqReader(FastqReader&&) noexcept = default;
FastqReader& FastqReader::operator=(FastqReader&&) noexcept = default;

Compression FastqReader::compression() const { return impl_->compression; }
int64_t FastqReader::records_read() const { return impl_->records; }

Result<FastqReader> FastqReader::open(const std::string& path, int threads) {
    MS_TRY(stat_input(path, "FASTQ"));
    FastqReader r;
    r.path_ = path;
    r.impl_ = std::make_unique<Impl>();
    r.impl_->fp.reset(bgzf_open(path.c_str(), "r"));
    if (!r.impl_->fp) return make_error("cannot open FASTQ '", path, "': ", std::strerror(errno ? errno : EIO));
    const int c = bgzf_compression(r.impl_->fp.get());
    r.impl_->compression = c == 2 ? Compression::bgzip : c == 1 ? Compression::gzip : Compression::none;
    if (threads > 0 && c == 2 && bgzf_mt(r.impl_->fp.get(), threads, 256) != 0)
        return make_error("cannot start ", threads, " decompression threads for '", path, "'");
    return r;
}

Result<bool> FastqReader::next(FastqRecord& out) {
    Impl& m = *impl_;
    const int64_t record = m.records + 1;
    auto where = [&] { return cat("FASTQ '", path_, "' record ", record, " (line ", m.line_no, "): "); };
    // Blank lines between records (and at the end) are tolerated, as kseq does.
    while (true) {
        auto got = m.getline(path_);
        if (!got) return got.error();
        // An empty file is a FASTQ of no reads, as samtools and seqkit read it (demultiplexers
        // write one for a barcode without reads; a pipeline must not stop there).
        if (!*got) return false;
        if (m.line.s.l > 0) break;
    }
    const std::string_view header = m.text();
    if (header.front() != '@') {
        std::string shown(header.substr(0, 40));
        for (char& ch : shown)
            if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) ch = '?';
        return make_error(where(), "expected an '@' header line, found \"", shown, "\"",
                          m.records == 0 ? " (is this a FASTQ file?)" : " (is the previous record's quality too long?)");
    }
    const size_t cut = header.find_first_of(" \t");
    out.name = std::string(header.substr(1, cut == std::string_view::npos ? std::string_view::npos : cut - 1));
    out.description = cut == std::string_view::npos ? "" : std::string(header.substr(cut + 1));
    if (out.name.empty()) return make_error(where(), "the '@' header has no read name");
    out.sequence.clear();
    out.qualities.clear();
    while (true) {
        auto got = m.getline(path_);
        if (!got) return got.error();
        if (!*got) return make_error(where(), "the file ends inside the record; expected a '+' line and qualities");
        const std::string_view l = m.text();
        if (!l.empty() && l.front() == '+') break;
        for (size_t i = 0; i < l.size(); ++i)
            if (!std::isalpha(static_cast<unsigned char>(l[i])) && l[i] != '*' && l[i] != '-' && l[i] != '.')
                return make_error(where(), "unexpected character in the bases at column ", i + 1,
                                  "; expected letters (was the '+' separator line lost?)");
        out.sequence.append(l);
    }
    // The first quality line after the first that starts with '@', and the values before it: when
    // a quality line is short, the next record's header is read as more qualities ('@' is one).
    size_t before_at = 0;
    int64_t at_line = 0;
    std::string at_text;
    while (out.qualities.size() < out.sequence.size()) {
        auto got = m.getline(path_);
        if (!got) return got.error();
        if (!*got)
            return make_error(where(), "the file ends after ", out.qualities.size(), " of ", out.sequence.size(),
                              " quality values; expected one per base (is the file truncated?)");
        const std::string_view l = m.text();
        for (size_t i = 0; i < l.size(); ++i)
            if (l[i] < '!' || l[i] > '~')
                return make_error(where(), "quality column ", out.qualities.size() + i + 1,
                                  " is not a Phred+33 character ('!' to '~')");
        if (at_line == 0 && !out.qualities.empty() && l.starts_with("@")) {
            before_at = out.qualities.size();
            at_line = m.line_no;
            at_text.assign(l.substr(0, 40));
        }
        out.qualities.append(l);
    }
    if (out.qualities.size() != out.sequence.size() && at_line > 0)
        return make_error(where(), "only ", before_at, " quality values for ", out.sequence.size(),
                          " bases before line ", at_line, ", \"", at_text,
                          "\", which looks like the next record's header; expected one quality value per base ",
                          "(is the quality line short?)");
    if (out.qualities.size() != out.sequence.size())
        return make_error(where(), out.qualities.size(), " quality values for ", out.sequence.size(),
                          " bases; expected one per base");
    ++m.records;
    return true;
}

}  // namespace ms

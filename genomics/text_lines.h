// Lines of a text file (plain, gzip or bgzip, through htslib's BGZF reader) with a length limit:
// htslib's bgzf_getline reads a line whole, so a file without line ends (or a binary file) would be
// read into memory before any check could refuse it. Here a line is refused as soon as it passes
// the limit, having buffered at most the limit plus one read.
#pragma once

#include <htslib/bgzf.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ms {

// The longest line the BED and GFF3 readers take: far beyond any real record (a BED12 gene with
// thousands of exons, a GFF3 line with a protein translation are tens of kB), and the same bound
// as a FASTA header line.
inline constexpr size_t kMaxTextLineBytes = size_t(1) << 20;

// Where a read failed, for messages: "after line N", or "at its start" before any line (it said
// "after line 0").
inline std::string after_line(int64_t line_no) {
    return line_no == 0 ? std::string("at its start") : "after line " + std::to_string(line_no);
}

class TextLines {
public:
    // `fp` stays owned by the caller and must outlive this reader.
    explicit TextLines(BGZF* fp, size_t max_line_bytes = kMaxTextLineBytes);

    enum class Status { line, end, too_long, read_error };
    // The next line without its '\n' (a '\r' before it stays: CRLF files). `line` is valid until
    // the next call. A last line without '\n' is a line; too_long and read_error end the reading.
    Status next(std::string_view& line);

    size_t max_line_bytes() const { return max_; }

private:
    BGZF* fp_;
    size_t max_;
    std::vector<char> buf_;
    size_t pos_ = 0, len_ = 0;
    std::string pending_;   // a line that spans reads
    bool eof_ = false;
};

}  // namespace ms

// FASTA read from start to end (plain, gzip or bgzip), record after record, in pieces of a size
// the caller chooses: the path for whole-genome passes (info, scoring a chromosome, the
// tokenizer benchmark) and the only way to read a plain gzip file, which has no random access.
// It checks the layout as faidx would need it and says where it breaks: a '>' header first,
// lines of a record all of one length except the last, no blank line inside a record, bases
// made of letters ('*' and '-' allowed), CRLF line ends accepted, record names unique.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/error.h"

namespace ms {

enum class Compression { none, gzip, bgzip };
const char* to_string(Compression c);

// The compression of `path` by its first bytes (not its name). Fails when it cannot be opened.
Result<Compression> detect_compression(const std::string& path);

class FastaStream {
public:
    // `threads` > 0 decompresses bgzip blocks on that many extra threads (no effect on plain or
    // gzip files, which cannot be decompressed in parallel).
    static Result<FastaStream> open(const std::string& path, int threads = 0);
    ~FastaStream();
    FastaStream(FastaStream&&) noexcept;
    FastaStream& operator=(FastaStream&&) noexcept;

    const std::string& path() const { return path_; }
    Compression compression() const;

    // Moves to the next record, skipping what is left of the current one: true when there is
    // one, false at the end of the file. A file without any record is an error ("empty", or the
    // line that should have been a '>' header).
    Result<bool> next_record();
    const std::string& name() const;          // the header up to the first space or tab
    const std::string& description() const;   // the rest of the header line
    int64_t header_line() const;              // 1-based line of the current record's header

    // Replaces `out` with up to `max_bases` further bases of the current record (as written:
    // soft-masking kept, line ends dropped). False when the record has no bases left (`out` is
    // then empty); the record's length is known from then on.
    Result<bool> read(std::string& out, size_t max_bases);

private:
    FastaStream() = default;
    struct Impl;
    std::string path_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ms

// What every text export shares: an output that is a plain file or bgzip (with a tabix index on
// request), written atomically either way, with lines gathered into large writes; numbers written
// as the shortest text that reads back to the same float; table fields quoted for CSV.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/atomic_file.h"
#include "common/error.h"
#include "genomics/bgzip_index.h"

namespace ms {

class TextOutput {
public:
    // bgzip: BGZF-compressed (then commit() may index it); else a plain file.
    static Result<TextOutput> create(const std::string& path, bool bgzip);
    TextOutput(TextOutput&&) noexcept;
    ~TextOutput();  // an output never committed leaves nothing behind

    // Appends text; written out in blocks of about 1 MiB.
    Result<void> put(std::string_view text);
    // Writes the rest and moves the file into place (indexed with `index` when bgzip).
    Result<void> commit(TabixPreset index = TabixPreset::none, bool csi = false);
    const std::string& path() const { return path_; }

private:
    TextOutput(std::string path, std::optional<AtomicFile> plain, std::optional<BgzipWriter> gz);
    Result<void> drain();
    std::string path_, buffer_;
    std::optional<AtomicFile> plain_;
    std::optional<BgzipWriter> gz_;
};

// The shortest decimal text that reads back as the same float (or double); "NA" for NaN, as R and
// pandas read a missing value.
std::string format_number(float v);
std::string format_number(double v);

enum class TableSyntax { tsv, csv };
// A field for a table: CSV quotes fields holding a comma, quote or line break (RFC 4180); TSV has
// no quoting, so a tab or line break inside a field is refused, naming `what`.
Result<std::string> table_field(std::string_view text, TableSyntax syntax, std::string_view what);

}  // namespace ms

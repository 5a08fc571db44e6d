// BED region lists: the intervals a run is restricted to (`score --bed FILE`), read from plain,
// gzip or bgzip BED3+ (0-based half-open, as BED always is). Column 4, when present, is a name;
// column 6 a strand.
// Comment, `track` and `browser` lines and blank lines are skipped; every other line must be a
// region, and an error names the file and line and what was expected there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "genomics/locus.h"

namespace ms {

struct BedRegion {
    Region region;
    std::string name;   // column 4; empty for BED3
    char strand = '.';  // column 6 when it is '+' or '-'; '.' otherwise
    int64_t line = 0;   // 1-based line number in the file, for messages further on
};

// Reads every region of `path` in file order. With a non-empty `contigs`, each contig must be in
// it and each end within the contig's length. Zero-length regions (begin == end, insertion
// points in BED) are kept.
// A BED line's fields: tab-separated, or, for a line without a tab, split on runs of spaces (UCSC
// reads whitespace-separated files too). Shared by `score --bed` and the annotations reader.
std::vector<std::string_view> split_bed_fields(std::string_view line);
// A line that holds no region: blank, a '#' comment, or UCSC's `track` and `browser` lines.
bool bed_header_line(std::string_view line);

Result<std::vector<BedRegion>> read_bed(const std::string& path, const ContigList& contigs = {});

}  // namespace ms

// bigWig files through libBigWig: a header with the chromosome sizes, bedGraph-like intervals
// (0-based half-open, one float each) added chromosome by chromosome, and zoom levels (summaries
// that genome browsers read when zoomed out) that libBigWig computes when the file is closed.
// Positions without an interval are gaps, as genome browsers expect for missing values.
//
// The file is written under a temporary name beside the target and renamed into place only once
// it is complete and reads back as a bigWig: a failure never leaves a half-written file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"

namespace ms {

struct BigWigChrom {
    std::string name;
    int64_t length = 0;
};

class BigWigWriter {
public:
    // Chromosomes are kept sorted by name (byte order), the order bedGraphToBigWig writes and the
    // order intervals must be added in (chroms()). max_zooms: at most that many zoom levels
    // (libBigWig stops earlier when a level would not shrink the data).
    static Result<BigWigWriter> create(const std::string& path, std::vector<BigWigChrom> chroms, int max_zooms = 10);
    BigWigWriter(BigWigWriter&&) noexcept;
    BigWigWriter& operator=(BigWigWriter&&) noexcept;
    ~BigWigWriter();  // removes the temporary file unless commit() succeeded

    const std::vector<BigWigChrom>& chroms() const;
    // Adds [begin, end) = value on chromosome chroms()[chrom]. Chromosomes in the order of chroms(),
    // intervals of one chromosome in order and not overlapping; value is never NaN (a NaN is a gap:
    // leave it out). Intervals are buffered and handed to libBigWig in blocks.
    Result<void> add(size_t chrom, int64_t begin, int64_t end, float value);
    int64_t intervals() const;
    // Writes the zoom levels and index, checks the file opens as a bigWig, renames it into place.
    Result<void> commit();

private:
    BigWigWriter();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ms

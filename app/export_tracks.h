// Exports of one track of a run: bigWig (libBigWig, zoom levels), bedGraph (one line a base, or
// equal neighbours merged; bgzip + tabix on request) and BED regions called from the track with a
// threshold and hysteresis. Positions with no value (NaN: never written, a base without context,
// an N) are gaps in every format. Coordinates are 0-based half-open.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "app/export_source.h"
#include "common/error.h"

namespace ms {

// Called regions: a region opens where the value reaches `enter` and stays open until it passes
// `exit` (or a gap); with `above`, open at value >= enter and close at value < exit (exit <= enter);
// with below, open at value <= enter and close at value > exit (exit >= enter).
struct RegionCalls {
    bool above = true;
    double enter = 0, exit = 0;
    int64_t min_length = 1;  // shorter regions are dropped
    std::string name;        // names are NAME1, NAME2 ... (default: the track's name and '_')
};

struct TrackExport {
    enum class Format { bigwig, bedgraph, bed };
    std::string track;
    Format format = Format::bigwig;
    bool merge = false;  // bedGraph: one line per run of equal values
    bool bgzip = false;  // bedGraph/BED: BGZF + tabix index
    RegionCalls calls;   // BED
};

// Returns what was written ("1,234 intervals"), or an error naming the database, run and track.
Result<std::string> export_track(const ExportSource& src, const TrackExport& opts, const std::string& out);

}  // namespace ms

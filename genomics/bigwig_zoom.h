// The zoom levels of a finished bigWig, written again from its data. libBigWig 0.4.7 (Debian 12's)
// leaves the sum and the sum of squares of one record at the end of every block of 1,024 zoom
// records at 0 (count, minimum and maximum right), so a browser zoomed out showed a mean of 0 in
// about one bin in a thousand and over the end of the last chromosome (found in review). The
// levels libBigWig chose (their reductions) are kept; their records, blocks and R-tree indexes
// replace its own, from the zoom section's start to the file's end.
#pragma once

#include <string>

#include "common/error.h"

namespace ms {

// Rewrites the zoom levels of the bigWig at `path` (a file no one else has open). `shown` names
// the file in errors (the final name of a temporary).
Result<void> rewrite_bigwig_zoom_levels(const std::string& path, const std::string& shown);

}  // namespace ms

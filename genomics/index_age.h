// An index older than the file it indexes: the file may have been rewritten after it was indexed,
// and then the index describes an earlier version and a region query reads the wrong records or
// none, without an error (`info --region` counted 0 reads of a contig the BAM holds). MambaScope
// loads indexes with htslib's own warnings off, to give its own messages, so it warns here (ms::warn)
// as samtools does, rather than refuse: a copy without `cp -p` that wrote the index first makes the
// same dates with a current index. The index is the one htslib loads (index_check.h's find_index).
#pragma once

#include <string>

namespace ms {

// `index`: the index of the file at `path` (empty: none); `remake`: the command that rebuilds it,
// for the warning.
void warn_of_index_age(const std::string& path, const std::string& index, const std::string& remake);

}  // namespace ms

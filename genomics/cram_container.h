// Whether a CRAM container starts at a byte of a CRAM file: what a query checks before htslib reads
// the container a .crai sent it to.
//
// Why: htslib 1.16 trusts the container header it finds at an index's offset. A .crai made for
// another version of the file (left beside a CRAM written again), or damaged, sends it into the
// middle of a container, and the bytes there, read as a header, asked for 7 GB
// (tests/fuzz/fuzz_index). The header of a CRAM 3 container carries a CRC32 of itself, so a real
// one is told from other bytes; CRAM 2.1 headers have none and are held to their structure only.
#pragma once

#include <cstdint>
#include <string>

namespace ms {

// Empty when a container header of CRAM `major_version` parses at `offset` of the file at `path`
// (`file_bytes` long), its blocks end inside the file and (CRAM 3 and later) its CRC32 matches;
// otherwise what is wrong, to follow "… sends the query to byte N, where ". Versions it cannot read
// (before 2, after 3) pass unchecked.
std::string cram_container_problem(const std::string& path, uint64_t offset, uint64_t file_bytes, int major_version);

}  // namespace ms

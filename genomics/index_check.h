// The index beside a file, found as htslib finds it, and checked before htslib loads it.
//
// Why the check: htslib 1.16 (Debian 12) frees uninitialised pointers when an index ends inside a
// record or holds a count larger than what follows it. A 40-byte .bai and a .csi cut in its first
// bin both crashed the program instead of failing the load (tests/fuzz/fuzz_index found the latter).
// Walking the counts to the end of the file first costs one read of the index, which htslib reads
// in full anyway.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

namespace ms {

// The index htslib loads for `path`: the first of FILE + suffix, then FILE's name with its
// extension replaced by the suffix, for each of `suffixes` in order (".csi" first: htslib's order);
// empty when none exists.
std::string find_index(const std::string& path, std::initializer_list<const char*> suffixes);

// Whether the index at `path` is a BAM index (.bai), a coordinate-sorted index (.csi) or a tabix
// index (.tbi) whose counts account for every byte of it, ending where the format ends (an optional
// count of unplaced records last); and whether every file offset in it lies inside the `data_bytes`
// of the file it indexes (else it was made for another, longer file). BGZF-compressed kinds are
// decompressed first. A .crai (gzip-compressed text) is taken as it is, for htslib to judge; any
// other file that is none of the three kinds is damaged.
enum class IndexState { whole, damaged, not_this_files };
IndexState check_index(const std::string& path, uint64_t data_bytes);

// What is wrong with `index` as the index of the file at `data_path`, to follow "its index 'X' " in
// a message ("is damaged (…)", "is not this file's (…)"); empty when nothing is.
std::string index_problem(const std::string& index, const std::string& data_path);

}  // namespace ms

// The index beside a file, found as htslib finds it, and checked before htslib loads it.
//
// Why the check: htslib 1.16 (Debian 12) frees uninitialised pointers when an index ends inside a
// record or holds a count larger than what follows it. A 40-byte .bai and a .csi cut in its first
// bin both crashed the program instead of failing the load (tests/fuzz/fuzz_index found the latter),
// and a .crai line with a huge reference id made it allocate 26 GB (found the same way).
// Walking the counts first costs one more read of the index (held in memory while it is walked, as
// htslib holds what it loads).
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
// index (.tbi) whose counts account for the bytes that follow them (what comes after its last
// reference htslib ignores), with bins inside its depth; and whether every file offset in it lies
// inside the `data_bytes` of the file it indexes (else the file is shorter than the one it was made
// for). BGZF-compressed kinds are decompressed first. A CRAM index (.crai, gzip-compressed text) must
// be lines of six integers within their fields' ranges, its reference ids below `references` (the
// CRAM header's count; kCraiReferencesUnknown where the caller has none) and its containers inside
// the file. Any other file that is none of these kinds is damaged, and one this user cannot open
// is unreadable (`error`: its errno).
enum class IndexState { whole, damaged, unreadable, not_this_files };
// A bound on a .crai's reference ids without the CRAM's header: htslib allocates (and clears) ~48
// bytes for each id up to the largest, so this caps what a damaged index makes it take at ~200 MB.
constexpr int64_t kCraiReferencesUnknown = int64_t(1) << 22;
IndexState check_index(const std::string& path, uint64_t data_bytes, int* error = nullptr, int64_t references = -1);

// The commands that remake an index: of a .csi (found before a .bai or .tbi, so it must be made
// again as a .csi), and of the other kind.
struct IndexRemake {
    std::string csi, other;
    // The one that remakes `index`, by its suffix.
    const std::string& for_index(const std::string& index) const;
};

// What is wrong with `index` as the index of the file at `data_path`, to follow "its index 'X' " in
// a message with what to do ("is damaged (…); remake it with `…`, or remove it", "cannot be read
// (…)", "points past the end of …"); empty when nothing is. `only_damage`: only what would crash
// htslib (not an unreadable index, which htslib passes over, nor one made for a longer file).
std::string index_problem(const std::string& index, const std::string& data_path, const IndexRemake& remake,
                          bool only_damage = false, int64_t references = -1);

// The index beside `data_path` (find_index; an empty path when there is none) and what is wrong with
// it (index_problem). Unless `only_damage`, also a warning when it is older than the file
// (index_age.h, with `remake.other`): what a reader does before a query loads an index.
struct IndexBeside {
    std::string path, problem;
};
IndexBeside inspect_index(const std::string& data_path, std::initializer_list<const char*> suffixes,
                          const IndexRemake& remake, bool only_damage = false, int64_t references = -1);

}  // namespace ms

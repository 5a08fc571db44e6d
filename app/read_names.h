// Occurrences of read names in a reads file, so that a read named like an earlier one is stored as
// NAME#2, NAME#3, … instead of over it (files concatenated from several runs, merged BAMs). Every
// name of a file is remembered as a 64-bit hash in an open-addressing table (8 bytes a slot at
// most half full: ~1.6 GB for 100 M reads, where a set of the names would take several times
// that); only names seen more than once are kept whole. Two different names with one hash — about
// one chance in 10^6 at 10^7 reads — make the later one NAME#2, which renames it but loses nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ms {

class ReadNames {
public:
    // 1 for a name's first read, 2 for its second, …
    int occurrence(std::string_view name);

private:
    bool insert_hash(uint64_t h);  // false when it was there already
    std::vector<uint64_t> slots_;  // 0: empty (a hash of 0 is stored as 1)
    size_t used_ = 0;
    std::unordered_map<std::string, int> repeated_;
};

}  // namespace ms

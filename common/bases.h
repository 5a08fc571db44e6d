// Complements of DNA bases, for reverse strands: A↔T, C↔G and the IUPAC ambiguity codes with them
// (R↔Y, K↔M, B↔V, D↔H; S, W and N are their own), case kept; any other byte stays as it is. One
// table for the engine's reverse strand, the reads of the minus strand and score's reverse blocks
// (three copies had drifted: one left the ambiguity codes as they were).
#pragma once

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

namespace ms {

namespace detail {
constexpr std::array<char, 256> make_complement() {
    std::array<char, 256> t{};
    for (int i = 0; i < 256; ++i) t[size_t(i)] = char(i);
    const char* from = "ACGTRYKMBVDHNSWacgtrykmbvdhnsw";
    const char* to = "TGCAYRMKVBHDNSWtgcayrmkvbhdnsw";
    for (int i = 0; from[i]; ++i) t[static_cast<unsigned char>(from[i])] = to[i];
    return t;
}
inline constexpr std::array<char, 256> kComplement = make_complement();
}  // namespace detail

constexpr char complement(char base) { return detail::kComplement[static_cast<unsigned char>(base)]; }

inline void complement_in_place(std::string& bases) {
    for (char& c : bases) c = complement(c);
}

inline void reverse_complement(std::string& bases) {
    std::reverse(bases.begin(), bases.end());
    complement_in_place(bases);
}

inline std::string reverse_complement(std::string_view bases) {
    std::string rc(bases.rbegin(), bases.rend());
    complement_in_place(rc);
    return rc;
}

}  // namespace ms

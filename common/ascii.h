// ASCII case folding for names the user types or files carry (extensions, contig and feature
// names, MD5 digests). Locale-free on purpose: a Turkish or other locale must not change how
// `chrI` or `.VCF.GZ` compare. Eight copies of these loops had grown across the layers.
#pragma once

#include <string>
#include <string_view>

namespace ms {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

constexpr bool same_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

}  // namespace ms

// ASCII case folding for names the user types or files carry (extensions, contig and feature
// names, MD5 digests, bases, alleles). Locale-free on purpose: the GUI runs in the user's locale
// (Qt sets it), and a Turkish or Latin-1 locale must not change how `chrI`, `.VCF.GZ` or a base
// compare; std::toupper of a plain char past 127 is also undefined. Copies of these loops had
// grown across the layers.
#pragma once

#include <string>
#include <string_view>

namespace ms {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }
constexpr char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? char(c - 'a' + 'A') : c; }
constexpr bool ascii_alnum(char c) {
    return (c >= '0' && c <= '9') || (ascii_lower(c) >= 'a' && ascii_lower(c) <= 'z');
}
static_assert(ascii_upper('i') == 'I' && ascii_upper('I') == 'I' && ascii_upper('\xfd') == '\xfd' &&
                  ascii_lower('Z') == 'z' && ascii_alnum('7') && ascii_alnum('q') && !ascii_alnum('_') &&
                  !ascii_alnum('\xe9'),
              "ASCII letters and digits only: bytes past 127 are left as they are, in any locale");

inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

inline std::string ascii_upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_upper(c);
    return out;
}

constexpr bool same_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

}  // namespace ms

// A whole string of decimal digits as an int, or nothing: for the numbers inside options like
// `--shard I/N`, `--shape 256x16` and `--device cuda:N`, and a .npy header's dimensions (int64). sscanf's %d and atoi
// wrapped 4294967297 to 1 (undefined behaviour besides), so `--shard 4294967297/4294967298` ran shard 1 of 2 under
// another name.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

namespace ms {

// Digits only (no sign, blank or suffix), and within Int.
template <typename Int = int>
std::optional<Int> parse_count(std::string_view s) {
    Int v = 0;
    if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// "AxB" (sep 'x') or "A/B" (sep '/') as two counts.
inline std::optional<std::pair<int, int>> parse_count_pair(std::string_view s, char sep) {
    const size_t at = s.find(sep);
    if (at == std::string_view::npos) return std::nullopt;
    const auto a = parse_count(s.substr(0, at)), b = parse_count(s.substr(at + 1));
    if (!a || !b) return std::nullopt;
    return std::pair{*a, *b};
}

}  // namespace ms

#include "app/score_segments.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

namespace ms {

size_t merge_overlapping_targets(std::vector<Region>& targets) {
    // A sweep over the targets sorted by contig and start (a BED of exons holds 10^5 of them): each
    // run of overlapping or touching targets becomes their union, kept at the place of the run's first target
    // in the input; the others keep their order.
    std::vector<size_t> order(targets.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return std::tie(targets[a].contig, targets[a].begin) < std::tie(targets[b].contig, targets[b].begin);
    });
    std::vector<bool> absorbed(targets.size(), false);
    size_t n_absorbed = 0;
    for (size_t k = 0; k < order.size();) {
        size_t first = order[k];  // the run's target that comes first in the input
        const std::string& contig = targets[first].contig;
        int64_t begin = targets[first].begin, end = targets[first].end;
        size_t m = k + 1;
        for (; m < order.size() && targets[order[m]].contig == contig && targets[order[m]].begin <= end; ++m) {
            end = std::max(end, targets[order[m]].end);
            first = std::min(first, order[m]);
        }
        for (size_t r = k; r < m; ++r)
            if (order[r] != first) absorbed[order[r]] = true;
        n_absorbed += m - k - 1;
        targets[first].begin = begin;
        targets[first].end = end;
        k = m;
    }
    size_t out = 0;
    for (size_t i = 0; i < targets.size(); ++i)
        if (!absorbed[i]) targets[out++] = targets[i];
    targets.resize(out);
    return n_absorbed;
}

std::vector<ScorePart> cut_segments(const std::vector<Region>& targets, int64_t segment_length, int64_t warmup) {
    std::vector<ScorePart> parts;
    for (const Region& t : targets) {
        const int64_t L = t.length();
        if (segment_length <= 0 || L <= segment_length) {
            parts.push_back({t, t, 0, 0});
            continue;
        }
        // Near-equal pieces rather than full ones and a short tail: the parts balance better.
        const int64_t k = (L + segment_length - 1) / segment_length;
        for (int64_t j = 0; j < k; ++j) {
            Region r{t.contig, t.begin + L * j / k, t.begin + L * (j + 1) / k};
            parts.push_back({r, t, std::min(warmup, r.begin - t.begin), std::min(warmup, t.end - r.end)});
        }
    }
    return parts;
}

int64_t auto_segment_length(const std::vector<Region>& targets, int workers) {
    if (workers <= 1) return 0;
    int64_t total = 0;
    for (const Region& t : targets) total += t.length();
    return std::max<int64_t>(1, (total + workers - 1) / workers);
}

Result<int64_t> parse_segment_length(const std::string& text) {
    if (text.empty()) return int64_t(0);
    if (text == "auto") return int64_t(-1);
    size_t i = 0;
    int64_t v = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        if (v > (int64_t(1) << 50)) break;   // beyond any genome; stops the overflow
        v = v * 10 + (text[i++] - '0');
    }
    const size_t digits = i;
    int64_t scale = 1;
    if (i + 1 == text.size()) {
        switch (text[i]) {
            case 'k': case 'K': scale = 1000; ++i; break;
            case 'm': case 'M': scale = 1000000; ++i; break;
            case 'g': case 'G': scale = 1000000000; ++i; break;
            default: break;
        }
    }
    if (digits == 0 || i != text.size() || v > (int64_t(1) << 50))
        return make_error("--segment-length '", text, "': expected auto, 0 (no segments) or a length in bases such as 5000000 or 5M");
    return v * scale;
}

std::vector<bool> shard_members(const std::vector<int64_t>& lengths, int i, int n) {
    std::vector<size_t> order(lengths.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lengths[a] > lengths[b]; });
    std::vector<int64_t> load(size_t(n), 0);
    std::vector<bool> mine(lengths.size(), false);
    for (size_t k : order) {
        const size_t s = size_t(std::min_element(load.begin(), load.end()) - load.begin());
        load[s] += lengths[k];
        mine[k] = int(s) + 1 == i;
    }
    return mine;
}

std::vector<ScorePart> shard_parts(const std::vector<ScorePart>& parts, int i, int n) {
    // Units: all whole targets of a contig together, every segment alone.
    std::vector<size_t> unit_of(parts.size());
    std::vector<int64_t> lengths;
    std::map<std::string, size_t> whole_unit;
    for (size_t k = 0; k < parts.size(); ++k) {
        const ScorePart& p = parts[k];
        if (p.whole()) {
            auto [it, added] = whole_unit.emplace(p.region.contig, lengths.size());
            if (added) lengths.push_back(0);
            unit_of[k] = it->second;
        } else {
            unit_of[k] = lengths.size();
            lengths.push_back(0);
        }
        // A segment's warm-up is work too: it counts towards its shard's load.
        lengths[unit_of[k]] += p.region.length() + p.warmup_before;
    }
    const std::vector<bool> mine = shard_members(lengths, i, n);
    std::vector<ScorePart> out;
    for (size_t k = 0; k < parts.size(); ++k)
        if (mine[unit_of[k]]) out.push_back(parts[k]);
    return out;
}

}  // namespace ms

// Locus parsing: see locus.h for the accepted forms. The parser separates syntax (is this a range
// at all?) from checks against the contig list, so a name holding ':' can be told apart from
// NAME:RANGE by asking which reading names a real contig, as htslib's hts_parse_region does.
#include "genomics/locus.h"

#include <optional>

#include "common/ascii.h"

namespace ms {

ContigList::ContigList(std::vector<SequenceRecord> contigs, std::vector<std::string> without_bases)
    : contigs_(std::move(contigs)), without_bases_(std::move(without_bases)) {
    index_.reserve(contigs_.size());
    for (size_t i = 0; i < contigs_.size(); ++i) index_.emplace(contigs_[i].name, i);
}

const SequenceRecord* ContigList::find(std::string_view name) const {
    auto it = index_.find(std::string(name));
    return it == index_.end() ? nullptr : &contigs_[it->second];
}

namespace {

// The other spellings of a contig name references disagree on: UCSC's 'chr1'/'chrM' against
// Ensembl's and NCBI's '1'/'MT', and the case of the prefix.
std::vector<std::string> aliases(std::string_view name) {
    std::vector<std::string> out;
    const bool chr = name.size() > 3 && same_ignoring_case(name.substr(0, 3), "chr");
    const std::string_view bare = chr ? name.substr(3) : name;
    if (chr)
        out.emplace_back(bare);
    else
        out.push_back(cat("chr", name));
    if (same_ignoring_case(bare, "M")) out.emplace_back("MT");
    if (same_ignoring_case(bare, "MT")) out.emplace_back("chrM");
    return out;
}

}  // namespace

std::string ContigList::unknown(std::string_view name) const {
    for (const std::string& e : without_bases_)
        if (e == name)
            return cat("contig '", name, "' has no bases (its FASTA record is a header line without sequence)");
    // What the user most likely meant: the same contig under the reference's naming convention
    // ("chr1" against a reference that says "1" is the commonest mismatch in practice). Said as a
    // guess: UCSC's chrM and GRCh37's MT are not the same sequence, nor need a numbered contig be
    // the same chromosome of the same assembly.
    auto guess = [&](const std::string& c) {
        return cat("unknown contig '", name, "' (did you mean '", c, "', as this reference names its contigs? check ",
                   "that it is the same assembly)");
    };
    for (const SequenceRecord& c : contigs_)
        if (same_ignoring_case(c.name, name)) return guess(c.name);
    for (const std::string& a : aliases(name))
        for (const SequenceRecord& c : contigs_)
            if (same_ignoring_case(c.name, a)) return guess(c.name);
    if (contigs_.empty()) return cat("unknown contig '", name, "'");
    constexpr size_t kListed = 5;
    std::string listed;
    for (size_t i = 0; i < contigs_.size() && i < kListed; ++i) listed += cat(i ? ", " : "", contigs_[i].name);
    if (contigs_.size() > kListed) listed += ", …";
    return cat("unknown contig '", name, "' (the reference has ", contigs_.size(),
               contigs_.size() == 1 ? " contig: " : " contigs: ", listed, ")");
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

// A 1-based position as typed: digits with optional thousands separators. nullopt when it is not one.
std::optional<int64_t> parse_position(std::string_view s) {
    if (s.empty() || s.front() == ',' || s.back() == ',') return std::nullopt;
    int64_t v = 0;
    bool digit = false;
    for (char c : s) {
        if (c == ',') continue;
        if (c < '0' || c > '9') return std::nullopt;
        // Beyond 10^15 no genome has a base; stopping there keeps the arithmetic far from overflow.
        if (v > 1'000'000'000'000'000) return std::nullopt;
        v = v * 10 + (c - '0');
        digit = true;
    }
    if (!digit) return std::nullopt;
    return v;
}

// A range as typed after the ':' — START-END, POS or START- — still 1-based inclusive;
// end = -1 means "to the end of the contig".
struct TypedRange {
    int64_t start = 0, end = 0;
};

Result<TypedRange> parse_range(std::string_view locus, std::string_view range) {
    auto bad = [&](const char* what) {
        return make_error("locus '", locus, "': ", what, " (expected NAME, NAME:START-END or NAME:POS, ",
                          "with 1-based positions such as chr1:1,000-2,000)");
    };
    if (range.empty()) return bad("nothing follows the ':'");
    const size_t dash = range.find('-');
    if (dash == std::string_view::npos) {
        auto pos = parse_position(range);
        if (!pos) return bad("the position is not a whole number");
        return TypedRange{*pos, *pos};
    }
    const std::string_view a = range.substr(0, dash), b = range.substr(dash + 1);
    if (a.empty()) return bad("the start is missing or negative");
    auto start = parse_position(a);
    if (!start) return bad("the start is not a whole number");
    if (b.empty()) return TypedRange{*start, -1};
    auto end = parse_position(b);
    if (!end) return bad("the end is not a whole number");
    return TypedRange{*start, *end};
}

// Checks a typed range against the contig and converts it to 0-based half-open.
Result<Region> to_region(std::string_view locus, const SequenceRecord& contig, const TypedRange& r) {
    const int64_t end = r.end < 0 ? contig.length : r.end;
    if (r.start < 1)
        return make_error("locus '", locus, "': positions are 1-based, so the start must be at least 1 (got ", r.start, ")");
    if (end < r.start)
        return make_error("locus '", locus, "': the end (", end, ") is before the start (", r.start, ")");
    if (end > contig.length)
        return make_error("locus '", locus, "': ", (r.start > contig.length ? "the start" : "the end"), " (",
                          (r.start > contig.length ? r.start : end), ") is past the end of contig '", contig.name,
                          "', which has ", contig.length, " bases");
    return Region{contig.name, r.start - 1, end};
}

}  // namespace

Result<Region> parse_locus(std::string_view text, const ContigList& contigs) {
    const std::string_view locus = trim(text);
    if (locus.empty()) return make_error(kEmptyLocus);

    if (locus.front() == '{') {
        const size_t close = locus.find('}');
        if (close == std::string_view::npos) return make_error("locus '", locus, "': the '{' around the contig name is never closed");
        const std::string_view name = locus.substr(1, close - 1);
        const SequenceRecord* c = contigs.find(name);
        if (!c) return make_error("locus '", locus, "': ", contigs.unknown(name));
        const std::string_view rest = locus.substr(close + 1);
        if (rest.empty()) return Region{c->name, 0, c->length};
        if (rest.front() != ':') return make_error("locus '", locus, "': expected ':' or nothing after '{", name, "}'");
        auto r = parse_range(locus, rest.substr(1));
        if (!r) return r.error();
        return to_region(locus, *c, *r);
    }

    // Two readings of a text with ':' — the whole text as a name, or NAME:RANGE split at the last
    // ':' — each counts only where its name is a contig; both at once is ambiguous.
    const SequenceRecord* whole = contigs.find(locus);
    const size_t colon = locus.rfind(':');
    const SequenceRecord* prefix = colon == std::string_view::npos ? nullptr : contigs.find(locus.substr(0, colon));
    if (whole && prefix && parse_range(locus, locus.substr(colon + 1)))
        return make_error("locus '", locus, "' is ambiguous: it names contig '", whole->name, "' and a range of contig '",
                          prefix->name, "'; write {", whole->name, "} for the whole contig or {", prefix->name,
                          "}:RANGE for the range");
    if (whole) return Region{whole->name, 0, whole->length};
    if (prefix) {
        auto r = parse_range(locus, locus.substr(colon + 1));
        if (!r) return r.error();
        return to_region(locus, *prefix, *r);
    }
    // Where the text after the last ':' is no range, the ':' was probably part of a name.
    const bool range_after_colon = colon != std::string_view::npos && parse_range(locus, locus.substr(colon + 1)).ok();
    const std::string_view name = range_after_colon ? locus.substr(0, colon) : locus;
    return make_error("locus '", locus, "': ", contigs.unknown(name), contigs.empty() ? " (no contigs are loaded)" : "",
                      colon != std::string_view::npos && !range_after_colon
                          ? " (a name that holds ':' goes in braces: {NAME}:START-END)"
                          : "");
}

std::string format_locus(const Region& region) {
    auto with_commas = [](int64_t v) {
        std::string digits = std::to_string(v), out;
        for (size_t i = 0; i < digits.size(); ++i) {
            if (i && (digits.size() - i) % 3 == 0) out += ',';
            out += digits[i];
        }
        return out;
    };
    const std::string name = region.contig.find(':') != std::string::npos ? "{" + region.contig + "}" : region.contig;
    if (region.end >= kUnknownLength)
        return region.begin == 0 ? name : name + ":" + with_commas(region.begin + 1) + "-";
    return name + ":" + with_commas(region.begin + 1) + "-" + with_commas(region.end);
}

}  // namespace ms

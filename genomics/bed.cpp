// BED region lists through htslib's BGZF reader, which reads plain, gzip and bgzip text alike.
#include "genomics/bed.h"

#include <htslib/bgzf.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <string_view>
#include <sys/stat.h>

#include "genomics/text_lines.h"

namespace ms {

namespace {

struct BgzfCloser {
    void operator()(BGZF* f) const { bgzf_close(f); }
};
using BgzfPtr = std::unique_ptr<BGZF, BgzfCloser>;

bool parse_coordinate(std::string_view s, int64_t& v) {
    if (s.empty()) return false;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && ptr == s.data() + s.size();
}

bool starts_with_word(std::string_view line, std::string_view word) {
    return line.substr(0, word.size()) == word &&
           (line.size() == word.size() || line[word.size()] == ' ' || line[word.size()] == '\t');
}

}  // namespace

bool bed_header_line(std::string_view line) {
    return line.find_first_not_of(" \t") == std::string_view::npos || line.front() == '#' ||
           starts_with_word(line, "track") || starts_with_word(line, "browser");
}

std::vector<std::string_view> split_bed_fields(std::string_view line) {
    std::vector<std::string_view> out;
    if (line.find('\t') != std::string_view::npos) {
        size_t start = 0;
        while (true) {
            const size_t tab = line.find('\t', start);
            out.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
            if (tab == std::string_view::npos) break;
            start = tab + 1;
        }
        return out;
    }
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') ++i;
        const size_t start = i;
        while (i < line.size() && line[i] != ' ') ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

Result<std::vector<BedRegion>> read_bed(const std::string& path, const ContigList& contigs) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return make_error("cannot open BED '", path, "': ", std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return make_error("cannot read BED '", path, "': it is a folder, not a file");
    BgzfPtr f(bgzf_open(path.c_str(), "r"));
    if (!f) return make_error("cannot open BED '", path, "': ", std::strerror(errno ? errno : EIO));

    std::vector<BedRegion> out;
    TextLines lines(f.get());
    int64_t line_no = 0;
    std::string_view line;
    while (true) {
        const TextLines::Status got = lines.next(line);
        if (got == TextLines::Status::end) break;
        if (got == TextLines::Status::read_error)
            return make_error("cannot read BED '", path, "' ", after_line(line_no),
                              ": the file is truncated or its compression is corrupt");
        ++line_no;
        if (got == TextLines::Status::too_long)
            return make_error("BED '", path, "' line ", line_no, ": longer than ", lines.max_line_bytes() >> 20,
                              " MiB; expected a region per line (is this a BED text file with its line ends?)");
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);   // CRLF files
        // A UTF-8 byte order mark (files saved from spreadsheet programs) is not part of the name.
        if (line_no == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
        if (bed_header_line(line)) continue;
        if (line.find('\0') != std::string_view::npos)
            return make_error("BED '", path, "' line ", line_no, ": holds binary data (is this a BED text file?)");

        const std::vector<std::string_view> fields = split_bed_fields(line);
        auto where = [&] { return cat("BED '", path, "' line ", line_no, ": "); };
        if (fields.size() < 3)
            return make_error(where(), "has ", fields.size(), " column", fields.size() == 1 ? "" : "s",
                              "; expected at least 3 (contig, start, end) separated by tabs");
        BedRegion r;
        r.line = line_no;
        r.region.contig = std::string(fields[0]);
        if (r.region.contig.empty()) return make_error(where(), "the contig name (column 1) is empty");
        if (!parse_coordinate(fields[1], r.region.begin) || r.region.begin < 0)
            return make_error(where(), "start '", fields[1], "' is not a whole number >= 0 (BED is 0-based)");
        if (!parse_coordinate(fields[2], r.region.end) || r.region.end < 0)
            return make_error(where(), "end '", fields[2], "' is not a whole number >= 0");
        if (r.region.end < r.region.begin)
            return make_error(where(), "end ", r.region.end, " is before start ", r.region.begin);
        if (!contigs.empty()) {
            const SequenceRecord* c = contigs.find(r.region.contig);
            if (!c) return make_error(where(), contigs.unknown(r.region.contig));
            if (r.region.end > c->length)
                return make_error(where(), "end ", r.region.end, " is past the end of contig '", c->name, "', which has ",
                                  c->length, " bases");
        }
        if (fields.size() > 3) r.name = std::string(fields[3]);
        // Column 6 is the strand in BED6+; other BED-like files put anything there, so only '+'
        // and '-' are taken as strands.
        if (fields.size() > 5 && (fields[5] == "+" || fields[5] == "-")) r.strand = fields[5][0];
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace ms

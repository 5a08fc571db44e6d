#include "genomics/fasta.h"
#include "genomics/file_kind.h"

#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "genomics/hts_handles.h"

namespace ms {

namespace fs = std::filesystem;

struct FastaFile::Impl {
    hts::Fai fai;
};

FastaFile::~FastaFile() = default;
FastaFile::FastaFile(FastaFile&&) noexcept = default;
FastaFile& FastaFile::operator=(FastaFile&&) noexcept = default;

std::string user_cache_dir() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') return std::string(xdg) + "/mambascope";
    if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/mambascope";
    return "/tmp/mambascope-cache";   // no home (a service account): still somewhere writable
}

IndexPaths index_paths(const std::string& fasta, bool folder_writable) {
    IndexPaths p{fasta + ".fai", fasta + ".gzi", false};
    std::error_code ec;
    if (folder_writable || fs::exists(p.fai, ec)) return p;
    return cache_index_paths(fasta);
}

IndexPaths cache_index_paths(const std::string& fasta) {
    std::error_code ec;
    // The absolute path, hashed, keeps two genome.fa of different folders apart; the file name
    // stays readable for whoever looks into the cache.
    const std::string abs = fs::absolute(fasta, ec).lexically_normal().string();
    uint64_t h = 1469598103934665603ull;   // FNV-1a
    for (unsigned char c : abs) h = (h ^ c) * 1099511628211ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    const std::string base = cat(user_cache_dir(), "/fai/", hex, "-", fs::path(fasta).filename().string());
    return {base + ".fai", base + ".gzi", true};
}

namespace {

// Reads the whole file once through FastaStream, which names the record and line of anything
// faidx cannot index (htslib's own message names neither file nor line), and lists the records
// without bases, which the index leaves out.
Result<void> validate_layout(const std::string& path, std::vector<std::string>& empty_records) {
    auto s_r = FastaStream::open(path);
    if (!s_r) return s_r.error();
    FastaStream s = std::move(*s_r);
    std::string chunk, last;
    bool last_empty = false;
    while (true) {
        auto more_r = s.next_record();
        if (!more_r) return more_r.error();
        const bool more = std::move(*more_r);
        if (!more) break;
        last = s.name();
        last_empty = true;
        while (true) {
            auto bases_r = s.read(chunk, size_t(1) << 22);
            if (!bases_r) return bases_r.error();
            const bool bases = std::move(*bases_r);
            if (!bases) break;
            if (!chunk.empty()) last_empty = false;
        }
        if (last_empty) empty_records.push_back(last);
    }
    // htslib skips an empty record inside the file but fails on one at its end, with only a
    // leftover errno to show for it.
    if (last_empty)
        return make_error("FASTA '", path, "' ends with record '", last, "', which has no bases; the index (htslib) ",
                          "cannot be built over a file whose last record is empty: remove that header line");
    return {};
}

struct FaiLine {
    std::string name;
    int64_t length = 0, offset = 0, line_bases = 0, line_width = 0;
};

Result<std::vector<FaiLine>> read_fai(const std::string& fai) {
    std::ifstream in(fai);
    if (!in) return make_error("cannot read FASTA index '", fai, "': ", std::strerror(errno));
    std::vector<FaiLine> out;
    std::string line;
    int64_t no = 0;
    while (std::getline(in, line)) {
        ++no;
        std::istringstream ls(line);
        FaiLine f;
        // A record without bases may be listed with no line length: htslib writes `NAME 0 OFFSET 0 2`
        // for a header followed by a blank CRLF line (the file never opened; found in review).
        if (!std::getline(ls, f.name, '\t') || !(ls >> f.length >> f.offset >> f.line_bases >> f.line_width) ||
            f.length < 0 || f.offset < 0 || (f.line_bases <= 0 && f.length > 0) || f.line_bases < 0 ||
            f.line_width < f.line_bases)
            return make_error("FASTA index '", fai, "' line ", no, " is malformed; expected NAME, LENGTH, OFFSET, ",
                              "LINEBASES, LINEWIDTH separated by tabs (delete it to rebuild it)");
        out.push_back(std::move(f));
    }
    return out;
}

// An existing .fai must describe this FASTA: for a plain file each record's bases must lie inside
// the file, follow its own '>' header line and end where the record ends (its last line, then the
// next header or the end of the file). A stale index makes faidx return the wrong bases without any
// error: another file's offsets, or a record that has grown since (its new bases silently dropped).
Result<void> check_fai_matches(const std::string& fasta, const std::string& fai, int64_t file_size,
                               std::vector<std::string>& empty_records) {
    auto lines_r = read_fai(fai);
    if (!lines_r) return lines_r.error();
    const std::vector<FaiLine> lines = std::move(*lines_r);
    auto mismatch = [&](const FaiLine& f, const std::string& what) {
        return make_error("FASTA index '", fai, "' does not match '", fasta, "': record '", f.name, "' ", what,
                          " (was the FASTA changed after indexing? delete the .fai to rebuild it)");
    };
    if (lines.empty()) return make_error("FASTA index '", fai, "' is empty (delete it to rebuild it)");
    std::ifstream in(fasta, std::ios::binary);
    if (!in) return make_error("cannot open FASTA '", fasta, "': ", std::strerror(errno));
    // Between one record's last base and the next record's header there may be only line ends, the
    // last line's trailing blanks, and headers of records without bases (htslib leaves those out of
    // its index); a record the index skipped lies there otherwise — samtools faidx indexes only the
    // first of two records with one name, and the second would be silently left out of every job.
    // `after_name` empty: the gap before the first indexed record, from the file's first byte (a
    // record without bases at the top of the file was "unknown" once an index existed, though the
    // run that built the index had named it; found in review).
    auto only_line_ends = [&](int64_t from, int64_t to, const std::string& after_name) -> Result<void> {
        if (from < 0 || to <= from) return {};
        in.seekg(from);
        std::string line, header;
        bool first = !after_name.empty();  // `from` is inside the last line of the record before
        for (int64_t at = from; at < to && std::getline(in, line);) {
            at += int64_t(line.size()) + 1;
            if (at > to) line.resize(line.size() - size_t(at - to));
            const bool was_first = std::exchange(first, false);
            if (!was_first && !line.empty() && line[0] == '>') {
                if (!header.empty()) empty_records.push_back(header.substr(1, header.find_first_of(" \t\r") - 1));
                header = line;
                continue;
            }
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            return make_error(
                "FASTA '", fasta, "' holds a record its index '", fai, "' does not list, ",
                after_name.empty() ? std::string("before its first record") : cat("after record '", after_name, "'"),
                ": \"", (header.empty() ? line : header).substr(0, 60),
                "\" (two records with one name? samtools faidx indexes only the first of them, and every ",
                "record needs a name of its own; rename one, then delete the .fai to rebuild it)");
        }
        in.clear();
        if (!header.empty()) empty_records.push_back(header.substr(1, header.find_first_of(" \t\r") - 1));
        return {};
    };
    int64_t prev_end = -1;
    std::string prev_name;
    for (const FaiLine& f : lines) {
        // Just past the last base: a record whose length is a whole number of lines ends before
        // its last line's terminator (which a file without a final newline does not have).
        const int64_t full = f.length > 0 ? f.length / f.line_bases : 0,
                      rest = f.length > 0 ? f.length % f.line_bases : 0;
        const int64_t end = f.length == 0 ? f.offset
                            : rest        ? f.offset + full * f.line_width + rest
                                          : f.offset + (full - 1) * f.line_width + f.line_bases;
        if (end > file_size)
            return mismatch(f, cat("would end at byte ", end, ", past the end of the file (", file_size, " bytes)"));
        if (f.length > 0 && end < file_size) {
            // The bases must stop here: trailing blanks and line ends (blank lines allowed), then a
            // header or the end.
            char after[256];
            in.seekg(end);
            in.read(after, sizeof after);
            const std::streamsize got = in.gcount();
            in.clear();
            std::streamsize k = 0;
            while (k < got && (after[k] == '\n' || after[k] == '\r' || after[k] == ' ' || after[k] == '\t')) ++k;
            if (k == 0 || (k < got && after[k] != '>'))
                return mismatch(f,
                                cat("has more bases than its ", f.length, " (byte ", end, " continues the sequence)"));
        }
        const int64_t window = std::min<int64_t>(f.offset, int64_t(f.name.size()) + 4096);
        std::string before(size_t(window), '\0');
        in.seekg(f.offset - window);
        if (!in.read(before.data(), window)) return make_error("cannot read FASTA '", fasta, "' at byte ", f.offset - window);
        if (before.empty() || before.back() != '\n') return mismatch(f, cat("does not start at a line start (byte ", f.offset, ")"));
        before.pop_back();
        if (!before.empty() && before.back() == '\r') before.pop_back();
        const size_t nl = before.rfind('\n');
        if (nl == std::string::npos && window < f.offset) {
            // A header longer than the window: its name is not checked, nor the gap before it; the
            // gap after this record still is, from here (it read this header as an unlisted record).
            // Before the first record, the records without bases are still read from the file's
            // start; the last header found there is this record's own.
            if (prev_name.empty()) {
                MS_TRY(only_line_ends(0, f.offset, prev_name));
                if (!empty_records.empty() && empty_records.back() == f.name) empty_records.pop_back();
            }
            prev_end = f.length > 0 ? end : f.offset;
            prev_name = f.name;
            continue;
        }
        const std::string header = before.substr(nl == std::string::npos ? 0 : nl + 1);
        const std::string expect = ">" + f.name;
        if (header.compare(0, expect.size(), expect) != 0 ||
            (header.size() > expect.size() && header[expect.size()] != ' ' && header[expect.size()] != '\t'))
            return mismatch(f, cat("at byte ", f.offset, " follows the line \"", header.substr(0, 60), "\", not its '>",
                                   f.name, "' header"));
        const int64_t header_start = f.offset - window + (nl == std::string::npos ? 0 : int64_t(nl) + 1);
        if (nl != std::string::npos || window == f.offset)
            MS_TRY(only_line_ends(prev_name.empty() ? 0 : prev_end, header_start, prev_name));
        prev_end = f.length > 0 ? end : f.offset;
        prev_name = f.name;
    }
    MS_TRY(only_line_ends(prev_end, file_size, prev_name));
    return {};
}

bool newer_than(const struct stat& a, const struct stat& b) {
    return a.st_mtim.tv_sec > b.st_mtim.tv_sec ||
           (a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec > b.st_mtim.tv_nsec);
}

}  // namespace

Result<FastaFile> FastaFile::open(const std::string& path) {
    struct stat st {};
    MS_ASSIGN(st, stat_input(path, "FASTA"));
    if (st.st_size == 0) return make_error("FASTA '", path, "' is empty; expected records starting with a '>' header line");
    auto compression_r = detect_compression(path);
    if (!compression_r) return compression_r.error();
    const Compression compression_kind = std::move(*compression_r);
    if (compression_kind == Compression::gzip)
        return make_error("FASTA '", path, "' is gzip-compressed, not bgzip, so it has no random access: it can only be ",
                          "read from start to end (as `info` does); recompress it with `zcat FILE | bgzip > FILE.bgz` ",
                          "(or gunzip it) to make it indexable");
    FastaFile f;
    f.path_ = path;
    f.compression_ = compression_kind;
    const fs::path parent = fs::path(path).parent_path();
    const std::string folder = parent.empty() ? std::string(".") : parent.string();
    const bool writable = ::access(folder.c_str(), W_OK) == 0;
    IndexPaths ix = index_paths(path, writable);

    struct stat fai_st {};
    bool have_fai = ::stat(ix.fai.c_str(), &fai_st) == 0;
    if (have_fai && newer_than(st, fai_st)) {
        // An index older than its FASTA describes another file: rebuild it where we may write.
        if (!ix.in_cache && !writable) ix = cache_index_paths(path);
        have_fai = ::stat(ix.fai.c_str(), &fai_st) == 0 && !newer_than(st, fai_st);
    }
    if (have_fai && compression_kind == Compression::none)
        MS_TRY(check_fai_matches(path, ix.fai, int64_t(st.st_size), f.empty_records_));
    if (!have_fai) {
        MS_TRY(validate_layout(path, f.empty_records_));
        std::error_code ec;
        if (ix.in_cache) fs::create_directories(fs::path(ix.fai).parent_path(), ec);
        // Built under a private name and renamed into place: jobs that open the same FASTA at once
        // (a workflow's shards, the GUI beside a CLI run) each build a complete index, and none can
        // load another's half-written one (a shard once read an empty .fai: "holds no records").
        static std::atomic<unsigned> serial{0};
        const std::string tag = cat(".tmp-", ::getpid(), "-", serial.fetch_add(1));
        const bool bgzf = compression_kind == Compression::bgzip;
        const std::string tmp_fai = ix.fai + tag, tmp_gzi = ix.gzi + tag;
        if (fai_build3(path.c_str(), tmp_fai.c_str(), bgzf ? tmp_gzi.c_str() : nullptr) != 0) {
            const int err = errno;
            std::remove(tmp_fai.c_str());
            if (bgzf) std::remove(tmp_gzi.c_str());
            return make_error("cannot build the index '", ix.fai, "' of FASTA '", path, "': ",
                              err ? std::strerror(err) : "htslib failed", " (is its folder writable?)");
        }
        if ((bgzf && std::rename(tmp_gzi.c_str(), ix.gzi.c_str()) != 0) || std::rename(tmp_fai.c_str(), ix.fai.c_str()) != 0) {
            const int err = errno;
            std::remove(tmp_fai.c_str());
            if (bgzf) std::remove(tmp_gzi.c_str());
            return make_error("cannot move the new index into place as '", ix.fai, "': ", std::strerror(err));
        }
    }
    f.fai_path_ = ix.fai;
    f.impl_ = std::make_unique<Impl>();
    f.impl_->fai.reset(fai_load3(path.c_str(), ix.fai.c_str(), compression_kind == Compression::bgzip ? ix.gzi.c_str() : nullptr, 0));
    if (!f.impl_->fai)
        return make_error("cannot read FASTA '", path, "' with its index '", ix.fai,
                          "' (for bgzip also ", ix.gzi, "); delete the index files to rebuild them");
    // Lengths come from the .fai itself: htslib 1.16's faidx_seq_len returns an int, which cuts a
    // record over 2^31 - 1 bases (a lungfish or axolotl chromosome) to a wrong, even negative,
    // length. Fetching is 64-bit (faidx_fetch_seq64), so such records are read whole.
    auto fai_lines = read_fai(ix.fai);
    if (!fai_lines) return fai_lines.error();
    const int n = faidx_nseq(f.impl_->fai.get());
    if (size_t(n) != fai_lines->size())
        return make_error("FASTA index '", ix.fai, "' lists ", fai_lines->size(), " records but htslib read ", n,
                          " (duplicate names?); delete it to rebuild it");
    for (int i = 0; i < n; ++i) {
        const char* name = faidx_iseq(f.impl_->fai.get(), i);
        const FaiLine& line = (*fai_lines)[size_t(i)];
        if (line.name != name)
            return make_error("FASTA index '", ix.fai, "' line ", i + 1, " names '", line.name, "' where htslib read '",
                              name, "'; delete it to rebuild it");
        // Listed without bases (see read_fai): a record without bases, as those htslib leaves out.
        if (line.length == 0) {
            if (std::find(f.empty_records_.begin(), f.empty_records_.end(), line.name) == f.empty_records_.end())
                f.empty_records_.push_back(line.name);
            continue;
        }
        f.records_.push_back({name, line.length});
    }
    if (f.records_.empty()) return make_error("FASTA '", path, "' holds no records");
    for (size_t i = 0; i < f.records_.size(); ++i) f.by_name_.emplace(f.records_[i].name, i);
    if (compression_kind == Compression::bgzip && f.records_.back().length > 0) {
        // For bgzip the byte offsets cannot be checked against the file cheaply; reading the last
        // base exercises the .gzi and the end of the data.
        const SequenceRecord& last = f.records_.back();
        auto tail = f.fetch(last.name, last.length - 1, last.length);
        if (!tail)
            return make_error("FASTA index '", ix.fai, "' does not match '", path, "': the last base of record '", last.name,
                              "' cannot be read (delete the .fai and .gzi to rebuild them)");
    }
    return f;
}

const SequenceRecord* FastaFile::find(const std::string& name) const {
    const auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &records_[it->second];
}

namespace {

Error missing_record(const std::string& name, const std::string& path, const std::vector<std::string>& empty) {
    for (const std::string& e : empty)
        if (e == name)
            return make_error("record '", name, "' of '", path, "' has no bases (a header line without sequence)");
    return make_error("no record named '", name, "' in '", path, "'");
}

}  // namespace

Result<std::string> FastaFile::fetch(const std::string& name, int64_t begin, int64_t end) const {
    const SequenceRecord* r = find(name);
    if (!r) return missing_record(name, path_, empty_records_);
    if (begin < 0 || end > r->length || begin > end)
        return make_error("region ", begin, "-", end, " is outside record '", name, "' (0-", r->length, ") of '", path_, "'");
    if (begin == end) return std::string();
    hts_pos_t len = 0;
    // faidx_fetch_seq64 takes inclusive 0-based ends.
    char* s = faidx_fetch_seq64(impl_->fai.get(), name.c_str(), begin, end - 1, &len);
    if (!s || len != end - begin) {
        std::free(s);
        return make_error("cannot read ", name, ":", begin + 1, "-", end, " from '", path_, "' (truncated or corrupt file?)");
    }
    std::string out(s, size_t(len));
    std::free(s);
    return out;
}

Result<std::string> FastaFile::fetch_all(const std::string& name) const {
    const SequenceRecord* r = find(name);
    if (!r) return missing_record(name, path_, empty_records_);
    return fetch(name, 0, r->length);
}

Result<SequenceMask> FastaFile::mask(const std::string& name, int64_t begin, int64_t end) const {
    auto bases_r = fetch(name, begin, end);
    if (!bases_r) return bases_r.error();
    const std::string bases = std::move(*bases_r);
    return sequence_mask(bases, begin);
}

namespace {

// Composition by byte histogram: one table increment per base, summed by class afterwards.
struct Histogram {
    int64_t count[256] = {};
    void add(std::string_view bases) {
        for (unsigned char b : bases) ++count[b];
    }
};

}  // namespace

void add_composition(Composition& c, std::string_view bases) {
    Histogram h;
    h.add(bases);
    auto n = [&](char ch) { return h.count[static_cast<unsigned char>(ch)]; };
    c.length += int64_t(bases.size());
    c.gc += n('G') + n('C') + n('g') + n('c');
    c.at += n('A') + n('T') + n('a') + n('t');
    c.n += n('N') + n('n');
    for (int ch = 'a'; ch <= 'z'; ++ch) c.soft_masked += h.count[ch];
    c.other = c.length - c.gc - c.at - c.n;
}

Composition composition(std::string_view bases) {
    Composition c;
    add_composition(c, bases);
    return c;
}

Composition& operator+=(Composition& a, const Composition& b) {
    a.length += b.length;
    a.gc += b.gc;
    a.at += b.at;
    a.n += b.n;
    a.soft_masked += b.soft_masked;
    a.other += b.other;
    return a;
}

}  // namespace ms

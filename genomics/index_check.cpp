#include "genomics/index_check.h"

#include <htslib/bgzf.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/error.h"
#include "genomics/index_age.h"

namespace ms {

std::string find_index(const std::string& path, std::initializer_list<const char*> suffixes) {
    const std::string stem = std::filesystem::path(path).replace_extension().string();
    for (const char* suffix : suffixes)
        for (const std::string& base : {path, stem})
            if (struct stat st{}; ::stat((base + suffix).c_str(), &st) == 0)
                return base + suffix;  // any kind, as htslib
    return {};
}

namespace {

// The index's bytes as htslib sees them: through BGZF (which passes an uncompressed file through).
// `opened` tells a file this user cannot open (htslib passes over it) from a damaged one.
bool read_whole(const std::string& path, std::vector<uint8_t>& out, bool& opened, int& error) {
    errno = 0;
    BGZF* f = bgzf_open(path.c_str(), "r");
    opened = f != nullptr;
    error = errno ? errno : EIO;
    if (!f) return false;
    uint8_t buf[65536];
    ssize_t n = 0;
    while ((n = bgzf_read(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
    const bool ok = n == 0;
    return bgzf_close(f) == 0 && ok;
}

// Reads little-endian counts from the front of a buffer, failing past its end.
class Walker {
public:
    explicit Walker(const std::vector<uint8_t>& d) : d_(d) {}
    bool magic(const char (&m)[5]) {
        if (d_.size() < 4 || std::memcmp(d_.data(), m, 4) != 0) return false;
        at_ = 4;
        return true;
    }
    bool u32(uint32_t& v) {
        if (!bytes(4)) return false;
        std::memcpy(&v, d_.data() + at_ - 4, 4);
        return true;
    }
    bool count(int32_t& v) {  // a non-negative int32
        uint32_t u = 0;
        if (!u32(u)) return false;
        v = int32_t(u);
        return v >= 0;
    }
    bool bytes(int64_t n) {
        if (n < 0 || n > int64_t(d_.size() - at_)) return false;
        at_ += size_t(n);
        return true;
    }
    bool skip_items(int32_t n, int64_t each) { return bytes(int64_t(n) * each); }
    // n virtual file offsets (a block's place in the file << 16 | a place in the block). One past
    // the end of the data file is noted: htslib seeks to them, and one past 2^63 made its file
    // handle fail to close (and leak); one merely past the end is another file's index.
    bool offsets(int64_t n, uint64_t data_bytes) {
        for (int64_t i = 0; i < n; ++i) {
            uint64_t v = 0;
            if (!bytes(8)) return false;
            std::memcpy(&v, d_.data() + at_ - 8, 8);
            past_end_ = past_end_ || (v >> 16) > data_bytes;
        }
        return true;
    }
    bool past_end() const { return past_end_; }

private:
    const std::vector<uint8_t>& d_;
    size_t at_ = 0;
    bool past_end_ = false;
};

// Bins then (BAI, TBI) the linear index, for each of n_ref references. CSI bins carry a loffset.
// A bin number must be one of the depth's bins, or the pseudo-bin just past them that holds the
// reference's counts in two "chunks" (htslib reads the second unchecked): a .csi with bins out of
// range sent htslib 1.16's region query into an endless loop (found by fuzz_index).
bool references_whole(Walker& w, int32_t n_ref, int depth, bool csi, uint64_t data_bytes) {
    const uint32_t n_bins = uint32_t(((int64_t(1) << (3 * (depth + 1))) - 1) / 7), pseudo = n_bins + 1;
    for (int32_t r = 0; r < n_ref; ++r) {
        int32_t n_bin = 0;
        if (!w.count(n_bin)) return false;
        for (int32_t b = 0; b < n_bin; ++b) {
            uint32_t bin = 0;
            int32_t n_chunk = 0;
            if (!w.u32(bin) || (bin >= n_bins && bin != pseudo) || !w.offsets(csi ? 1 : 0, data_bytes) ||
                !w.count(n_chunk) || (bin == pseudo && n_chunk != 2))
                return false;
            // A chunk is two offsets; the pseudo-bin's second pair is counts of records.
            if (bin == pseudo ? !w.offsets(2, data_bytes) || !w.bytes(16)
                              : !w.offsets(2 * int64_t(n_chunk), data_bytes))
                return false;
        }
        if (csi) continue;
        int32_t n_intv = 0;
        if (!w.count(n_intv) || !w.offsets(n_intv, data_bytes)) return false;
    }
    return true;  // what follows (the optional count of unplaced records, or more) htslib ignores
}

// A .crai: (gzip-compressed) text, a line a slice — reference id, alignment start, span, container
// offset, slice offset in the container, slice size — as htslib 1.16's cram_index_load reads it:
// six integers, each after optional blanks, the rest of the line ignored. It checks none of them
// against a range and sizes an array by the largest reference id: a line whose id had a hundred
// digits made it ask for 26 GB (tests/fuzz/fuzz_index). Here every number must fit its field,
// the id lie in -1 … references − 1, starts, spans and sizes be ≥ 0 with start + span inside
// int32, and the container lie inside the data file.
IndexState check_crai(const std::vector<uint8_t>& t, uint64_t data_bytes, int64_t references) {
    constexpr int64_t kInt32Max = 2147483647;
    if (t.size() < 2) return IndexState::damaged;  // htslib refuses it too
    size_t at = 0;
    // The next integer of the line, within [lo, hi]; false when there is none or it is outside.
    auto number = [&](int64_t lo, int64_t hi, int64_t& v) {
        while (at < t.size() && (t[at] == ' ' || t[at] == '\t')) ++at;
        const bool minus = at < t.size() && t[at] == '-';
        if (minus) ++at;
        if (at >= t.size() || t[at] < '0' || t[at] > '9') return false;
        uint64_t u = 0;
        for (; at < t.size() && t[at] >= '0' && t[at] <= '9'; ++at) {
            u = u * 10 + uint64_t(t[at] - '0');
            if (u > (uint64_t(1) << 62)) return false;  // past any field's range, and no overflow
        }
        v = minus ? -int64_t(u) : int64_t(u);
        return v >= lo && v <= hi;
    };
    bool past_end = false;
    while (at < t.size()) {
        int64_t ref = 0, start = 0, span = 0, offset = 0, slice = 0, size = 0;
        if (!number(-1, references - 1, ref) || !number(0, kInt32Max, start) || !number(0, kInt32Max, span) ||
            !number(0, int64_t(1) << 62, offset) || !number(0, kInt32Max, slice) || !number(0, kInt32Max, size) ||
            start + span - 1 > kInt32Max)
            return IndexState::damaged;
        if (uint64_t(offset) >= data_bytes) past_end = true;
        while (at < t.size() && t[at] != '\n') ++at;
        ++at;
    }
    return past_end ? IndexState::not_this_files : IndexState::whole;
}

}  // namespace

IndexState check_index(const std::string& path, uint64_t data_bytes, int* error, int64_t references) {
    std::vector<uint8_t> d;
    bool opened = false;
    int e = 0;
    if (!read_whole(path, d, opened, e)) {
        if (error) *error = e;
        return opened ? IndexState::damaged : IndexState::unreadable;
    }
    if (path.size() > 5 && path.compare(path.size() - 5, 5, ".crai") == 0)
        return check_crai(d, data_bytes, references >= 0 ? references : kCraiReferencesUnknown);
    Walker w(d);
    int32_t n_ref = 0;
    bool whole = false;
    if (w.magic("BAI\1")) {
        whole = w.count(n_ref) && references_whole(w, n_ref, 5, false, data_bytes);  // 14-bit bins, depth 5
    } else if (w.magic("CSI\1")) {
        // min_shift, depth, then l_aux bytes of format data (a tabix header for text files). htslib
        // turns min_shift and depth into bin counts with shifts of up to min_shift + 3·depth bits.
        int32_t min_shift = 0, depth = 0, l_aux = 0;
        whole = w.count(min_shift) && w.count(depth) && w.count(l_aux) && w.bytes(l_aux) && min_shift >= 1 &&
                depth <= 10 && min_shift + 3 * depth <= 62 && w.count(n_ref) &&
                references_whole(w, n_ref, depth, true, data_bytes);
    } else if (w.magic("TBI\1")) {
        // n_ref, then format, col_seq, col_beg, col_end, meta, skip, and l_nm bytes of names.
        int32_t l_nm = 0;
        whole = w.count(n_ref) && w.bytes(24) && w.count(l_nm) && w.bytes(l_nm) &&
                references_whole(w, n_ref, 5, false, data_bytes);  // as BAI
    }
    if (!whole) return IndexState::damaged;  // cut short, or none of the three kinds
    return w.past_end() ? IndexState::not_this_files : IndexState::whole;
}

const std::string& IndexRemake::for_index(const std::string& index) const {
    const bool is_csi = index.size() > 4 && index.compare(index.size() - 4, 4, ".csi") == 0;
    return is_csi ? csi : other;
}

std::string index_problem(const std::string& index, const std::string& data_path, const IndexRemake& remake,
                          bool only_damage, int64_t references) {
    struct stat st {};
    if (::stat(data_path.c_str(), &st) != 0) return {};  // a URL: htslib reads both
    int error = 0;
    const IndexState state = check_index(index, uint64_t(st.st_size), &error, references);
    // A .csi is found before a .bai or .tbi: the command that remakes it must make a .csi again.
    const std::string& cmd = remake.for_index(index);
    switch (state) {
        case IndexState::whole:
            return {};
        case IndexState::damaged:
            return cat("is damaged (cut short, or not an index); remake it with `", cmd, "`, or remove it");
        case IndexState::unreadable:
            if (only_damage) return {};  // htslib passes over it
            return cat("cannot be read (", std::strerror(error), ")");
        case IndexState::not_this_files:
            if (only_damage) return {};
            return cat("points past the end of '", data_path, "', which is shorter than the file it was made for ",
                       "(changed, or cut short, since it was indexed); if '", data_path,
                       "' is whole, remake the index with `", cmd, "`");
    }
    return {};
}

IndexBeside inspect_index(const std::string& data_path, std::initializer_list<const char*> suffixes,
                          const IndexRemake& remake, bool only_damage, int64_t references) {
    IndexBeside found{find_index(data_path, suffixes), {}};
    if (!only_damage) warn_of_index_age(data_path, found.path, remake.for_index(found.path));
    if (!found.path.empty()) found.problem = index_problem(found.path, data_path, remake, only_damage, references);
    return found;
}

}  // namespace ms

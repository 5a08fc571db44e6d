// Layout as in the bigWig format (Kent et al. 2010, Bioinformatics 26:2204): the header's zoom
// level count at byte 6 and uncompressed block size at 52; zoom headers of 24 bytes from byte 64
// (reduction, reserved, data offset, index offset); a zoom level's data is a record count and
// blocks of 32-byte records (chrom, start, end, bases with data, min, max, sum, sum of squares),
// each block zlib-compressed when the block size is not 0; its index an R-tree: a 48-byte header,
// then nodes of a flag, a count and items — 32 bytes in leaves (bounds, block offset and size), 24
// in inner nodes (bounds, child offset). The file ends with the signature.
#include "genomics/bigwig_zoom.h"

#include <bigWig.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace ms {

namespace {

constexpr uint32_t kSignature = 0x888FFC26, kIndexMagic = 0x2468ACE0, kIndexFanout = 256;
constexpr uint32_t kWindow = 1u << 22;  // bases read back at a time

struct Record {
    uint32_t chrom, start, end, count;
    float min, max, sum, sum_squares;
};
static_assert(sizeof(Record) == 32);

struct Bounds {
    uint32_t chrom_start = 0, base_start = 0, chrom_end = 0, base_end = 0;
};

struct Block {
    Bounds bounds;
    uint64_t offset = 0, size = 0;  // offset from the level's first block until written
};

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// One zoom level being built: the bin at hand, the block being filled, the finished blocks in a
// temporary file (a per-base track of a whole genome has tens of millions of records at the
// finest level; they are not held in memory).
struct Level {
    uint32_t reduction = 0;
    FilePtr blocks_file;
    std::vector<Block> blocks;
    std::vector<Record> pending;
    uint64_t records = 0, bytes = 0;
    bool open = false;
    Record bin{};
    double sum = 0, sum_squares = 0;
};

bool write_all(std::FILE* f, const void* p, size_t n) { return n == 0 || std::fwrite(p, 1, n, f) == n; }

class ZoomBuilder {
public:
    ZoomBuilder(std::vector<uint32_t> reductions, size_t per_block, bool compressed)
        : per_block_(per_block), compressed_(compressed) {
        for (uint32_t r : reductions) {
            Level l;
            l.reduction = r;
            levels_.push_back(std::move(l));
        }
    }
    std::vector<Level>& levels() { return levels_; }

    // Beside the bigWig, where there is room for it (glibc's tmpfile() always uses /tmp, often
    // small or in memory: a per-base human track's finest level is gigabytes), removed at once so
    // nothing is left behind whatever ends the export.
    Result<void> open(const std::string& beside) {
        for (Level& l : levels_) {
            std::string name = beside + ".zoom-XXXXXX";
            const int fd = ::mkstemp(name.data());
            if (fd < 0) return make_error("a temporary file beside it: ", std::strerror(errno));
            ::unlink(name.c_str());
            l.blocks_file.reset(::fdopen(fd, "w+b"));
            if (!l.blocks_file) {
                ::close(fd);
                return make_error("a temporary file beside it: ", std::strerror(errno));
            }
        }
        return {};
    }

    Result<void> add(uint32_t chrom, uint32_t chrom_length, uint32_t begin, uint32_t end, float value) {
        for (Level& l : levels_) {
            for (uint32_t pos = begin; pos < end;) {
                const uint32_t bin_start = pos / l.reduction * l.reduction;
                const uint32_t bin_end = uint32_t(std::min<uint64_t>(uint64_t(bin_start) + l.reduction, chrom_length));
                const uint32_t n = std::min(end, bin_end) - pos;
                if (!l.open || l.bin.chrom != chrom || l.bin.start != bin_start) {
                    MS_TRY(close_bin(l));
                    l.open = true;
                    l.bin = Record{chrom, bin_start, bin_end, 0, value, value, 0, 0};
                    l.sum = l.sum_squares = 0;
                }
                l.bin.count += n;
                l.bin.min = std::min(l.bin.min, value);
                l.bin.max = std::max(l.bin.max, value);
                l.sum += double(n) * value;
                l.sum_squares += double(n) * value * value;
                pos += n;
            }
        }
        return {};
    }

    Result<void> finish() {
        for (Level& l : levels_) {
            MS_TRY(close_bin(l));
            MS_TRY(write_block(l));
        }
        return {};
    }

private:
    Result<void> close_bin(Level& l) {
        if (!l.open) return {};
        l.open = false;
        l.bin.sum = float(l.sum);
        l.bin.sum_squares = float(l.sum_squares);
        l.pending.push_back(l.bin);
        ++l.records;
        if (l.pending.size() == per_block_) MS_TRY(write_block(l));
        return {};
    }

    Result<void> write_block(Level& l) {
        if (l.pending.empty()) return {};
        const uLong raw = uLong(l.pending.size() * sizeof(Record));
        const unsigned char* out = reinterpret_cast<const unsigned char*>(l.pending.data());
        uLongf size = raw;
        if (compressed_) {
            packed_.resize(compressBound(raw));
            size = packed_.size();
            if (compress(packed_.data(), &size, out, raw) != Z_OK) return make_error("zlib could not compress a block");
            out = packed_.data();
        }
        if (!write_all(l.blocks_file.get(), out, size)) return make_error("a temporary file: ", std::strerror(errno));
        const Record &first = l.pending.front(), &last = l.pending.back();
        l.blocks.push_back({{first.chrom, first.start, last.chrom, last.end}, l.bytes, size});
        l.bytes += size;
        l.pending.clear();
        return {};
    }

    std::vector<Level> levels_;
    size_t per_block_;
    bool compressed_;
    std::vector<unsigned char> packed_;
};

// An R-tree over `blocks` (already at their file offsets), written at the file's position: the
// header, then the nodes from the root down, each level's nodes in order.
bool write_index(std::FILE* f, const std::vector<Block>& blocks, uint64_t data_end, uint32_t items_per_slot) {
    struct Node {
        Bounds bounds;
        size_t first = 0, count = 0;  // items: blocks (leaves) or nodes of the level below
        uint64_t offset = 0;
    };
    // Nodes of up to kIndexFanout items each over `n` items, the bounds of item i from `of(i)`.
    auto group = [](size_t n, const auto& of) {
        std::vector<Node> nodes;
        for (size_t i = 0; i < n; i += kIndexFanout) {
            const size_t count = std::min<size_t>(kIndexFanout, n - i);
            Bounds b = of(i);
            b.chrom_end = of(i + count - 1).chrom_end;
            b.base_end = of(i + count - 1).base_end;
            nodes.push_back({b, i, count, 0});
        }
        return nodes;
    };
    std::vector<std::vector<Node>> levels;  // leaves first
    levels.push_back(group(blocks.size(), [&](size_t i) { return blocks[i].bounds; }));
    while (levels.back().size() > 1) {
        std::vector<Node> up = group(levels.back().size(), [&](size_t i) { return levels.back()[i].bounds; });
        levels.push_back(std::move(up));
    }
    const long header_at = std::ftell(f);
    if (header_at < 0) return false;
    uint64_t at = uint64_t(header_at) + 48;
    for (size_t k = levels.size(); k-- > 0;)
        for (Node& node : levels[k]) {
            node.offset = at;
            at += 4 + (k == 0 ? 32 : 24) * node.count;
        }
    const Bounds& all = levels.back()[0].bounds;
    const uint32_t head[2] = {kIndexMagic, kIndexFanout};
    const uint64_t item_count = blocks.size();
    const uint32_t span[4] = {all.chrom_start, all.base_start, all.chrom_end, all.base_end};
    const uint32_t tail[2] = {items_per_slot, 0};
    if (!write_all(f, head, 8) || !write_all(f, &item_count, 8) || !write_all(f, span, 16) ||
        !write_all(f, &data_end, 8) || !write_all(f, tail, 8))
        return false;
    for (size_t k = levels.size(); k-- > 0;)
        for (const Node& node : levels[k]) {
            const uint8_t flags[2] = {uint8_t(k == 0), 0};
            const uint16_t count = uint16_t(node.count);
            if (!write_all(f, flags, 2) || !write_all(f, &count, 2)) return false;
            for (size_t i = node.first; i < node.first + node.count; ++i) {
                const Bounds& b = k == 0 ? blocks[i].bounds : levels[k - 1][i].bounds;
                const uint32_t box[4] = {b.chrom_start, b.base_start, b.chrom_end, b.base_end};
                if (!write_all(f, box, 16)) return false;
                if (k == 0) {
                    if (!write_all(f, &blocks[i].offset, 8) || !write_all(f, &blocks[i].size, 8)) return false;
                } else if (!write_all(f, &levels[k - 1][i].offset, 8)) {
                    return false;
                }
            }
        }
    return true;
}

}  // namespace

Result<void> rewrite_bigwig_zoom_levels(const std::string& path, const std::string& shown) {
    auto fail = [&](const std::string& what) {
        return make_error("cannot write bigWig '", shown, "': writing its zoom levels failed (", what, ")");
    };
    FilePtr f(std::fopen(path.c_str(), "r+b"));
    if (!f) return fail(std::strerror(errno));
    auto read_at = [&](uint64_t at, void* out, size_t n) {
        return std::fseek(f.get(), long(at), SEEK_SET) == 0 && std::fread(out, 1, n, f.get()) == n;
    };
    uint16_t n_levels = 0;
    uint32_t block_bytes = 0;
    if (!read_at(6, &n_levels, 2) || !read_at(52, &block_bytes, 4)) return fail("reading the header");
    if (n_levels == 0) return {};
    std::vector<uint32_t> reductions(n_levels);
    uint64_t zoom_start = UINT64_MAX;
    for (uint16_t i = 0; i < n_levels; ++i) {
        uint64_t data_offset = 0;
        if (!read_at(64 + 24 * uint64_t(i), &reductions[i], 4) ||
            !read_at(64 + 24 * uint64_t(i) + 8, &data_offset, 8) || reductions[i] == 0 || data_offset == 0)
            return fail("reading the zoom headers");
        zoom_start = std::min(zoom_start, data_offset);
    }
    const bool compressed = block_bytes != 0;
    const size_t per_block = compressed ? std::clamp<size_t>(block_bytes / sizeof(Record), 1, 1024) : 1024;
    ZoomBuilder builder(reductions, per_block, compressed);
    MS_TRY(builder.open(path));
    {
        struct BwCloser {
            void operator()(bigWigFile_t* b) const { bwClose(b); }
        };
        std::unique_ptr<bigWigFile_t, BwCloser> reader(bwOpen(path.c_str(), nullptr, "r"));
        if (!reader || !reader->cl) return fail("reading the data back");
        for (int64_t c = 0; c < reader->cl->nKeys; ++c) {
            const uint32_t length = reader->cl->len[c];
            for (uint32_t w = 0; w < length; w = uint32_t(std::min<uint64_t>(uint64_t(w) + kWindow, length))) {
                const uint32_t w_end = uint32_t(std::min<uint64_t>(uint64_t(w) + kWindow, length));
                bwOverlappingIntervals_t* iv = bwGetOverlappingIntervals(reader.get(), reader->cl->chrom[c], w, w_end);
                if (!iv) return fail("reading the data back");
                Result<void> r;
                for (uint32_t i = 0; i < iv->l && r; ++i) {
                    const uint32_t b = std::max(iv->start[i], w), e = std::min(iv->end[i], w_end);
                    if (b < e && !std::isnan(iv->value[i])) r = builder.add(uint32_t(c), length, b, e, iv->value[i]);
                }
                bwDestroyOverlappingIntervals(iv);
                if (!r) return fail(r.error().message);
            }
        }
    }
    if (auto r = builder.finish(); !r) return fail(r.error().message);

    // Everything from the first zoom level on is written again: each level's data, its index.
    if (std::fseek(f.get(), long(zoom_start), SEEK_SET) != 0) return fail("seeking");
    std::vector<unsigned char> copy(1 << 20);
    for (uint16_t i = 0; i < n_levels; ++i) {
        Level& l = builder.levels()[i];
        const uint64_t data_offset = uint64_t(std::ftell(f.get()));
        const uint32_t count = uint32_t(std::min<uint64_t>(l.records, UINT32_MAX));
        if (!write_all(f.get(), &count, 4)) return fail("disk full?");
        std::rewind(l.blocks_file.get());
        for (size_t n; (n = std::fread(copy.data(), 1, copy.size(), l.blocks_file.get())) > 0;)
            if (!write_all(f.get(), copy.data(), n)) return fail("disk full?");
        if (std::ferror(l.blocks_file.get())) return fail("reading a temporary file");
        for (Block& b : l.blocks) b.offset += data_offset + 4;
        const uint64_t index_offset = uint64_t(std::ftell(f.get()));
        if (l.blocks.empty()) return fail("a zoom level without records");
        if (!write_index(f.get(), l.blocks, index_offset, uint32_t(per_block))) return fail("disk full?");
        const long after = std::ftell(f.get());
        if (after < 0 || std::fseek(f.get(), long(64 + 24 * uint64_t(i) + 8), SEEK_SET) != 0 ||
            !write_all(f.get(), &data_offset, 8) || !write_all(f.get(), &index_offset, 8) ||
            std::fseek(f.get(), after, SEEK_SET) != 0)
            return fail("disk full?");
    }
    const uint32_t signature = kSignature;
    if (!write_all(f.get(), &signature, 4) || std::fflush(f.get()) != 0) return fail("disk full?");
    const long end = std::ftell(f.get());
    if (end < 0 || ::ftruncate(::fileno(f.get()), end) != 0) return fail(std::strerror(errno));
    if (std::fclose(f.release()) != 0) return fail("disk full?");
    return {};
}

}  // namespace ms

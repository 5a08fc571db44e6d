// bigWig writing on a full disk (small tmpfs mounts): libBigWig overran its block buffer after a
// failed write (heap corruption, a crash) or reported a truncated file as written, which replaced
// the previous one. Now every size of disk gives either the whole file or a clear ENOSPC error with
// the earlier file as it was and no temporary left. Mounting needs CAP_SYS_ADMIN; without it the
// test skips (exit 77) and says why.

#include <bigWig.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "genomics/bigwig_writer.h"
#include "tests/common/harness.h"
#include "tests/common/small_disk.h"

namespace fs = std::filesystem;

namespace {

struct SmallDisk : ms::test::SmallDisk {
    explicit SmallDisk(const std::string& size)
        : ms::test::SmallDisk(fs::path(MS_TEST_BINARY_DIR) / "bigwig_full_disk_mnt", size) {}
};

constexpr int64_t kIntervals = 60000;
float value_at(int64_t i) {  // noise: compresses poorly, so the data alone takes ~500 KiB
    uint32_t x = uint32_t(i) * 2654435761u;
    x ^= x >> 15;
    return float(x % 100000) / 100000.0f - 0.5f;
}

ms::Result<void> write(const std::string& path) {
    auto w = ms::BigWigWriter::create(path, {{"chr1", 2 * kIntervals}});
    if (!w) return w.error();
    for (int64_t i = 0; i < kIntervals; ++i) MS_TRY(w->add(0, 2 * i, 2 * i + 1, value_at(i)));
    return w->commit();
}

}  // namespace

MS_TEST(bigwig_on_a_full_disk_is_whole_or_a_clear_error) {
    int failed = 0, written = 0;
    for (const char* size : {"64k", "128k", "256k", "384k", "512k", "768k", "4m"}) {
        SmallDisk disk(size);
        const std::string path = disk.dir + "/track.bw";
        { std::ofstream(path) << "the earlier export\n"; }
        const auto r = write(path);
        int files = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(disk.dir)) ++files;
        MS_CHECK_EQ(files, 1);  // no temporary left beside it
        if (!r) {
            ++failed;
            MS_CHECK_MSG(r.error().message.find("No space left on device") != std::string::npos,
                         ms::cat(size, ": ", r.error().message));
            std::ifstream in(path);
            MS_CHECK_EQ(std::string(std::istreambuf_iterator<char>(in), {}), std::string("the earlier export\n"));
            continue;
        }
        ++written;
        // Whole: every value reads back, and the zoom levels are there.
        bigWigFile_t* bw = bwOpen(path.c_str(), nullptr, "r");
        MS_CHECK_MSG(bw != nullptr, size);
        if (!bw) continue;
        MS_CHECK_MSG(bw->hdr->nLevels > 0, ms::cat(size, ": no zoom levels"));
        bwOverlappingIntervals_t* o = bwGetOverlappingIntervals(bw, "chr1", 0, uint32_t(2 * kIntervals));
        MS_CHECK_MSG(o && o->l == uint32_t(kIntervals), size);
        if (o)
            for (uint32_t i = 0; i < o->l; i += 997) MS_CHECK_EQ(o->value[i], value_at(i));
        bwDestroyOverlappingIntervals(o);
        bwClose(bw);
    }
    MS_CHECK(failed > 0 && written > 0);  // both outcomes were exercised
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

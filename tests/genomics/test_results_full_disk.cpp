// The results store on a full disk and on a read-only file system, with a 1 MiB tmpfs: a write that
// does not fit fails with a clear error, everything committed before it stays intact and readable,
// and a read-only location is named as such. Mounting needs CAP_SYS_ADMIN; without it the test
// skips (exit 77) and says why.
#include <sys/mount.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "genomics/results_store.h"
#include "genomics/track_tiles.h"
#include "tests/common/harness.h"
#include "tests/common/small_disk.h"
#include "tests/genomics/store_test_util.h"

namespace fs = std::filesystem;
using ms::ResultsStore;

namespace {

using ms::test::contains;
using ms::test::ok;

// A 1 MiB tmpfs for the test's lifetime.
struct SmallDisk : ms::test::SmallDisk {
    SmallDisk() : ms::test::SmallDisk(fs::path(MS_TEST_BINARY_DIR) / "results_full_disk_mnt", "1m") {}
};

// Noise, so each float16 tile stays ~100 KiB after zstd and the disk fills within a few tiles.
float value_at(int64_t i) {
    uint32_t x = uint32_t(i) * 2654435761u;
    x ^= x >> 15;
    return float(x % 100000) / 100000.0f;
}

}  // namespace

MS_TEST(a_full_disk_fails_clearly_and_keeps_every_committed_batch) {
    SmallDisk disk;
    const std::string path = disk.dir + "/r.db";
    const int64_t length = 64 * ms::kTilePositions;
    int64_t committed = 0;
    std::string failure;
    {
        auto store = ok(ResultsStore::open(path));
        store.set_batch_tiles(1);
        const int64_t run = ok(store.begin_run({"0.1.0", "x", "score"}));
        const int64_t seq = ok(store.add_sequence(run, {"chr1", length}));
        std::vector<float> tile(ms::kTilePositions);
        for (int64_t t = 0; t < 64; ++t) {
            for (int64_t i = 0; i < ms::kTilePositions; ++i) tile[size_t(i)] = value_at(t * ms::kTilePositions + i);
            auto r = store.write_track(run, "loglik", seq, t * ms::kTilePositions, tile.data(), ms::kTilePositions);
            if (!r) {
                failure = r.error().message;
                break;
            }
            ++committed;
        }
    }
    MS_CHECK_MSG(!failure.empty(), "64 tiles of noise fitted in 1 MiB");
    MS_CHECK_MSG(contains(failure, "cannot write results database '" + path + "': the disk is full"), failure);
    MS_CHECK_MSG(committed >= 1, "not even one tile fitted: " << failure);
    std::printf("      (%lld tiles committed before: %s)\n", static_cast<long long>(committed), failure.c_str());

    // Everything committed is there, complete and equal to what was written; nothing else is.
    auto store = ok(ResultsStore::open(path, ResultsStore::Mode::read_only));
    MS_CHECK_EQ(ok(store.integrity_check()), std::string("ok"));
    MS_CHECK_EQ(ok(store.counts()).tiles, committed * (ms::kMaxZoom + 1));
    const auto values = ok(store.read_values(1, 1, 0, committed * ms::kTilePositions));
    for (int64_t i = 0; i < committed * ms::kTilePositions; ++i)
        MS_CHECK_MSG(values[size_t(i)] == ms::round_to_half(value_at(i)), "position " << i);
}

// Commits that fit in the write-ahead log, but no room to fold the log into the file: the
// checkpoint a job runs at its end fails with the reason (jobs then say the -wal file must stay
// with the database; a merge fails rather than move its file without the log), and the committed
// tiles stay readable — from the log — while a checkpoint with room folds them in.
MS_TEST(a_checkpoint_on_a_full_disk_fails_clearly_and_loses_nothing) {
    SmallDisk disk;
    const std::string path = disk.dir + "/r.db";
    int64_t committed = 0;
    {
        auto store = ok(ResultsStore::open(path));
        store.set_batch_tiles(1);
        const int64_t run = ok(store.begin_run({"0.1.0", "x", "score"}));
        const int64_t seq = ok(store.add_sequence(run, {"chr1", 64 * ms::kTilePositions}));
        std::vector<float> tile(ms::kTilePositions);
        // Until the log holds well over half the disk: folding it into the file cannot fit.
        while (fs::file_size(path + "-wal") < 560 * 1024) {
            for (int64_t i = 0; i < ms::kTilePositions; ++i)
                tile[size_t(i)] = value_at(committed * ms::kTilePositions + i);
            ok(store.write_track(run, "loglik", seq, committed * ms::kTilePositions, tile.data(), ms::kTilePositions));
            ++committed;
        }
        ok(store.finish_run(run, ms::RunStatus::finished));
        auto folded = store.checkpoint();
        MS_CHECK_MSG(!folded, "the log (" << fs::file_size(path + "-wal") << " bytes) was folded into a full disk");
        MS_CHECK_MSG(contains(folded.error().message, "results database '" + path + "'") &&
                         contains(folded.error().message, "checkpoint"),
                     folded.error().message);
        std::printf("      (%lld tiles committed, then: %s)\n", static_cast<long long>(committed),
                    folded.error().message.c_str());
    }
    auto check = [&] {
        auto r = ok(ResultsStore::open(path, ResultsStore::Mode::read_only));
        MS_CHECK(ok(r.list_runs()).at(0).status == ms::RunStatus::finished);
        const auto values = ok(r.read_values(1, 1, 0, committed * ms::kTilePositions));
        for (int64_t i = 0; i < committed * ms::kTilePositions; ++i)
            MS_CHECK_MSG(values[size_t(i)] == ms::round_to_half(value_at(i)), "position " << i);
    };
    check();
    // With room again (the mount grown), a checkpoint folds the log in: the file alone holds it.
    MS_CHECK(mount(nullptr, disk.dir.c_str(), nullptr, MS_REMOUNT, "size=8m") == 0);
    {
        auto store = ok(ResultsStore::open(path));
        MS_CHECK(ok(store.checkpoint()));
    }
    MS_CHECK(!fs::exists(path + "-wal") || fs::file_size(path + "-wal") == 0);
    check();
}

MS_TEST(a_read_only_location_is_named_and_still_browsable) {
    SmallDisk disk;
    const std::string path = disk.dir + "/r.db";
    {
        auto store = ok(ResultsStore::open(path));
        const int64_t run = ok(store.begin_run({"0.1.0", "x", "score"}));
        ok(store.finish_run(run, ms::RunStatus::finished));
    }
    MS_CHECK(mount(nullptr, disk.dir.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, "size=1m") == 0);
    auto w = ResultsStore::open(path);
    MS_CHECK(!w);
    MS_CHECK_MSG(contains(w.error().message, "'" + path + "'") && contains(w.error().message, "read-only"),
                 w.error().message);
    auto created = ResultsStore::open(disk.dir + "/new.db");
    MS_CHECK(!created);
    MS_CHECK_MSG(contains(created.error().message, "new.db"), created.error().message);
    // Browsing a finished analysis on read-only media (a DVD, a read-only share) works.
    auto r = ok(ResultsStore::open(path, ResultsStore::Mode::read_only));
    MS_CHECK_EQ(ok(r.list_runs()).size(), 1u);
}

// Commits still in the write-ahead log, on read-only media (a copy taken while a job wrote, or after
// a checkpoint failed on a full disk): with the -shm file beside it the log is read — its runs were
// missing without a word when the file was opened as immutable — and without it the error says
// why and what to do, instead of showing an older state or calling the file damaged.
MS_TEST(commits_in_the_log_are_read_on_a_read_only_mount) {
    SmallDisk disk;
    const std::string live = disk.dir + "/live", with_shm = disk.dir + "/with_shm", no_shm = disk.dir + "/no_shm";
    for (const std::string& d : {live, with_shm, no_shm}) fs::create_directories(d);
    std::vector<float> tile(ms::kTilePositions);
    for (int64_t i = 0; i < ms::kTilePositions; ++i) tile[size_t(i)] = value_at(i);
    {
        auto store = ok(ResultsStore::open(live + "/r.db"));
        store.set_batch_tiles(1);
        const int64_t run = ok(store.begin_run({"0.1.0", "x", "score"}));
        const int64_t seq = ok(store.add_sequence(run, {"chr1", ms::kTilePositions}));
        ok(store.write_track(run, "loglik", seq, 0, tile.data(), ms::kTilePositions));
        ok(store.finish_run(run, ms::RunStatus::finished));
        // Copied while the writer still has it open: the commits are in the log, not the file.
        MS_CHECK(fs::file_size(live + "/r.db-wal") > 0);
        for (const char* suffix : {"", "-wal", "-shm"}) fs::copy_file(live + "/r.db" + suffix, with_shm + "/r.db" + suffix);
        for (const char* suffix : {"", "-wal"}) fs::copy_file(live + "/r.db" + suffix, no_shm + "/r.db" + suffix);
    }
    MS_CHECK(mount(nullptr, disk.dir.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, "size=1m") == 0);
    auto r = ok(ResultsStore::open(with_shm + "/r.db", ResultsStore::Mode::read_only));
    const auto runs = ok(r.list_runs());
    MS_CHECK_EQ(runs.size(), 1u);
    MS_CHECK(runs.at(0).status == ms::RunStatus::finished);
    const auto values = ok(r.read_values(1, 1, 0, ms::kTilePositions));
    for (int64_t i = 0; i < ms::kTilePositions; ++i)
        MS_CHECK_MSG(values[size_t(i)] == ms::round_to_half(value_at(i)), "position " << i);
    auto refused = ResultsStore::open(no_shm + "/r.db", ResultsStore::Mode::read_only);
    MS_CHECK(!refused);
    if (!refused)
        MS_CHECK_MSG(contains(refused.error().message, no_shm + "/r.db-wal") &&
                         contains(refused.error().message, "'-shm' file, which is missing"),
                     refused.error().message);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

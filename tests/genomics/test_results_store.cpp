// The SQLite results store: float16 tiles and their zoom summaries, idempotent rewrites, window reads
// at several resolutions, clear errors for foreign or corrupt files, readers beside an open write
// transaction, and a writer killed with SIGKILL at random moments.
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "genomics/results_store.h"
#include "genomics/track_tiles.h"
#include "tests/common/harness.h"
#include "tests/genomics/store_test_util.h"

namespace fs = std::filesystem;
using ms::ResultsStore;

namespace {

using ms::test::contains;
using ms::test::ok;

const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string fresh_db(const std::string& name) { return ms::test::fresh_db("results_store_tmp", name); }


// Values with the range of a probability track, NaN at position 0 (no prediction for the first
// base, as the engine's heads do), every 997th position, and over one whole 4096-position bin.
std::vector<float> track_values(int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[size_t(i)] = 0.25f + 0.2f * std::sin(float(i) * 0.01f) + 0.05f * u(rng);
    for (int64_t i = 0; i < n; i += 997) v[size_t(i)] = kNaN;
    for (int64_t i = 8192; i < std::min<int64_t>(n, 8192 + 4096); ++i) v[size_t(i)] = kNaN;
    return v;
}

// Stored float16 must be the value rounded to nearest: relative error at most 2^-11 (half an ulp
// of an 11-bit significand) in the normal range.
void check_half_of(float got, float want, int64_t pos) {
    if (std::isnan(want)) {
        MS_CHECK_MSG(std::isnan(got), "position " << pos << ": NaN became " << got);
        return;
    }
    MS_CHECK_MSG(got == ms::round_to_half(want), "position " << pos << ": got " << got << " for " << want);
    MS_CHECK_MSG(std::fabs(got - want) <= std::ldexp(std::fabs(want), -11),
                 "position " << pos << ": " << got << " vs " << want);
}

struct Direct {
    double mean;
    float min, max;
    int64_t count;
};
Direct direct(const std::vector<float>& v, int64_t b, int64_t e) {
    Direct d{0, INFINITY, -INFINITY, 0};
    for (int64_t i = b; i < e; ++i) {
        const float x = v[size_t(i)];
        if (std::isnan(x)) continue;
        d.mean += x;
        d.min = std::min(d.min, x);
        d.max = std::max(d.max, x);
        ++d.count;
    }
    if (d.count) d.mean /= double(d.count);
    return d;
}

// A bin against values computed directly: min/max are the float16 of the exact extremes; the mean
// is stored as float16 of a double mean, so it is within 2^-11 relative, plus 2^-11 relative again
// where two float16 summaries are merged into one bin.
void check_bin(const ms::TrackBin& bin, const Direct& d, const char* what) {
    if (d.count == 0) {
        MS_CHECK_MSG(std::isnan(bin.mean) && std::isnan(bin.min) && std::isnan(bin.max),
                     what << " bin " << bin.begin << "-" << bin.end << " has no values but mean " << bin.mean);
        return;
    }
    MS_CHECK_MSG(bin.min == ms::round_to_half(d.min),
                 what << " bin " << bin.begin << "-" << bin.end << ": min " << bin.min << " vs " << d.min);
    MS_CHECK_MSG(bin.max == ms::round_to_half(d.max),
                 what << " bin " << bin.begin << "-" << bin.end << ": max " << bin.max << " vs " << d.max);
    MS_CHECK_MSG(std::fabs(bin.mean - d.mean) <= std::ldexp(std::fabs(d.mean), -10),
                 what << " bin " << bin.begin << "-" << bin.end << ": mean " << bin.mean << " vs " << d.mean);
}

struct Written {
    std::string path;
    int64_t run = 0, seq = 0, track = 0, length = 0;
    std::vector<float> values;
};

// A run with one sequence of 3 full tiles and a partial one, written in chunks that straddle tiles.
Written write_example(const std::string& name) {
    Written w;
    w.path = fresh_db(name);
    w.length = 3 * ms::kTilePositions + 12345;
    w.values = track_values(w.length, 7);
    auto store = ok(ResultsStore::open(w.path));
    w.run = ok(store.begin_run(
        {"0.1.0", "abc123", "mambascope-cli score x.fa", R"({"chunk": 10007})", "tiny", "00ff", "cpu", "fp32"}));
    w.seq = ok(store.add_sequence(w.run, {"chrT", w.length, "d41d8cd98f00b204e9800998ecf8427e", "x.fa"}));
    for (int64_t p = 0; p < w.length; p += 10007) {
        const int64_t n = std::min<int64_t>(10007, w.length - p);
        ok(store.write_track(w.run, "prob_A", w.seq, p, w.values.data() + p, n));
    }
    ok(store.finish_run(w.run, ms::RunStatus::finished));
    w.track = ok(store.find_track(w.run, "prob_A"));
    return w;
}

int64_t count_rows(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    MS_CHECK(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

}  // namespace

MS_TEST(float16_conversion_rounds_to_nearest_even) {
    MS_CHECK_EQ(ms::float_to_half(1.0f), 0x3c00);
    MS_CHECK_EQ(ms::float_to_half(-2.0f), 0xc000);
    MS_CHECK_EQ(ms::float_to_half(65504.0f), 0x7bff);
    MS_CHECK_EQ(ms::float_to_half(65520.0f), 0x7c00);                          // halfway to 2^16 rounds to even: inf
    MS_CHECK_EQ(ms::float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie, to even
    MS_CHECK_EQ(ms::float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie, to even (up)
    MS_CHECK_EQ(ms::float_to_half(std::ldexp(1.0f, -24)), 0x0001);             // smallest subnormal
    MS_CHECK_EQ(ms::float_to_half(std::ldexp(1.0f, -26)), 0x0000);
    MS_CHECK(std::isnan(ms::half_to_float(ms::float_to_half(kNaN))));
    MS_CHECK(std::isinf(ms::half_to_float(ms::float_to_half(-INFINITY))));
    for (uint32_t h = 0; h < 0x7c00; ++h) MS_CHECK_EQ(ms::float_to_half(ms::half_to_float(uint16_t(h))), h);
}

MS_TEST(one_pass_zoom_summaries_equal_per_zoom_summaries) {
    for (int64_t n : {int64_t(1), int64_t(17), int64_t(4097), int64_t(12345), ms::kTilePositions}) {
        const std::vector<float> v = track_values(n, 3);
        const auto all = ms::summarize_zooms(v.data(), n);
        MS_CHECK_EQ(all.size(), size_t(ms::kMaxZoom));
        for (int zoom = 1; zoom <= ms::kMaxZoom; ++zoom) {
            const ms::ZoomSummary one = ms::summarize(v.data(), n, zoom);
            const ms::ZoomSummary& z = all[size_t(zoom - 1)];
            MS_CHECK_EQ(z.size(), size_t(ms::zoom_bins(n, zoom)));
            for (size_t b = 0; b < one.size(); ++b) {
                const std::string where = ms::cat("n ", n, " zoom ", zoom, " bin ", b);
                MS_CHECK_MSG(z.count[b] == one.count[b], where);
                MS_CHECK_MSG((std::isnan(one.min[b]) && std::isnan(z.min[b])) || z.min[b] == one.min[b], where);
                MS_CHECK_MSG((std::isnan(one.max[b]) && std::isnan(z.max[b])) || z.max[b] == one.max[b], where);
                // Both divide a double sum; only the order of additions differs.
                MS_CHECK_MSG((std::isnan(one.mean[b]) && std::isnan(z.mean[b])) ||
                                 std::fabs(z.mean[b] - one.mean[b]) <= 1e-6f * std::fabs(one.mean[b]),
                             where);
            }
        }
    }
}

MS_TEST(track_round_trip_over_several_tiles_keeps_float16_values_and_nan) {
    const Written w = write_example("round_trip");
    auto store = ok(ResultsStore::open(w.path, ResultsStore::Mode::read_only));
    const std::vector<float> got = ok(store.read_values(w.track, w.seq, 0, w.length));
    MS_CHECK_EQ(got.size(), w.values.size());
    for (int64_t i = 0; i < w.length; ++i) check_half_of(got[size_t(i)], w.values[size_t(i)], i);
    // 4 tiles (the last one partial) at 4 zooms each.
    MS_CHECK_EQ(count_rows(w.path, "SELECT count(*) FROM track_tiles"), 16);
    MS_CHECK_EQ(count_rows(w.path, "SELECT n FROM track_tiles WHERE zoom = 2 AND tile_index = 3"), 12345);
    MS_CHECK_EQ(ok(store.integrity_check()), std::string("ok"));
    const auto runs = ok(store.list_runs());
    MS_CHECK_EQ(runs.size(), 1u);
    MS_CHECK_EQ(std::string(ms::to_string(runs[0].status)), std::string("finished"));
    MS_CHECK_EQ(runs[0].info.params_json, std::string(R"({"chunk": 10007})"));
    MS_CHECK(!runs[0].finished_at.empty());
}

MS_TEST(zoom_summaries_equal_directly_computed_mean_min_max) {
    const Written w = write_example("zooms");
    auto store = ok(ResultsStore::open(w.path, ResultsStore::Mode::read_only));
    // A window of whole tiles read with as many bins as zoom z has there: zoom z is then the
    // coarsest with enough bins, and each bin is one stored summary bin.
    for (int zoom = 0; zoom <= ms::kMaxZoom; ++zoom) {
        const int64_t bs = ms::zoom_bin_size(zoom), begin = ms::kTilePositions, end = 3 * ms::kTilePositions;
        const auto bins = ok(store.read_track(w.track, w.seq, begin, end, int((end - begin) / bs)));
        MS_CHECK_EQ(int64_t(bins.size()), (end - begin) / bs);
        for (const ms::TrackBin& b : bins) {
            MS_CHECK_EQ(b.end - b.begin, bs);
            check_bin(b, direct(w.values, b.begin, b.end), "zoom");
        }
    }
    // The all-NaN 4096-position bin stays NaN at zoom 3 (and is not mistaken for zeros).
    const auto bins = ok(store.read_track(w.track, w.seq, 0, ms::kTilePositions, 16));
    MS_CHECK_EQ(bins.size(), 16u);
    MS_CHECK(std::isnan(bins[2].mean) && std::isnan(bins[2].min));
    MS_CHECK(!std::isnan(bins[1].mean));
}

MS_TEST(rewriting_a_tile_is_idempotent_and_partial_writes_keep_the_rest) {
    const Written w = write_example("idempotent");
    const int64_t rows = count_rows(w.path, "SELECT count(*) FROM track_tiles");
    {
        auto store = ok(ResultsStore::open(w.path));
        // A resumed job writes tile 1 again, in a new process (a new connection, empty buffers).
        ok(store.write_track(w.run, "prob_A", w.seq, ms::kTilePositions, w.values.data() + ms::kTilePositions,
                             ms::kTilePositions));
        ok(store.flush());
        ok(store.write_track(w.run, "prob_A", w.seq, ms::kTilePositions, w.values.data() + ms::kTilePositions,
                             ms::kTilePositions));
        ok(store.flush());
    }
    MS_CHECK_EQ(count_rows(w.path, "SELECT count(*) FROM track_tiles"), rows);
    MS_CHECK_EQ(ok(ResultsStore::open(w.path)).list_tracks(w.run)->size(), 1u);

    // Changing 10 positions inside tile 2 changes those only: the rest of the tile is read back
    // from the database before the tile is rewritten.
    std::vector<float> expect = w.values;
    {
        auto store = ok(ResultsStore::open(w.path));
        const std::vector<float> ten(10, 0.75f);
        const int64_t at = 2 * ms::kTilePositions + 500;
        ok(store.write_track(w.run, "prob_A", w.seq, at, ten.data(), 10));
        ok(store.flush());
        std::copy(ten.begin(), ten.end(), expect.begin() + at);
    }
    auto store = ok(ResultsStore::open(w.path, ResultsStore::Mode::read_only));
    MS_CHECK_EQ(count_rows(w.path, "SELECT count(*) FROM track_tiles"), rows);
    const std::vector<float> got = ok(store.read_values(w.track, w.seq, 0, w.length));
    for (int64_t i = 0; i < w.length; ++i) check_half_of(got[size_t(i)], expect[size_t(i)], i);
    // The summaries were rewritten with the tile.
    const auto bins = ok(store.read_track(w.track, w.seq, 2 * ms::kTilePositions, 3 * ms::kTilePositions, 4096));
    check_bin(bins[31], direct(expect, bins[31].begin, bins[31].end), "rewritten");
}

MS_TEST(window_reads_return_at_most_max_bins_covering_the_window) {
    const Written w = write_example("windows");
    auto store = ok(ResultsStore::open(w.path, ResultsStore::Mode::read_only));
    std::mt19937 rng(11);
    std::uniform_int_distribution<int64_t> pos(0, w.length - 1);
    struct Window {
        int64_t begin, end;
    };
    std::vector<Window> windows = {{0, w.length}, {5, 17}, {65530, 65542}, {w.length - 1, w.length}, {100, 100000}};
    for (int i = 0; i < 20; ++i) {
        int64_t a = pos(rng), b = pos(rng);
        if (a > b) std::swap(a, b);
        windows.push_back({a, b + 1});
    }
    for (const Window& win : windows) {
        for (int max_bins : {1, 7, 100, 2000}) {
            const auto bins = ok(store.read_track(w.track, w.seq, win.begin, win.end, max_bins));
            const std::string where = ms::cat("window ", win.begin, "-", win.end, " max_bins ", max_bins);
            MS_CHECK_MSG(!bins.empty() && int(bins.size()) <= max_bins, where << ": " << bins.size() << " bins");
            MS_CHECK_MSG(bins.front().begin == win.begin && bins.back().end == win.end, where);
            // The zoom the contract picks, to know which stored bins each output bin merged.
            int zoom = 0;
            for (int z = ms::kMaxZoom; z > 0 && !zoom; --z)
                if ((win.end - win.begin) / ms::zoom_bin_size(z) >= max_bins) zoom = z;
            const int64_t bs = ms::zoom_bin_size(zoom);
            for (size_t j = 0; j < bins.size(); ++j) {
                MS_CHECK_MSG(bins[j].begin < bins[j].end, where);
                if (j) MS_CHECK_MSG(bins[j].begin == bins[j - 1].end, where << ": gap before bin " << j);
                const int64_t b = bins[j].begin / bs * bs, e = std::min(w.length, (bins[j].end + bs - 1) / bs * bs);
                check_bin(bins[j], direct(w.values, b, e), where.c_str());
            }
        }
    }
    // A window past the sequence is clipped; one that starts beyond it is an error.
    MS_CHECK_EQ(ok(store.read_track(w.track, w.seq, w.length - 10, w.length + 1000, 100)).back().end, w.length);
    MS_CHECK(!store.read_track(w.track, w.seq, w.length + 5, w.length + 10, 10));
}

MS_TEST(writes_outside_the_sequence_or_run_are_refused) {
    const std::string path = fresh_db("refused");
    auto store = ok(ResultsStore::open(path));
    const int64_t run = ok(store.begin_run({"0.1.0", "abc", "test"}));
    const int64_t other = ok(store.begin_run({"0.1.0", "abc", "test"}));
    const int64_t seq = ok(store.add_sequence(run, {"chr1", 1000}));
    MS_CHECK_EQ(ok(store.add_sequence(run, {"chr1", 1000})), seq);  // a resumed job adds it again
    MS_CHECK(!store.add_sequence(run, {"chr1", 999}));
    const std::vector<float> v(20, 1.0f);
    auto r = store.write_track(run, "loglik", seq, 990, v.data(), 20);
    MS_CHECK(!r);
    MS_CHECK_MSG(r.error().message.find("outside sequence 'chr1' (0-1000)") != std::string::npos, r.error().message);
    MS_CHECK(!store.write_track(other, "loglik", seq, 0, v.data(), 20));
    MS_CHECK(!store.add_sequence(12345, {"chr2", 10}));
    MS_CHECK(!store.finish_run(12345, ms::RunStatus::failed));
}

// Sequences added together (score's window of short records): ids in their order, listed in it,
// an existing one reused as add_sequence reuses it; one bad sequence adds none of the batch, and
// the writer still knows the added ones as empty (their tiles are written without a lookup).
MS_TEST(sequences_added_together_all_or_none) {
    const std::string kEmptyMd5 = "d41d8cd98f00b204e9800998ecf8427e";
    const std::string path = fresh_db("together");
    auto store = ok(ResultsStore::open(path));
    const int64_t run = ok(store.begin_run({"0.1.0", "abc", "test"}));
    const int64_t old = ok(store.add_sequence(run, {"b", 20}));
    const std::vector<ms::SequenceInfo> bad = {{"x", 10}, {"b", 21}};
    auto r = store.add_sequences(run, bad);
    MS_CHECK(!r);
    MS_CHECK_MSG(contains(r.error().message, "already has sequence 'b' with length 20, not 21"), r.error().message);
    MS_CHECK_EQ(ok(store.list_sequences(run)).size(), size_t(1));  // not x either
    std::vector<ms::SequenceInfo> good = {{"c", 30}, {"a", 10}, {"b", 20}};
    good[1].md5 = kEmptyMd5;
    const std::vector<int64_t> ids = ok(store.add_sequences(run, good));
    MS_CHECK_EQ(ids.size(), size_t(3));
    MS_CHECK_EQ(ids[2], old);
    MS_CHECK(ids[0] < ids[1] && ids[0] != old && ids[1] != old);
    const std::vector<ms::StoredSequence> listed = ok(store.list_sequences(run));
    MS_CHECK_EQ(listed.size(), size_t(3));
    MS_CHECK(listed[0].info.name == "b" && listed[1].info.name == "c" && listed[2].info.name == "a");
    MS_CHECK_EQ(listed[2].info.md5, kEmptyMd5);
    const std::vector<float> v(30, 0.5f);
    ok(store.write_track(run, "loglik", ids[0], 0, v.data(), 30));
    ok(store.flush());
    const int64_t track = ok(store.find_track(run, "loglik"));
    MS_CHECK(ok(store.read_values(track, ids[0], 0, 30)) == v);
    MS_CHECK(!store.add_sequences(12345, good));
    MS_CHECK(ok(store.add_sequences(run, {})).empty());
}

// Parts recorded complete together (score's many short records): one call stores every buffered
// tile first, then the parts and the sequences they finish; a bad part in the batch records none
// of the batch, and the tiles stay stored.
MS_TEST(parts_marked_complete_together_after_their_tiles) {
    const std::string path = fresh_db("complete");
    auto store = ok(ResultsStore::open(path));
    const int64_t run = ok(store.begin_run({"0.1.0", "abc", "test"}));
    const int64_t a = ok(store.add_sequence(run, {"a", 300})), b = ok(store.add_sequence(run, {"b", 50}));
    const std::vector<float> v(300, 0.25f);
    ok(store.write_track(run, "loglik", a, 0, v.data(), 300));  // partial tiles: buffered
    ok(store.write_track(run, "loglik", b, 0, v.data(), 50));
    ok(store.mark_complete(std::vector<ms::CompletedPart>{}));  // nothing to record
    // The tiles and the completions go in one transaction: a call that fails stores neither, and
    // the tiles stay with the writer for the next call.
    const std::vector<ms::CompletedPart> bad = {{a, 0, 150, false}, {b, 0, 51, true}};
    MS_CHECK(!store.mark_complete(bad));
    auto reader = ok(ResultsStore::open(path, ResultsStore::Mode::read_only));
    MS_CHECK(ok(reader.list_complete_parts(run)).empty());
    const int64_t track = ok(reader.find_track(run, "loglik"));
    for (float x : ok(reader.read_values(track, b, 0, 50))) MS_CHECK(std::isnan(x));
    MS_CHECK(ok(store.read_values(track, b, 0, 50)) == std::vector<float>(50, 0.25f));  // the writer's own
    const std::vector<ms::CompletedPart> good = {{a, 0, 150, false}, {b, 0, 50, true}, {a, 150, 300, true}};
    ok(store.mark_complete(good));
    MS_CHECK(ok(reader.list_complete_parts(run)) ==
             (std::vector<ms::StoredPart>{{a, 0, 150}, {a, 150, 300}, {b, 0, 50}}));
    MS_CHECK(ok(reader.read_values(track, a, 0, 300)) == std::vector<float>(300, 0.25f));
    MS_CHECK(ok(reader.read_values(track, b, 0, 50)) == std::vector<float>(50, 0.25f));
    for (const ms::StoredSequence& s : ok(reader.list_sequences(run))) MS_CHECK_MSG(s.complete, s.info.name);
}

// A writer reads its own tiles not yet stored as they will read once stored (score merges a
// part's strands this way), and never as the raw floats it was given.
MS_TEST(writer_reads_its_unstored_tiles_as_stored) {
    const std::string path = fresh_db("own_tiles");
    auto store = ok(ResultsStore::open(path));
    const int64_t run = ok(store.begin_run({"0.1.0", "abc", "test"}));
    const int64_t seq = ok(store.add_sequence(run, {"s", 1000}));
    ok(store.create_track(run, "q", ms::TrackEncoding::quantized8(0, 1)));
    const std::vector<float> v = track_values(1000, 5);
    for (const char* name : {"f", "q"}) ok(store.write_track(run, name, seq, 100, v.data(), 600));
    const int64_t f = ok(store.find_track(run, "f")), q = ok(store.find_track(run, "q"));
    const std::vector<float> mine_f = ok(store.read_values(f, seq, 50, 800)),
                             mine_q = ok(store.read_values(q, seq, 50, 800));
    auto reader = ok(ResultsStore::open(path, ResultsStore::Mode::read_only));
    for (float x : ok(reader.read_values(f, seq, 50, 800))) MS_CHECK(std::isnan(x));  // nothing stored yet
    for (int64_t i = 50; i < 800; ++i) {
        const bool written = i >= 100 && i < 700;
        const float want_f = written ? ms::round_to_half(v[size_t(i - 100)]) : kNaN;
        const float want_q = written ? ms::round_trip(ms::TrackEncoding::quantized8(0, 1), v[size_t(i - 100)]) : kNaN;
        const float got_f = mine_f[size_t(i - 50)], got_q = mine_q[size_t(i - 50)];
        MS_CHECK_MSG(std::isnan(want_f) ? std::isnan(got_f) : got_f == want_f, "f16 position " << i << ": " << got_f);
        MS_CHECK_MSG(std::isnan(want_q) ? std::isnan(got_q) : got_q == want_q, "q8 position " << i << ": " << got_q);
    }
    ok(store.flush());
    const std::vector<float> stored_f = ok(reader.read_values(f, seq, 50, 800)),
                             stored_q = ok(reader.read_values(q, seq, 50, 800));
    for (size_t i = 0; i < stored_f.size(); ++i) {
        MS_CHECK(std::isnan(stored_f[i]) ? std::isnan(mine_f[i]) : stored_f[i] == mine_f[i]);
        MS_CHECK(std::isnan(stored_q[i]) ? std::isnan(mine_q[i]) : stored_q[i] == mine_q[i]);
    }
}

// A sequence the writer just added holds no tiles, so its first tiles are not looked for; once
// one of its tiles is stored, writing part of that tile again keeps the rest.
MS_TEST(rewriting_part_of_a_stored_tile_of_a_new_sequence_keeps_the_rest) {
    const std::string path = fresh_db("new_sequence_rewrite");
    auto store = ok(ResultsStore::open(path));
    store.set_batch_tiles(1);
    const int64_t run = ok(store.begin_run({"0.1.0", "abc", "test"}));
    const int64_t seq = ok(store.add_sequence(run, {"s", 70000}));
    const std::vector<float> ones(ms::kTilePositions, 1.0f), twos(10, 2.0f);
    ok(store.write_track(run, "t", seq, 0, ones.data(), ms::kTilePositions));  // tile 0 full: stored
    auto reader = ok(ResultsStore::open(path, ResultsStore::Mode::read_only));
    const int64_t t = ok(reader.find_track(run, "t"));
    MS_CHECK(ok(reader.read_values(t, seq, 0, ms::kTilePositions)) == ones);
    ok(store.write_track(run, "t", seq, 0, twos.data(), 10));
    ok(store.flush());
    const std::vector<float> got = ok(reader.read_values(t, seq, 0, ms::kTilePositions));
    MS_CHECK_EQ(got.size(), size_t(ms::kTilePositions));
    for (size_t i = 0; i < got.size(); ++i) MS_CHECK_MSG(got[i] == (i < 10 ? 2.0f : 1.0f), "position " << i);
}

// A complete tile written again before its batch is stored: the later values are stored, the
// rest kept (a writer that encodes complete tiles ahead of their batch must encode them again).
MS_TEST(a_complete_tile_written_again_before_it_is_stored_stores_the_later_values) {
    const std::string path = fresh_db("complete_tile_rewritten");
    auto store = ok(ResultsStore::open(path));
    const int64_t run = ok(store.begin_run({"0.1.0", "abc", "test"}));
    const int64_t seq = ok(store.add_sequence(run, {"s", 70000}));
    const std::vector<float> ones(ms::kTilePositions, 1.0f), twos(10, 2.0f), threes(5, 3.0f);
    ok(store.write_track(run, "t", seq, 0, ones.data(), ms::kTilePositions));  // complete, not yet stored
    ok(store.write_track(run, "t", seq, 100, twos.data(), 10));
    ok(store.write_track(run, "t", seq, 65000, threes.data(), 5));
    ok(store.flush());
    auto reader = ok(ResultsStore::open(path, ResultsStore::Mode::read_only));
    const int64_t t = ok(reader.find_track(run, "t"));
    const std::vector<float> got = ok(reader.read_values(t, seq, 0, ms::kTilePositions));
    MS_CHECK_EQ(got.size(), size_t(ms::kTilePositions));
    for (size_t i = 0; i < got.size(); ++i) {
        const float want = i >= 100 && i < 110 ? 2.0f : i >= 65000 && i < 65005 ? 3.0f : 1.0f;
        MS_CHECK_MSG(got[i] == want, "position " << i << ": " << got[i]);
    }
}

// Batches are counted in positions, not tiles: the tiles of short sequences wait until they hold
// as many positions as full tiles would.
MS_TEST(short_sequences_tiles_batched_by_positions) {
    const std::string path = fresh_db("batched_by_positions");
    auto store = ok(ResultsStore::open(path));
    store.set_batch_tiles(1);  // 65,536 positions a batch
    const int64_t run = ok(store.begin_run({"0.1.0", "abc", "test"}));
    const std::vector<float> v(30000, 0.5f);
    std::vector<int64_t> seqs;
    auto reader = ok(ResultsStore::open(path, ResultsStore::Mode::read_only));
    for (int i = 0; i < 3; ++i) {
        seqs.push_back(ok(store.add_sequence(run, {ms::cat("s", i), 30000})));
        ok(store.write_track(run, "t", seqs.back(), 0, v.data(), 30000));
        const int64_t t = ok(reader.find_track(run, "t"));
        for (int64_t s : seqs) {  // two tiles of 30,000 wait; the third makes 90,000 and all go
            const std::vector<float> got = ok(reader.read_values(t, s, 0, 30000));
            MS_CHECK_MSG(i < 2 ? std::isnan(got[0]) : got == v, "after sequence " << i << ", sequence " << s);
        }
    }
}

MS_TEST(garbage_and_foreign_files_are_named_in_clear_errors) {
    const std::string garbage = fresh_db("garbage");
    {
        std::ofstream f(garbage, std::ios::binary);
        for (int i = 0; i < 300; ++i) f << "this is not a database, it is a FASTA file perhaps\n";
    }
    for (auto mode : {ResultsStore::Mode::read_write, ResultsStore::Mode::read_only}) {
        auto r = ResultsStore::open(garbage, mode);
        MS_CHECK(!r);
        MS_CHECK_MSG(r.error().message.find("'" + garbage + "' is not a MambaScope results database (") == 0,
                     r.error().message);
    }
    // The garbage is left as it was: opening never writes to a file that is not ours.
    MS_CHECK(!ms::looks_like_sqlite(garbage));

    const std::string foreign = fresh_db("foreign");
    sqlite3* db = nullptr;
    MS_CHECK(sqlite3_open(foreign.c_str(), &db) == SQLITE_OK);
    MS_CHECK(sqlite3_exec(db, "CREATE TABLE photos (id INTEGER)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto r = ResultsStore::open(foreign);
    MS_CHECK(!r);
    MS_CHECK_MSG(r.error().message.find("is not a MambaScope results database (it is an SQLite database of another "
                                        "application") != std::string::npos &&
                     r.error().message.find("'photos'") != std::string::npos,
                 r.error().message);

    auto missing = ResultsStore::open("/nonexistent/folder/r.db");
    MS_CHECK(!missing);
    MS_CHECK_MSG(missing.error().message.find("'/nonexistent/folder/r.db'") != std::string::npos,
                 missing.error().message);
    auto missing_ro = ResultsStore::open(fresh_db("never_made"), ResultsStore::Mode::read_only);
    MS_CHECK(!missing_ro);
    MS_CHECK_MSG(missing_ro.error().message.find("No such file") != std::string::npos, missing_ro.error().message);
    // --db '' said SQLite refused WAL mode (found in review).
    for (auto mode : {ResultsStore::Mode::read_write, ResultsStore::Mode::read_only}) {
        auto empty = ResultsStore::open("", mode);
        MS_CHECK(!empty);
        MS_CHECK_EQ(empty.error().message, std::string("no results database given (the path is empty)"));
    }
}

MS_TEST(a_reader_opens_and_reads_while_a_writer_holds_a_transaction) {
    const Written w = write_example("concurrent");
    // A second writer connection takes the write lock and keeps its transaction open.
    sqlite3* writer = nullptr;
    MS_CHECK(sqlite3_open(w.path.c_str(), &writer) == SQLITE_OK);
    MS_CHECK(sqlite3_exec(writer,
                          "BEGIN IMMEDIATE; INSERT INTO runs (tool_version, git_revision, command, started_at, "
                          "status) VALUES ('0', '0', 'x', 'now', 'running'); DELETE FROM track_tiles WHERE zoom = 0;",
                          nullptr, nullptr, nullptr) == SQLITE_OK);
    const auto t0 = std::chrono::steady_clock::now();
    {
        auto reader = ok(ResultsStore::open(w.path, ResultsStore::Mode::read_only));
        MS_CHECK_EQ(ok(reader.list_runs()).size(), 1u);  // the uncommitted run is not seen
        const auto values = ok(reader.read_values(w.track, w.seq, 0, 1000));
        check_half_of(values[1], w.values[1], 1);
        MS_CHECK_EQ(ok(reader.counts()).tiles, 16);
        MS_CHECK(!reader.begin_run({}));  // read-only means read-only
    }
    // Readers in WAL mode do not wait for the writer at all (far below the 5 s busy timeout).
    MS_CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
    MS_CHECK(sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(writer);
}

// Pages overwritten in the middle of the file: reads that meet them say the file is damaged and
// what to do (a message quoted the SELECT that met the page), and the integrity check reports
// every step it could run instead of stopping at the first broken read (found in review).
MS_TEST(damaged_pages_are_named_and_the_check_goes_on) {
    const Written w = write_example("damaged_pages");
    const auto size = std::filesystem::file_size(w.path);
    {
        std::fstream f(w.path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(std::streamoff(size / 3));
        const std::string junk(4000, '\xab');
        f.write(junk.data(), std::streamsize(junk.size()));
    }
    auto store = ResultsStore::open(w.path, ResultsStore::Mode::read_only);
    MS_CHECK_MSG(store.ok(), store.error().message);
    if (!store) return;
    auto counts = store->counts();
    auto values = store->read_values(w.track, w.seq, 0, w.length);
    const std::string failed = !counts ? counts.error().message : !values ? values.error().message : "";
    MS_CHECK_MSG(contains(failed,
                          "' is damaged (SQLite: database disk image is malformed): restore the file from a "
                          "copy, or export what still reads (`mambascope-cli info ") ||
                     contains(failed, "does not decode"),
                 "read without an error, or: " << failed);
    MS_CHECK(!contains(failed, "SELECT"));
    auto report = store->integrity_check();
    MS_CHECK_MSG(report.ok() && *report != "ok", (report ? *report : report.error().message));
}

// An empty file: one a job has just created is "not yet" a database (a reader may try again); one
// older than a minute is named as an empty file, with what to do (it said "try again in a moment"
// of a `touch`ed file; found in review). A writer makes a database of it.
MS_TEST(an_empty_file_is_named_by_its_age) {
    const std::string path = fresh_db("empty_file");
    std::ofstream(path).close();
    auto fresh = ResultsStore::open(path, ResultsStore::Mode::read_only);
    MS_CHECK(!fresh && fresh.error().retryable && contains(fresh.error().message, "holds no results yet"));
    const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::minutes(5);
    std::filesystem::last_write_time(path, old);
    auto stale = ResultsStore::open(path, ResultsStore::Mode::read_only);
    MS_CHECK_MSG(!stale && !stale.error().retryable &&
                     stale.error().message == "'" + path +
                                                  "' is an empty file (0 bytes), not a MambaScope results "
                                                  "database: delete it, or name it as a job's --db, which "
                                                  "then creates the database there",
                 (stale ? std::string("opened") : stale.error().message));
    MS_CHECK(ResultsStore::open(path).ok());
    MS_CHECK(ResultsStore::open(path, ResultsStore::Mode::read_only).ok());
}

// A reader leaves no -wal and -shm beside the database when it may write both (every `info` and
// `export` left them: a read-only connection never folds and removes them; found in review), and
// still cannot write (the store's own mode check; PRAGMA query_only holds its connection to reading
// as well); one that may not (a write-protected file) still reads.
MS_TEST(a_reader_leaves_no_log_files_behind) {
    const Written w = write_example("reader_logs");
    for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(w.path + suffix);
    {
        auto reader = ok(ResultsStore::open(w.path, ResultsStore::Mode::read_only));
        MS_CHECK_EQ(ok(reader.list_runs()).size(), 1u);
        MS_CHECK(std::filesystem::exists(w.path + "-shm"));  // WAL mode: the reader's shared memory
        auto refused = reader.begin_run({});
        MS_CHECK_MSG(!refused, "a reader wrote a run");
    }
    MS_CHECK(!std::filesystem::exists(w.path + "-wal") && !std::filesystem::exists(w.path + "-shm"));
    MS_CHECK(::chmod(w.path.c_str(), 0444) == 0);
    if (::access(w.path.c_str(), W_OK) != 0) {  // root writes a 0444 file: nothing to check then
        auto reader = ok(ResultsStore::open(w.path, ResultsStore::Mode::read_only));
        MS_CHECK_EQ(ok(reader.list_runs()).size(), 1u);
    }
    MS_CHECK(::chmod(w.path.c_str(), 0644) == 0);
}

// A damaged tile is named as `info` names it (track, sequence, zoom, tile), not only as "track tile
// is not a zstd frame" (found in review).
MS_TEST(a_damaged_tile_is_named) {
    const Written w = write_example("damaged");
    sqlite3* raw = nullptr;
    MS_CHECK(sqlite3_open(w.path.c_str(), &raw) == SQLITE_OK);
    MS_CHECK(sqlite3_exec(raw, "UPDATE track_tiles SET data = x'0102030405' WHERE zoom = 0 AND tile_index = 1", nullptr,
                          nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
    auto store = ok(ResultsStore::open(w.path, ResultsStore::Mode::read_only));
    MS_CHECK(store.read_values(w.track, w.seq, 0, 1000).ok());  // tile 0 is whole
    auto bad = store.read_values(w.track, w.seq, 0, w.length);
    MS_CHECK(!bad);
    const std::string want = "results database '" + w.path + "': track " + std::to_string(w.track) + " sequence " +
                             std::to_string(w.seq) +
                             " zoom 0 tile 1 does not decode (track tile is not a zstd frame (5 bytes))";
    MS_CHECK_MSG(bad.error().message.rfind(want, 0) == 0, bad.error().message);
}

// One flipped bit anywhere in a stored tile — values or a zoom level's summary — fails to decode
// (zstd's content checksum) and is named; it decoded to other values without a word before.
MS_TEST(a_flipped_bit_in_a_tile_is_found) {
    const Written w = write_example("bitflip");
    std::vector<uint8_t> blob;
    {
        sqlite3* raw = nullptr;
        MS_CHECK(sqlite3_open(w.path.c_str(), &raw) == SQLITE_OK);
        sqlite3_stmt* q = nullptr;
        MS_CHECK(sqlite3_prepare_v2(raw, "SELECT data FROM track_tiles WHERE zoom = 0 AND tile_index = 1", -1, &q,
                                    nullptr) == SQLITE_OK);
        MS_CHECK(sqlite3_step(q) == SQLITE_ROW);
        const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(q, 0));
        blob.assign(p, p + sqlite3_column_bytes(q, 0));
        sqlite3_finalize(q);
        sqlite3_close(raw);
    }
    MS_CHECK(blob.size() > 40);
    // Bits in the frame's body and near its end (the block data and the checksum itself).
    for (size_t at : {blob.size() / 3, blob.size() / 2, blob.size() - 6, blob.size() - 2}) {
        std::vector<uint8_t> flipped = blob;
        flipped[at] ^= 0x01;
        sqlite3* raw = nullptr;
        MS_CHECK(sqlite3_open(w.path.c_str(), &raw) == SQLITE_OK);
        sqlite3_stmt* u = nullptr;
        MS_CHECK(sqlite3_prepare_v2(raw, "UPDATE track_tiles SET data = ? WHERE zoom = 0 AND tile_index = 1", -1, &u,
                                    nullptr) == SQLITE_OK);
        sqlite3_bind_blob(u, 1, flipped.data(), int(flipped.size()), SQLITE_TRANSIENT);
        MS_CHECK(sqlite3_step(u) == SQLITE_DONE);
        sqlite3_finalize(u);
        sqlite3_close(raw);
        auto store = ok(ResultsStore::open(w.path, ResultsStore::Mode::read_only));
        auto got = store.read_values(w.track, w.seq, 0, w.length);
        MS_CHECK_MSG(!got, "byte " << at << " of " << blob.size() << " flipped: read without an error");
        if (!got)
            MS_CHECK_MSG(got.error().message.find("zoom 0 tile 1 does not decode") != std::string::npos,
                         got.error().message);
    }
}

// body() run as user `uid` in a forked child (as root): its result as the child's exit status.
template <class Body>
int as(uid_t uid, Body body) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (::setgid(uid) != 0 || ::setuid(uid) != 0) ::_exit(90);
        ::_exit(body());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + status;
}

// A colleague's database in a shared folder (mode 1777): the colleague can browse it, and when
// their reader leaves a -wal or -shm of theirs behind (SQLite cannot fold and remove them from a
// read-only connection), the owner's write that fails on them names them and their owner — it
// blamed a "read-only file or folder", which neither was. Other users are played by forked
// children that drop to daemon (1) and nobody (65534); needs root, as CI runs.
MS_TEST(a_shared_folder_names_another_users_log_files) {
    if (::getuid() != 0) throw ms::test::Skip{"needs root to play two users"};
    Written w = write_example("shared");
    char tmpl[] = "/tmp/ms-shared-XXXXXX";
    MS_CHECK(::mkdtemp(tmpl) != nullptr);
    const std::string folder = tmpl, db = folder + "/lab.db";
    MS_CHECK(::chmod(folder.c_str(), 01777) == 0);
    std::filesystem::copy_file(w.path, db);
    MS_CHECK(::chown(db.c_str(), 65534, 65534) == 0 && ::chmod(db.c_str(), 0644) == 0);
    // daemon browses nobody's database.
    const int read = as(1, [&] {
        auto store = ResultsStore::open(db, ResultsStore::Mode::read_only);
        if (!store) return 1;
        auto runs = store->list_runs();
        auto values = store->read_values(w.track, w.seq, 0, 1000);
        return runs && runs->size() == 1 && values && values->size() == 1000 ? 0 : 2;
    });
    MS_CHECK_EQ(read, 0);
    // Files another user left (their reader, sqlite3): named with their owner.
    for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(db + suffix);
    MS_CHECK_EQ(as(1, [&] { return std::ofstream(db + "-wal").good() && std::ofstream(db + "-shm").good() ? 0 : 4; }), 0);
    const std::string err = folder + "/err.txt";
    MS_CHECK(::chmod(folder.c_str(), 01777) == 0);
    const int refused = as(65534, [&] {
        auto store = ResultsStore::open(db);
        auto run = store ? store->begin_run({"0.1.0", "x", "score"}) : ms::Result<int64_t>(store.error());
        std::ofstream(err) << (run ? std::string("written") : run.error().message);
        return 0;
    });
    MS_CHECK_EQ(refused, 0);
    std::ifstream in(err);
    const std::string message((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove_all(folder);
    MS_CHECK_MSG(contains(message, "'" + db + "-wal' belongs to user daemon") && contains(message, "-wal file is empty"),
                 message);
}

// Browsing a write-protected database leaves its -wal and -shm write-protected too (SQLite gives
// them the file's mode); once the file was writable again, its owner's writes failed on those
// files, blamed on "user nobody" — the owner (found in review). The owner is played by nobody in a
// forked child; needs root, as CI runs.
MS_TEST(a_readers_write_protected_log_files_do_not_block_the_owner) {
    if (::getuid() != 0) throw ms::test::Skip{"needs root to play another user"};
    Written w = write_example("protected");
    char tmpl[] = "/tmp/ms-protected-XXXXXX";
    MS_CHECK(::mkdtemp(tmpl) != nullptr);
    const std::string folder = tmpl, db = folder + "/own.db";
    std::filesystem::copy_file(w.path, db);
    MS_CHECK(::chown(folder.c_str(), 65534, 65534) == 0 && ::chown(db.c_str(), 65534, 65534) == 0);
    MS_CHECK(::chmod(db.c_str(), 0444) == 0);
    const int read = as(65534, [&] {
        {
            auto store = ResultsStore::open(db, ResultsStore::Mode::read_only);
            if (!store || !store->list_runs()) return 1;
        }
        // What the reader left: the precondition of the case.
        return ::access((db + "-shm").c_str(), F_OK) == 0 && ::access((db + "-shm").c_str(), W_OK) != 0 ? 0 : 2;
    });
    MS_CHECK_EQ(read, 0);
    MS_CHECK(::chmod(db.c_str(), 0644) == 0);
    const std::string err = folder + "/err.txt";
    const int wrote = as(65534, [&] {
        auto store = ResultsStore::open(db);
        auto run = store ? store->begin_run({"0.1.0", "x", "score"}) : ms::Result<int64_t>(store.error());
        std::ofstream(err) << (run ? std::string("written") : run.error().message);
        return 0;
    });
    MS_CHECK_EQ(wrote, 0);
    std::ifstream in(err);
    const std::string message((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove_all(folder);
    MS_CHECK_EQ(message, std::string("written"));
}

// delete_run removes a run with everything it holds — tiles, predictions, embeddings — and
// nothing of the others; a run deleted by hand with foreign keys off leaves rows that the integrity
// check names, and the next run does not take over the id (it inherited those rows before).
MS_TEST(a_deleted_run_takes_everything_it_holds_and_nothing_else) {
    const std::string path = fresh_db("delete_run");
    const int64_t length = ms::kTilePositions + 100;
    const std::vector<float> a = track_values(length, 3), b = track_values(length, 4);
    auto store = ok(ResultsStore::open(path));
    int64_t runs[2] = {}, seqs[2] = {};
    for (int r = 0; r < 2; ++r) {
        runs[r] = ok(store.begin_run({"0.1.0", "x", "score"}));
        seqs[r] = ok(store.add_sequence(runs[r], {"chr1", length}));
        ok(store.write_track(runs[r], "loglik", seqs[r], 0, (r ? b : a).data(), length));
        ms::Prediction p;
        p.item = "w1";
        p.sequence_id = seqs[r];
        p.begin = 0;
        p.end = 100;
        p.label = "x";
        ok(store.write_predictions(runs[r], std::span<const ms::Prediction>(&p, 1)));
        ms::Embedding e;
        e.item = "w1";
        e.sequence_id = seqs[r];
        e.end = 100;
        e.vector = {1.0f, 2.0f, float(r)};
        ok(store.write_embeddings(runs[r], std::span<const ms::Embedding>(&e, 1)));
        ok(store.finish_run(runs[r], ms::RunStatus::finished));
    }
    const auto before = ok(store.counts());
    ok(store.delete_run(runs[0]));
    const auto after = ok(store.counts());
    MS_CHECK_EQ(after.runs, int64_t(1));
    MS_CHECK_EQ(after.sequences, before.sequences / 2);
    MS_CHECK_EQ(after.tiles, before.tiles / 2);
    MS_CHECK_EQ(after.predictions, int64_t(1));
    MS_CHECK_EQ(after.embeddings, int64_t(1));
    MS_CHECK_EQ(ok(store.integrity_check()), std::string("ok"));
    const auto kept = ok(store.read_values(ok(store.find_track(runs[1], "loglik")), seqs[1], 0, length));
    for (int64_t i = 0; i < length; ++i)
        MS_CHECK(kept[size_t(i)] == ms::round_to_half(b[size_t(i)]) ||
                 (std::isnan(kept[size_t(i)]) && std::isnan(b[size_t(i)])));
    auto again = store.delete_run(runs[0]);
    MS_CHECK(!again && contains(again.error().message, ms::cat("has no run ", runs[0])));
    ok(store.vacuum());

    // By hand, foreign keys off: run 2's rows stay behind, named by the check; a new run gets a
    // fresh id and none of them.
    {
        sqlite3* raw = nullptr;
        MS_CHECK(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
        MS_CHECK(sqlite3_exec(raw, ms::cat("DELETE FROM runs WHERE id = ", runs[1]).c_str(), nullptr, nullptr,
                              nullptr) == SQLITE_OK);
        sqlite3_close(raw);
    }
    auto reopened = ok(ResultsStore::open(path));
    const std::string report = ok(reopened.integrity_check());
    MS_CHECK_MSG(contains(report, "row(s) of sequences belong to a missing row of runs"), report);
    const int64_t fresh = ok(reopened.begin_run({"0.1.0", "x", "score"}));
    MS_CHECK_MSG(fresh > runs[1], "run id " << fresh << " reused");
    MS_CHECK(ok(reopened.list_sequences(fresh)).empty());
}

// A database in a folder the reader cannot write (a shared lab folder): SQLite cannot create the
// -shm a WAL reader needs, and the store refused to open it (found in review). Root writes any
// folder, so the reader drops to nobody in a child process when the test runs as root (as CI does).
MS_TEST(a_database_in_a_write_protected_folder_is_browsable) {
    Written w = write_example("protected");
    // Its own folder under /tmp: every reader can reach it, whatever the build tree's permissions.
    char tmpl[] = "/tmp/ms-protected-XXXXXX";
    MS_CHECK(::mkdtemp(tmpl) != nullptr);
    const std::string folder = tmpl;
    MS_CHECK(::chmod(folder.c_str(), 0755) == 0);
    const std::string copy = folder + "/results.db";
    std::filesystem::copy_file(w.path, copy);
    w.path = copy;
    MS_CHECK(::chmod(folder.c_str(), 0555) == 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (::getuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
        auto store = ResultsStore::open(w.path, ResultsStore::Mode::read_only);
        if (!store) {
            std::fprintf(stderr, "%s\n", store.error().message.c_str());
            ::_exit(1);
        }
        auto values = store->read_values(w.track, w.seq, 0, 1000);
        auto runs = store->list_runs();
        ::_exit(values && runs && runs->size() == 1 && values->size() == 1000 ? 0 : 3);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::chmod(folder.c_str(), 0755);
    std::filesystem::remove_all(folder);
    MS_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader exited with status " << status);
}

// A writer killed with SIGKILL at random moments, several times over the same file: every reopen
// finds a valid database in which every committed tile is complete.
MS_TEST(a_writer_killed_at_random_moments_leaves_a_valid_database) {
    const std::string path = fresh_db("crash");
    const int64_t length = 24 * ms::kTilePositions + 999;
    auto value_at = [](int64_t track, int64_t pos) { return float((pos * 7 + track * 13) % 1000) / 1000.0f; };
    std::mt19937 rng(2024);
    std::uniform_int_distribution<int> delay_ms(1, 60);
    int killed = 0;
    std::vector<int64_t> tiles_seen;
    for (int round = 0; round < 8; ++round) {
        const pid_t pid = fork();
        MS_CHECK(pid >= 0);
        if (pid == 0) {
            // The child: a job writing two tracks in small batches, as fast as it can.
            auto store = ResultsStore::open(path);
            if (!store) _exit(2);
            store->set_batch_tiles(2);
            auto run = store->begin_run({"0.1.0", "crash", "test"});
            if (!run) _exit(3);
            std::vector<float> chunk(20000);
            for (int s = 0; s < 4; ++s) {
                auto seq = store->add_sequence(*run, {ms::cat("chr", s), length});
                if (!seq) _exit(4);
                for (int64_t p = 0; p < length; p += int64_t(chunk.size())) {
                    const int64_t n = std::min<int64_t>(int64_t(chunk.size()), length - p);
                    for (int track = 0; track < 2; ++track) {
                        for (int64_t i = 0; i < n; ++i) chunk[size_t(i)] = value_at(track, p + i);
                        if (!store->write_track(*run, track ? "loglik" : "prob_A", *seq, p, chunk.data(), n)) _exit(5);
                    }
                }
            }
            if (!store->finish_run(*run, ms::RunStatus::finished)) _exit(6);
            _exit(0);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
        MS_CHECK(kill(pid, SIGKILL) == 0);
        int status = 0;
        MS_CHECK(waitpid(pid, &status, 0) == pid);
        if (WIFSIGNALED(status)) ++killed;
        MS_CHECK_MSG(
            (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
            "round " << round << ": the writer failed by itself (status " << status << ")");

        auto store = ok(ResultsStore::open(path));  // a writer's reopen also recovers the WAL
        tiles_seen.push_back(ok(store.counts()).tiles);
        MS_CHECK_EQ(ok(store.integrity_check()), std::string("ok"));
        MS_CHECK_EQ(count_rows(path, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"), 0);
        // Each committed tile has all four zooms (one transaction) and decodes to what was written.
        MS_CHECK_EQ(count_rows(path,
                               "SELECT count(*) FROM (SELECT count(*) AS z FROM track_tiles "
                               "GROUP BY track_id, sequence_id, tile_index HAVING z != 4)"),
                    0);
        for (const ms::RunRecord& run : ok(store.list_runs())) {
            for (const ms::StoredSequence& seq : ok(store.list_sequences(run.id))) {
                MS_CHECK_EQ(seq.info.length, length);
                for (const ms::StoredTrack& track : ok(store.list_tracks(run.id))) {
                    const int64_t t = track.name == "loglik" ? 1 : 0;
                    const auto values = ok(store.read_values(track.id, seq.id, 0, length));
                    // A tile is either absent (its batch had not committed when the writer died:
                    // all NaN) or complete and equal to what was written.
                    for (int64_t tb = 0; tb < length; tb += ms::kTilePositions) {
                        const int64_t te = std::min(length, tb + ms::kTilePositions);
                        const bool absent = std::isnan(values[size_t(tb)]);
                        for (int64_t i = tb; i < te; ++i) {
                            const float got = values[size_t(i)];
                            MS_CHECK_MSG(absent ? std::isnan(got) : got == ms::round_to_half(value_at(t, i)),
                                         "round " << round << " run " << run.id << " " << track.name << " position "
                                                  << i << ": " << got << (absent ? " in an absent tile" : ""));
                        }
                    }
                }
            }
        }
    }
    std::printf("      (%d of 8 writers killed before they finished; tiles stored after each round:", killed);
    for (int64_t t : tiles_seen) std::printf(" %lld", static_cast<long long>(t));
    std::printf(")\n");
    // Tiles were committed, and kills landed mid-job (a job takes several times the longest delay).
    MS_CHECK(tiles_seen.back() > 0);
    MS_CHECK(killed >= 4);
}

// Jobs creating one new database at once (shards started together with one --db): one failed with
// "table runs already exists" or "switching to WAL failed: database is locked" (found in review).
// Four connections open a fresh path together, twenty rounds: each opens, and each can write.
MS_TEST(jobs_creating_one_database_at_once_all_open_it) {
    for (int round = 0; round < 20; ++round) {
        const std::string path = ms::test::fresh_db("results_store", "created_together");
        std::vector<std::string> errors(4);
        std::vector<std::thread> jobs;
        for (size_t j = 0; j < errors.size(); ++j)
            jobs.emplace_back([&, j] {
                auto store = ResultsStore::open(path);
                if (!store) {
                    errors[j] = store.error().message;
                    return;
                }
                auto run = store->begin_run({"0.1.0", "x", "score"});
                if (!run) errors[j] = run.error().message;
            });
        for (std::thread& t : jobs) t.join();
        for (const std::string& e : errors) MS_CHECK_MSG(e.empty(), "round " << round << ": " << e);
    }
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

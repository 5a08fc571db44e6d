// The results store: one SQLite file per analysis holding runs with their provenance, the
// sequences they covered, per-position tracks in multi-resolution tiles (track_tiles.h),
// predictions and embeddings. One writer connection (WAL, one transaction per batch, idempotent
// tile writes keyed by track/sequence/zoom/tile) and any number of read-only connections that
// browse while a job writes.
//
// Durability: WAL with synchronous=NORMAL. A killed process (SIGKILL, crash) loses at most the batch
// in flight; a power cut may also lose the last committed batches, never the file's consistency.
//
// Threading: a ResultsStore is used by one thread at a time; open one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ms {

enum class RunStatus { running, finished, interrupted, failed };
const char* to_string(RunStatus s);

// Provenance of a run, as given by the job that starts it.
struct RunInfo {
    std::string tool_version, git_revision, command;
    std::string params_json = "{}";
    std::string model_name, model_sha256, device, precision;
};

struct RunRecord {
    int64_t id = 0;
    RunInfo info;
    std::string started_at, finished_at;  // ISO 8601 UTC; finished_at empty while running
    RunStatus status = RunStatus::running;
};

struct SequenceInfo {
    std::string name;
    int64_t length = 0;
    std::string md5;     // lower-case hex of the upper-cased bases, as SAM's M5
    std::string source;  // the input file
};

struct StoredSequence {
    int64_t id = 0, run_id = 0;
    SequenceInfo info;
};

struct StoredTrack {
    int64_t id = 0, run_id = 0;
    std::string name;
};

// One bin of a track read: positions [begin, end) (0-based, half-open) and the mean/min/max of the
// values stored there; NaN when none (nothing written, or every value NaN).
struct TrackBin {
    int64_t begin = 0, end = 0;
    float mean = 0, min = 0, max = 0;
};

// Row counts and sizes, for `info`.
struct StoreCounts {
    int64_t runs = 0, sequences = 0, tracks = 0, tiles = 0, tile_bytes = 0, predictions = 0, embeddings = 0;
    int64_t file_bytes = 0;  // the database file plus its -wal
};

class ResultsStore {
public:
    enum class Mode { read_write, read_only };
    inline static constexpr int kSchemaVersion = 1;

    // read_write creates the file (and the schema) when missing; read_only never writes and
    // fails when the file is missing. Errors name the file and say what it is instead.
    static Result<ResultsStore> open(const std::string& path, Mode mode = Mode::read_write);
    ~ResultsStore();  // flushes buffered tiles; call flush() first to see its errors
    ResultsStore(ResultsStore&&) noexcept;
    ResultsStore& operator=(ResultsStore&&) noexcept;

    const std::string& path() const;

    // --- writing (Mode::read_write) ---
    Result<int64_t> begin_run(const RunInfo& info);
    Result<int64_t> add_sequence(int64_t run_id, const SequenceInfo& seq);
    // Stores values[0..n) at positions [begin, begin + n) of a sequence in the track `name` of the
    // run (created on first use). Values are buffered per tile; full tiles are written in batches
    // of `batch_tiles` tiles per transaction, the rest at flush(). Writing positions again replaces
    // them (a resumed job never duplicates rows). Values are stored as float16.
    Result<void> write_track(int64_t run_id, std::string_view name, int64_t sequence_id, int64_t begin,
                             const float* values, int64_t n);
    // Writes every buffered tile, partial ones included, in one transaction.
    Result<void> flush();
    // Flushes, then records the end time and status.
    Result<void> finish_run(int64_t run_id, RunStatus status);
    void set_batch_tiles(int tiles);

    // --- reading (committed data only) ---
    Result<std::vector<RunRecord>> list_runs() const;
    Result<std::vector<StoredSequence>> list_sequences(int64_t run_id) const;
    Result<std::vector<StoredTrack>> list_tracks(int64_t run_id) const;
    // The track's id, or an error naming the run and track.
    Result<int64_t> find_track(int64_t run_id, std::string_view name) const;
    // At most max_bins contiguous bins covering [begin, end) (clipped to the sequence), from the
    // coarsest zoom that still has at least max_bins bins over the window.
    Result<std::vector<TrackBin>> read_track(int64_t track_id, int64_t sequence_id, int64_t begin, int64_t end,
                                             int max_bins) const;
    // The stored float16 values of [begin, end), NaN where nothing was written.
    Result<std::vector<float>> read_values(int64_t track_id, int64_t sequence_id, int64_t begin, int64_t end) const;
    Result<StoreCounts> counts() const;
    // SQLite's own check plus a decode of every tile; "ok" or the problems found, one per line.
    Result<std::string> integrity_check() const;

private:
    ResultsStore();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// True when the file starts with SQLite's 16-byte header ("SQLite format 3\0").
bool looks_like_sqlite(const std::string& path);

}  // namespace ms

// The results store: one SQLite file per analysis holding runs with their provenance, the
// sequences they covered, per-position tracks in multi-resolution tiles (track_tiles.h),
// predictions, variants and embeddings. One writer connection (WAL, one transaction per batch,
// idempotent writes: tiles keyed by track/sequence/zoom/tile, predictions, variants and embeddings by
// their item) and any number of read-only connections that browse while a job writes. The schema
// and its migrations are in results_schema.cpp and docs/formats.md.
//
// Durability: WAL with synchronous=NORMAL. A killed process (SIGKILL, crash) loses at most the batch
// in flight; a power cut may also lose the last committed batches, never the file's consistency.
//
// Threading: a ResultsStore is used by one thread at a time; open one per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "genomics/embeddings_knn.h"
#include "genomics/track_tiles.h"

namespace ms {

enum class RunStatus { running, finished, interrupted, failed };
const char* to_string(RunStatus s);

// An input file of a run (FASTA, BAM, VCF ...); its sequences' MD5s are in SequenceInfo.
struct RunInput {
    std::string path, format;
    int64_t bytes = -1;  // size when the run started; -1 unknown
    bool operator==(const RunInput&) const = default;
};

// Provenance of a run, as given by the job that starts it.
struct RunInfo {
    std::string tool_version, git_revision, command;
    std::string params_json = "{}";
    std::string model_name, model_sha256, device, precision;
    std::vector<RunInput> inputs;
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
    bool complete = false;   // the job marked it finished (mark_sequence_complete)
};

// A part of a sequence a job finished, for mark_complete; `sequence_done`: the sequence's last.
struct CompletedPart {
    int64_t sequence_id = 0, begin = 0, end = 0;
    bool sequence_done = false;
};

// A finished part [begin, end) of a stored sequence (mark_part_complete).
struct StoredPart {
    int64_t sequence_id = 0, begin = 0, end = 0;
    bool operator==(const StoredPart&) const = default;
};

struct StoredTrack {
    int64_t id = 0, run_id = 0;
    std::string name;
    TrackEncoding encoding;
};

// What a prediction or an embedding is about.
enum class ItemKind { sequence, window, read, variant };
const char* to_string(ItemKind k);

// One prediction of a classifier head: over a window of a sequence, a whole record (sequence) or a
// read (`item` holds the read or record name; sequence_id 0 when the read is unplaced).
struct Prediction {
    ItemKind kind = ItemKind::window;
    std::string item;
    int64_t sequence_id = 0;
    int64_t begin = 0, end = 0;  // 0-based half-open on the sequence
    std::string label;
    std::optional<double> score;
    std::vector<float> probs;  // class probabilities, in the order of prediction_classes()
};
struct StoredPrediction {
    int64_t id = 0, run_id = 0;
    Prediction p;
};

// Filters, order and page of a prediction listing. Every field is bound as a parameter; the sort
// is one of a fixed set of columns.
struct PredictionQuery {
    // item: the item's name (then its kind); kind: the kind (then the name); length: end − begin.
    enum class SortBy { position, score, label, id, item, kind, length };
    int64_t run_id = 0;
    std::optional<ItemKind> kind;
    std::optional<int64_t> sequence_id;
    std::optional<int64_t> begin, end;  // keep predictions overlapping [begin, end)
    std::optional<std::string> label;
    std::optional<double> min_score, max_score;
    std::optional<std::string> item_contains;   // the item (read or record name) contains this text, any case
    SortBy sort = SortBy::position;
    bool descending = false;
    int64_t offset = 0, limit = 100;
};

// A scored variant; pos is 1-based as in VCF.
struct Variant {
    std::string chrom;
    int64_t pos = 0;
    std::string ref, alt, name;                          // name: the VCF ID column ('' for '.')
    std::vector<std::pair<std::string, double>> scores;  // e.g. {"llr", -2.3}, ordered by name when read
};
struct StoredVariant {
    int64_t id = 0, run_id = 0;
    Variant v;
};
struct VariantQuery {
    // name: the VCF ID; ref, alt: the alleles (then the other allele).
    enum class SortBy { position, score, name, ref, alt };
    int64_t run_id = 0;
    std::optional<std::string> chrom;
    std::optional<int64_t> first_pos, last_pos;  // 1-based inclusive
    std::string score_name;                      // the score that the score filters and SortBy::score refer to
    std::optional<double> min_score, max_score;
    std::optional<double> min_abs_score;       // |score| at least this: effects of either sign
    std::optional<std::string> name_contains;  // the ID contains this text, any case
    std::string sort_score_name;               // SortBy::score sorts by this score when set, else by score_name
    SortBy sort = SortBy::position;
    bool descending = false;
    int64_t offset = 0, limit = 100;
};

enum class EmbeddingDtype { f32, f16 };
struct Embedding {
    ItemKind kind = ItemKind::window;
    std::string item;
    int64_t sequence_id = 0;     // 0: not placed on a sequence
    // On the sequence, or on the item when it is on none (a window of a read); -1 when not known
    // (a whole read in a database written before 2026-11-30).
    int64_t begin = 0, end = 0;
    std::vector<float> vector;
    EmbeddingDtype dtype = EmbeddingDtype::f32;  // how the vector is stored
};
struct StoredEmbedding {
    int64_t id = 0, run_id = 0;
    Embedding e;
};

// One bin of a track read: positions [begin, end) (0-based, half-open) and the mean/min/max of the
// values stored there; NaN when none (nothing written, or every value NaN).
struct TrackBin {
    int64_t begin = 0, end = 0;
    float mean = 0, min = 0, max = 0;
};

// Row counts and sizes, for `info`.
struct StoreCounts {
    int64_t runs = 0, sequences = 0, tracks = 0, tiles = 0, tile_bytes = 0, predictions = 0, variants = 0,
            embeddings = 0;
    int64_t file_bytes = 0;  // the database file plus its -wal
};

class ResultsStore {
public:
    enum class Mode { read_write, read_only };
    // Version 1: runs, sequences, tracks, tiles, predictions, embeddings. Version 2: run inputs,
    // track encodings, prediction items and classes, variants, idempotency keys. Version 3:
    // sequence completion (resumable jobs). Version 4: finished parts of sequences (resumable
    // segmented jobs). Version 5: run ids never reused after a deletion; indexes by sequence.
    inline static constexpr int kSchemaVersion = 5;

    // read_write creates the file (and the schema) when missing; read_only never writes and
    // fails when the file is missing. Errors name the file and say what it is instead.
    static Result<ResultsStore> open(const std::string& path, Mode mode = Mode::read_write);
    // Whether open(path) for writing would succeed, creating nothing: an existing database is
    // opened (its schema checked, upgraded if older) and closed; for a new one, its folder must
    // exist and be writable. For jobs that write their database only at the end of long work.
    static Result<void> check_writable(const std::string& path);
    // Read-only open for a browser beside a job: a database whose schema the job has not yet
    // created (an error with `retryable` set from open) is tried again, with growing pauses, for up
    // to `wait`; any other error returns at once.
    static Result<ResultsStore> open_when_ready(const std::string& path,
                                                std::chrono::milliseconds wait = std::chrono::seconds(10));
    // What an error marked `damaged` ends with: where to see what is damaged (`info` leaves it out
    // of its own report).
    static std::string damaged_hint(const std::string& path);
    ~ResultsStore();  // flushes buffered tiles; call flush() first to see its errors
    ResultsStore(ResultsStore&&) noexcept;
    ResultsStore& operator=(ResultsStore&&) noexcept;

    const std::string& path() const;

    // --- writing (Mode::read_write) ---
    Result<int64_t> begin_run(const RunInfo& info);
    Result<int64_t> add_sequence(int64_t run_id, const SequenceInfo& seq);
    // Several at once, in one transaction (all or none), ids in their order: as add_sequence.
    Result<std::vector<int64_t>> add_sequences(int64_t run_id, std::span<const SequenceInfo> seqs);
    // Declares a track and how its values are stored (idempotent; a different encoding for an
    // existing track is an error). write_track on an undeclared track creates it as f16.
    Result<int64_t> create_track(int64_t run_id, std::string_view name, const TrackEncoding& encoding);
    // Stores values[0..n) at positions [begin, begin + n) of a sequence in the track `name` of the
    // run (created on first use). Values are buffered per tile; full tiles are written in batches
    // of `batch_tiles` · 65,536 positions per transaction (tiles of short sequences hold fewer),
    // the rest at flush(). Writing positions again replaces
    // them (a resumed job never duplicates rows). Values are stored as float16.
    Result<void> write_track(int64_t run_id, std::string_view name, int64_t sequence_id, int64_t begin,
                             const float* values, int64_t n);
    // Writes every buffered tile, partial ones included, in one transaction.
    Result<void> flush();
    // Flushes, then records the end time and status.
    Result<void> finish_run(int64_t run_id, RunStatus status);
    // A run that stopped (interrupted, failed, or killed while "running") is running again: a
    // resumed job continues it. Only one process may write a run at a time.
    Result<void> reopen_run(int64_t run_id);
    // Removes the run and everything it holds (sequences, tracks and tiles, predictions, variants,
    // embeddings, inputs) in one transaction. The caller makes sure no job writes it (RunLock). The
    // file keeps its size — SQLite reuses the pages for later runs — until vacuum().
    Result<void> delete_run(int64_t run_id);
    // Rewrites the file without its free pages (SQLite's VACUUM): needs about twice the file's size free
    // on the disk, and the database to itself while it runs.
    Result<void> vacuum();
    // Flushes, then records that every tile of the sequence is committed: a resumed job skips it.
    Result<void> mark_sequence_complete(int64_t sequence_id);
    // Flushes, then records that positions [begin, end) of the sequence are committed — a part of
    // a job that cut the sequence (segments): a resumed job skips that part. Idempotent.
    Result<void> mark_part_complete(int64_t sequence_id, int64_t begin, int64_t end);
    // Stores every buffered tile and records every part complete, and the sequences they finish,
    // in one transaction: a job of many short sequences paid a flush and two commits each (4,000
    // of 2 kbp: 2,612 a second alone against 4,789 together, bench_results_store).
    Result<void> mark_complete(std::span<const CompletedPart> parts);
    void set_batch_tiles(int tiles);

    // Predictions, variants and embeddings: one transaction per call, idempotent by item (a row
    // written again replaces the earlier one: predictions by run/kind/item/sequence/begin/end,
    // variants by run/chrom/pos/ref/alt, embeddings by run/kind/item/sequence/begin).
    Result<void> set_prediction_classes(int64_t run_id, const std::vector<std::string>& classes);
    Result<void> write_predictions(int64_t run_id, std::span<const Prediction> predictions);
    Result<void> write_variants(int64_t run_id, std::span<const Variant> variants);
    Result<void> write_embeddings(int64_t run_id, std::span<const Embedding> embeddings);

    // --- reading (committed data only) ---
    Result<std::vector<RunRecord>> list_runs() const;
    Result<std::vector<StoredSequence>> list_sequences(int64_t run_id) const;
    // The parts of the run's sequences recorded by mark_part_complete, by sequence and position.
    Result<std::vector<StoredPart>> list_complete_parts(int64_t run_id) const;
    Result<std::vector<StoredTrack>> list_tracks(int64_t run_id) const;
    // The track's id, or an error naming the run and track.
    Result<int64_t> find_track(int64_t run_id, std::string_view name) const;
    // At most max_bins contiguous bins covering [begin, end) (clipped to the sequence), from the
    // coarsest zoom that still has at least max_bins bins over the window.
    Result<std::vector<TrackBin>> read_track(int64_t track_id, int64_t sequence_id, int64_t begin, int64_t end,
                                             int max_bins) const;
    // The stored values of [begin, end) as their encoding gives them back, NaN where nothing was
    // written; a writer also sees its own tiles not yet stored (as they will read once stored).
    Result<std::vector<float>> read_values(int64_t track_id, int64_t sequence_id, int64_t begin, int64_t end) const;
    Result<std::vector<std::string>> prediction_classes(int64_t run_id) const;
    Result<std::vector<StoredPrediction>> query_predictions(const PredictionQuery& q) const;
    // How many predictions the query's filters keep (offset and limit ignored): for paging.
    Result<int64_t> count_predictions(const PredictionQuery& q) const;
    Result<std::vector<StoredVariant>> query_variants(const VariantQuery& q) const;
    Result<int64_t> count_variants(const VariantQuery& q) const;  // the variants q selects, offset and limit aside
    Result<StoredEmbedding> read_embedding(int64_t embedding_id) const;
    Result<int64_t> count_embeddings(int64_t run_id) const;
    // The embeddings of a run (of one kind, or all) as unit float32 vectors, ready for nearest().
    Result<EmbeddingIndex> load_embedding_index(int64_t run_id, std::optional<ItemKind> kind = {}) const;
    // The ids of a run's embeddings (of one kind, or all) in the order they were written, for read_embedding.
    Result<std::vector<int64_t>> list_embedding_ids(int64_t run_id, std::optional<ItemKind> kind = {}) const;
    Result<StoreCounts> counts() const;
    // SQLite's own check plus a decode of every tile; "ok" or the problems found, one per line.
    Result<std::string> integrity_check() const;
    // Folds the write-ahead log into the database file and empties it, after flushing: the .db
    // file alone then holds everything committed. An error where SQLite could not (a full disk —
    // what was committed stays in the -wal file beside it, read as part of the database); false
    // where another connection reading the database kept it from finishing (the next checkpoint
    // folds the rest in).
    Result<bool> checkpoint();

private:
    ResultsStore();
    struct Impl;  // results_store_impl.h, shared by the store's source files
    std::unique_ptr<Impl> impl_;
};

// True when the file starts with SQLite's 16-byte header ("SQLite format 3\0").
bool looks_like_sqlite(const std::string& path);

}  // namespace ms

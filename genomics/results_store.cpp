// The SQLite results store (see results_store.h): schema, opening checks, the buffered tile writer
// and the multi-resolution reader. Every SQL text here is a literal; values always travel as bound
// parameters, so no user text (names, commands, JSON) ever becomes SQL.
#include "genomics/results_store.h"

#include <sqlite3.h>

#include <sys/stat.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <concepts>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "genomics/track_tiles.h"

namespace ms {

namespace {

// PRAGMA application_id: "MSRS" (MambaScope results store). Tells our files from any other SQLite
// file, as file(1) does with the same field.
constexpr int32_t kApplicationId = 0x4D535253;

// Waiting up to 5 s for a lock covers a writer's commit or checkpoint; a reader in WAL mode never
// waits for a writer's open transaction at all.
constexpr int kBusyTimeoutMs = 5000;

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  tool_version TEXT NOT NULL,
  git_revision TEXT NOT NULL,
  command TEXT NOT NULL,
  params_json TEXT NOT NULL DEFAULT '{}',
  model_name TEXT NOT NULL DEFAULT '',
  model_sha256 TEXT NOT NULL DEFAULT '',
  device TEXT NOT NULL DEFAULT '',
  precision TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted', 'failed'))
);
CREATE TABLE sequences (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  length INTEGER NOT NULL CHECK (length >= 0),
  md5 TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  UNIQUE (run_id, name)
);
CREATE TABLE tracks (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  UNIQUE (run_id, name)
);
-- A rowid table (not WITHOUT ROWID): tiles are blobs of kilobytes, which SQLite stores better out
-- of the primary-key b-tree. The key makes rewrites idempotent through INSERT OR REPLACE.
CREATE TABLE track_tiles (
  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  sequence_id INTEGER NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  zoom INTEGER NOT NULL CHECK (zoom BETWEEN 0 AND 3),
  tile_index INTEGER NOT NULL CHECK (tile_index >= 0),
  n INTEGER NOT NULL CHECK (n BETWEEN 1 AND 65536),
  data BLOB NOT NULL,
  PRIMARY KEY (track_id, sequence_id, zoom, tile_index)
);
CREATE TABLE predictions (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  sequence_id INTEGER REFERENCES sequences(id) ON DELETE CASCADE,
  "begin" INTEGER NOT NULL,
  "end" INTEGER NOT NULL,
  label TEXT NOT NULL,
  score REAL,
  probs BLOB,
  CHECK ("begin" <= "end")
);
CREATE INDEX predictions_by_position ON predictions (run_id, sequence_id, "begin");
CREATE TABLE embeddings (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  item_kind TEXT NOT NULL CHECK (item_kind IN ('sequence', 'window', 'read', 'variant')),
  item_id TEXT NOT NULL DEFAULT '',
  sequence_id INTEGER REFERENCES sequences(id) ON DELETE CASCADE,
  "begin" INTEGER,
  "end" INTEGER,
  dim INTEGER NOT NULL CHECK (dim > 0),
  dtype TEXT NOT NULL CHECK (dtype IN ('f32', 'f16')),
  vector BLOB NOT NULL,
  CHECK (length(vector) = dim * (CASE dtype WHEN 'f32' THEN 4 ELSE 2 END))
);
CREATE INDEX embeddings_by_run ON embeddings (run_id, item_kind);
)sql";

struct DbClose {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbClose>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

struct Blob {
    const void* data;
    size_t bytes;
};

int64_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? int64_t(st.st_size) : 0;
}

bool is_readonly_code(int rc) {
    const int primary = rc & 0xff;
    return primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM;
}

Result<RunStatus> parse_status(const std::string& s) {
    for (RunStatus st : {RunStatus::running, RunStatus::finished, RunStatus::interrupted, RunStatus::failed})
        if (s == to_string(st)) return st;
    return make_error("unknown run status '", s, "'");
}

}  // namespace

const char* to_string(RunStatus s) {
    switch (s) {
        case RunStatus::running:
            return "running";
        case RunStatus::finished:
            return "finished";
        case RunStatus::interrupted:
            return "interrupted";
        case RunStatus::failed:
            return "failed";
    }
    return "failed";
}

bool looks_like_sqlite(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    char header[16] = {};
    if (!f.read(header, sizeof header)) return false;
    return std::memcmp(header, "SQLite format 3", 16) == 0;  // includes the trailing NUL
}

// A prepared statement borrowed from the cache; resetting it on destruction ends any read
// transaction it holds (an unreset SELECT would pin an old WAL snapshot).
class Query {
public:
    Query(sqlite3_stmt* s, sqlite3* db, const std::string* path) : s_(s), db_(db), path_(path) {}
    Query(Query&& o) noexcept : s_(std::exchange(o.s_, nullptr)), db_(o.db_), path_(o.path_) {}
    Query& operator=(Query&&) = delete;
    ~Query() {
        if (s_) {
            sqlite3_reset(s_);
            sqlite3_clear_bindings(s_);
        }
    }

    template <class... A>
    Result<void> bind(const A&... args) {
        int i = 0;
        Result<void> r;
        ((r ? (r = bind_one(++i, args), 0) : 0), ...);
        return r;
    }
    // true: a row is ready; false: done.
    Result<bool> step();
    // Runs a statement that returns no rows.
    Result<void> run() {
        bool row = false;
        MS_ASSIGN(row, step());
        (void)row;
        return {};
    }

    int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
    double f64(int c) const { return sqlite3_column_double(s_, c); }
    bool is_null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
    std::string text(int c) const {
        const unsigned char* t = sqlite3_column_text(s_, c);
        return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(s_, c))) : std::string();
    }
    Blob blob(int c) const {
        const void* p = sqlite3_column_blob(s_, c);
        return {p, size_t(sqlite3_column_bytes(s_, c))};
    }

private:
    template <std::integral T>
    Result<void> bind_one(int i, T v) {
        return check(sqlite3_bind_int64(s_, i, int64_t(v)), i);
    }
    Result<void> bind_one(int i, double v) { return check(sqlite3_bind_double(s_, i, v), i); }
    Result<void> bind_one(int i, std::string_view v) {
        return check(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8), i);
    }
    Result<void> bind_one(int i, const std::string& v) { return bind_one(i, std::string_view(v)); }
    Result<void> bind_one(int i, const char* v) { return bind_one(i, std::string_view(v)); }
    // Blobs are bound without a copy: the caller keeps them alive until the statement has run.
    Result<void> bind_one(int i, const Blob& b) {
        return check(sqlite3_bind_blob64(s_, i, b.data, b.bytes, SQLITE_STATIC), i);
    }
    Result<void> check(int rc, int i);

    sqlite3_stmt* s_;
    sqlite3* db_;
    const std::string* path_;  // for messages
};

struct ResultsStore::Impl {
    std::string path;
    Mode mode = Mode::read_write;
    DbPtr db;                              // declared before the statements: closed after them
    std::map<const char*, StmtPtr> stmts;  // keyed by the address of the SQL literal
    TileCodec codec;

    // The writer's buffers: one per tile being filled.
    struct TileKey {
        int64_t track, sequence, tile;
        auto operator<=>(const TileKey&) const = default;
    };
    struct TileBuffer {
        std::vector<float> values;  // n positions, NaN where nothing was written
        int64_t written = 0;        // positions written by this process (full at n)
        bool queued = false;
    };
    struct SequenceFacts {
        int64_t run_id, length;
        std::string name;
    };
    std::map<TileKey, TileBuffer> buffers;
    std::vector<TileKey> full;  // buffers complete and waiting for the next batch
    std::map<std::pair<int64_t, std::string>, int64_t, std::less<>> track_ids;
    std::map<int64_t, int64_t> track_run;
    std::map<int64_t, SequenceFacts> sequences;
    int batch_tiles = 32;  // 2 M positions per transaction: commits stay a small share of the time

    Error error(std::string_view what) const {
        return make_error("results database '", path, "': ", what, " failed: ", sqlite3_errmsg(db.get()));
    }

    Result<Query> prepare(const char* sql) {
        auto it = stmts.find(sql);
        if (it == stmts.end()) {
            sqlite3_stmt* s = nullptr;
            const int rc = sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
            if (rc != SQLITE_OK) return error(cat("preparing \"", sql, "\""));
            it = stmts.emplace(sql, StmtPtr(s)).first;
        }
        return Query(it->second.get(), db.get(), &path);
    }

    Result<void> exec(const char* sql) {
        char* msg = nullptr;
        const int rc = sqlite3_exec(db.get(), sql, nullptr, nullptr, &msg);
        if (rc == SQLITE_OK) return {};
        std::string m = msg ? msg : sqlite3_errstr(rc);
        sqlite3_free(msg);
        if (is_readonly_code(sqlite3_extended_errcode(db.get())))
            return make_error("cannot write results database '", path,
                              "': its file or folder is read-only (SQLite: ", m,
                              "); open it read-only to browse, or copy it somewhere writable");
        return make_error("results database '", path, "': \"", sql, "\" failed: ", m);
    }

    Result<void> need_writer() const {
        if (mode == Mode::read_write) return {};
        return make_error("results database '", path, "' was opened read-only; it cannot be written");
    }

    // A write transaction that rolls back unless committed (an error anywhere in a batch stores none of it).
    class Transaction {
    public:
        explicit Transaction(Impl& d) : d_(d) {}
        ~Transaction() {
            if (open_) sqlite3_exec(d_.db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        }
        Result<void> begin() {
            // IMMEDIATE takes the write lock now, so a second writer waits here (busy timeout) rather
            // than failing half-way through the batch.
            MS_TRY(d_.exec("BEGIN IMMEDIATE"));
            open_ = true;
            return {};
        }
        Result<void> commit() {
            MS_TRY(d_.exec("COMMIT"));
            open_ = false;
            return {};
        }

    private:
        Impl& d_;
        bool open_ = false;
    };

    Result<void> identify_and_prepare();
    Result<int64_t> track_id(int64_t run_id, std::string_view name);
    Result<const SequenceFacts*> sequence(int64_t sequence_id);
    Result<void> store_tiles(const std::vector<TileKey>& keys);
    Result<std::vector<float>> load_tile(int64_t track, int64_t sequence, int64_t tile, int64_t n);
};

Result<bool> Query::step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    const int ext = sqlite3_extended_errcode(db_);
    if (is_readonly_code(ext))
        return make_error("cannot write results database '", *path_,
                          "': its file or folder is read-only (SQLite: ", sqlite3_errmsg(db_), ")");
    if ((ext & 0xff) == SQLITE_FULL)
        return make_error("cannot write results database '", *path_,
                          "': the disk is full; the batch in flight was not stored, earlier batches are intact");
    return make_error("results database '", *path_, "': \"", sqlite3_sql(s_), "\" failed: ", sqlite3_errmsg(db_));
}

Result<void> Query::check(int rc, int i) {
    if (rc == SQLITE_OK) return {};
    return make_error("results database '", *path_, "': binding parameter ", i, " of \"", sqlite3_sql(s_),
                      "\" failed: ", sqlite3_errmsg(db_));
}

Result<void> ResultsStore::Impl::identify_and_prepare() {
    // The first read is where SQLite looks at the file: garbage fails here with SQLITE_NOTADB.
    int64_t app_id = 0, version = 0, objects = 0;
    std::string first_table;
    {
        sqlite3_stmt* raw = nullptr;
        const char* sql =
            "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM "
            "pragma_user_version), "
            "(SELECT count(*) FROM sqlite_schema), (SELECT name FROM sqlite_schema WHERE type = 'table' LIMIT 1)";
        int rc = sqlite3_prepare_v2(db.get(), sql, -1, &raw, nullptr);
        StmtPtr s(raw);
        if (rc == SQLITE_OK) rc = sqlite3_step(s.get());
        if (rc != SQLITE_ROW) {
            const int primary = sqlite3_extended_errcode(db.get()) & 0xff;
            if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
                return make_error(
                    "'", path, "' is not a MambaScope results database (SQLite: ", sqlite3_errmsg(db.get()),
                    primary == SQLITE_CORRUPT ? "; the file is damaged" : "; it is not an SQLite file", ")");
            if (primary == SQLITE_CANTOPEN)
                return make_error("cannot open results database '", path, "' (SQLite: ", sqlite3_errmsg(db.get()),
                                  "); is its folder present and readable?");
            return error("reading the schema");
        }
        app_id = sqlite3_column_int64(s.get(), 0);
        version = sqlite3_column_int64(s.get(), 1);
        objects = sqlite3_column_int64(s.get(), 2);
        if (const unsigned char* t = sqlite3_column_text(s.get(), 3)) first_table = reinterpret_cast<const char*>(t);
    }

    const bool empty = objects == 0 && app_id == 0 && version == 0;
    if (!empty && app_id != kApplicationId) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%08llx", static_cast<unsigned long long>(uint32_t(app_id)));
        return make_error("'", path, "' is not a MambaScope results database (it is an SQLite database of another ",
                          "application: application_id ", hex, ", ", objects, " schema objects",
                          first_table.empty() ? std::string() : cat(" such as table '", first_table, "'"), ")");
    }
    if (version > kSchemaVersion)
        return make_error("results database '", path, "' has schema version ", version,
                          "; this MambaScope reads up to ", kSchemaVersion, " (it was written by a newer MambaScope)");
    if (mode == Mode::read_only) {
        if (empty) return make_error("'", path, "' is an empty SQLite database, not a MambaScope results database");
        if (version < kSchemaVersion)
            return make_error("results database '", path, "' has schema version ", version,
                              "; open it once for writing to upgrade it");
        return {};
    }

    // Only now, knowing the file is ours or empty, does the writer change it.
    {
        sqlite3_stmt* raw = nullptr;
        int rc = sqlite3_prepare_v2(db.get(), "PRAGMA journal_mode = WAL", -1, &raw, nullptr);
        StmtPtr s(raw);
        if (rc == SQLITE_OK) rc = sqlite3_step(s.get());
        if (rc != SQLITE_ROW) {
            if (is_readonly_code(sqlite3_extended_errcode(db.get())))
                return make_error("cannot write results database '", path,
                                  "': its file or folder is read-only (SQLite: ", sqlite3_errmsg(db.get()),
                                  "); open it read-only to browse, or copy it somewhere writable");
            return error("switching to WAL");
        }
        const unsigned char* m = sqlite3_column_text(s.get(), 0);
        if (!m || std::strcmp(reinterpret_cast<const char*>(m), "wal") != 0)
            return make_error("results database '", path, "': SQLite refused WAL mode (journal mode '",
                              m ? reinterpret_cast<const char*>(m) : "?",
                              "'); is it on a network file system without shared memory?");
    }
    // NORMAL in WAL mode: commits survive a killed process; only a power cut can lose the last ones.
    MS_TRY(exec("PRAGMA synchronous = NORMAL"));
    if (version == 0) {
        Transaction t(*this);
        MS_TRY(t.begin());
        MS_TRY(exec(kSchemaV1));
        MS_TRY(exec(cat("PRAGMA application_id = ", kApplicationId).c_str()));
        MS_TRY(exec(cat("PRAGMA user_version = ", kSchemaVersion).c_str()));
        MS_TRY(t.commit());
    }
    // Forward migrations from version 1 to later versions go here, one transaction each.
    return {};
}

Result<ResultsStore> ResultsStore::open(const std::string& path, Mode mode) {
    ResultsStore store;
    Impl& d = *store.impl_;
    d.path = path;
    d.mode = mode;
    if (mode == Mode::read_only) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0)
            return make_error("cannot open results database '", path, "': ", std::strerror(errno));
    }
    // NOMUTEX: a store is used by one thread at a time (see the header), so SQLite's own locking
    // per call is not needed.
    const int flags = (mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_NOMUTEX;
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    d.db.reset(raw);  // sqlite3_open_v2 returns a handle even on failure; it must be closed
    if (rc != SQLITE_OK) {
        if (!raw)
            return make_error("cannot open results database '", path, "': SQLite could not allocate a connection");
        return make_error(mode == Mode::read_only ? "cannot open" : "cannot create or open", " results database '",
                          path, "' (SQLite: ", sqlite3_errmsg(raw), "); is its folder present and ",
                          mode == Mode::read_only ? "readable?" : "writable?");
    }
    if (sqlite3_extended_result_codes(d.db.get(), 1) != SQLITE_OK) return d.error("enabling extended result codes");
    if (sqlite3_busy_timeout(d.db.get(), kBusyTimeoutMs) != SQLITE_OK) return d.error("setting the busy timeout");
    MS_TRY(d.exec("PRAGMA foreign_keys = ON"));
    MS_TRY(d.identify_and_prepare());
    return store;
}

ResultsStore::ResultsStore() : impl_(std::make_unique<Impl>()) {}
ResultsStore::ResultsStore(ResultsStore&&) noexcept = default;
ResultsStore& ResultsStore::operator=(ResultsStore&&) noexcept = default;

ResultsStore::~ResultsStore() {
    if (impl_ && impl_->db && impl_->mode == Mode::read_write && !impl_->buffers.empty()) {
        auto r = flush();  // errors cannot leave a destructor; callers who care call flush() first
        (void)r;
    }
}

const std::string& ResultsStore::path() const { return impl_->path; }

void ResultsStore::set_batch_tiles(int tiles) { impl_->batch_tiles = std::max(1, tiles); }

Result<int64_t> ResultsStore::begin_run(const RunInfo& info) {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    static const char* sql =
        "INSERT INTO runs (tool_version, git_revision, command, params_json, model_name, model_sha256, device, "
        "precision, started_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), "
        "'running')";
    auto q = d.prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(info.tool_version, info.git_revision, info.command, info.params_json, info.model_name,
                   info.model_sha256, info.device, info.precision));
    MS_TRY(q->run());
    return int64_t(sqlite3_last_insert_rowid(d.db.get()));
}

Result<int64_t> ResultsStore::add_sequence(int64_t run_id, const SequenceInfo& seq) {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    if (seq.length < 0) return make_error("sequence '", seq.name, "' has a negative length (", seq.length, ")");
    {
        // A resumed job adds its sequences again: an existing row of the same length is reused.
        static const char* sql =
            "INSERT INTO sequences (run_id, name, length, md5, source) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (run_id, name) DO NOTHING";
        auto q = d.prepare(sql);
        if (!q) return q.error();
        MS_TRY(q->bind(run_id, seq.name, seq.length, seq.md5, seq.source));
        auto r = q->run();
        if (!r) {
            if ((sqlite3_extended_errcode(d.db.get())) == SQLITE_CONSTRAINT_FOREIGNKEY)
                return make_error("results database '", d.path, "': no run ", run_id, " to add sequence '", seq.name,
                                  "' to");
            return r.error();
        }
    }
    static const char* sql = "SELECT id, length FROM sequences WHERE run_id = ? AND name = ?";
    auto q = d.prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(run_id, seq.name));
    bool row = false;
    MS_ASSIGN(row, q->step());
    if (!row)
        return make_error("results database '", d.path, "': sequence '", seq.name, "' of run ", run_id,
                          " was not stored");
    if (q->i64(1) != seq.length)
        return make_error("results database '", d.path, "': run ", run_id, " already has sequence '", seq.name,
                          "' with length ", q->i64(1), ", not ", seq.length);
    return q->i64(0);
}

Result<int64_t> ResultsStore::Impl::track_id(int64_t run_id, std::string_view name) {
    if (auto it = track_ids.find(std::pair(run_id, std::string(name))); it != track_ids.end()) return it->second;
    {
        static const char* sql =
            "INSERT INTO tracks (run_id, name) VALUES (?, ?) ON CONFLICT (run_id, name) DO NOTHING";
        auto q = prepare(sql);
        if (!q) return q.error();
        MS_TRY(q->bind(run_id, name));
        auto r = q->run();
        if (!r) {
            if (sqlite3_extended_errcode(db.get()) == SQLITE_CONSTRAINT_FOREIGNKEY)
                return make_error("results database '", path, "': no run ", run_id, " for track '", name, "'");
            return r.error();
        }
    }
    static const char* sql = "SELECT id FROM tracks WHERE run_id = ? AND name = ?";
    auto q = prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(run_id, name));
    bool row = false;
    MS_ASSIGN(row, q->step());
    if (!row) return make_error("results database '", path, "': track '", name, "' of run ", run_id, " was not stored");
    const int64_t id = q->i64(0);
    track_ids.emplace(std::pair(run_id, std::string(name)), id);
    track_run[id] = run_id;
    return id;
}

Result<const ResultsStore::Impl::SequenceFacts*> ResultsStore::Impl::sequence(int64_t sequence_id) {
    if (auto it = sequences.find(sequence_id); it != sequences.end()) return &it->second;
    static const char* sql = "SELECT run_id, length, name FROM sequences WHERE id = ?";
    auto q = prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(sequence_id));
    bool row = false;
    MS_ASSIGN(row, q->step());
    if (!row) return make_error("results database '", path, "' has no sequence with id ", sequence_id);
    return &sequences.emplace(sequence_id, SequenceFacts{q->i64(0), q->i64(1), q->text(2)}).first->second;
}

Result<std::vector<float>> ResultsStore::Impl::load_tile(int64_t track, int64_t seq, int64_t tile, int64_t n) {
    static const char* sql =
        "SELECT n, data FROM track_tiles WHERE track_id = ? AND sequence_id = ? AND zoom = 0 AND tile_index = ?";
    auto q = prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(track, seq, tile));
    bool row = false;
    MS_ASSIGN(row, q->step());
    if (!row) return std::vector<float>(size_t(n), std::numeric_limits<float>::quiet_NaN());
    if (q->i64(0) != n)
        return make_error("results database '", path, "': tile ", tile, " of track ", track, " holds ", q->i64(0),
                          " positions; its sequence needs ", n);
    const Blob b = q->blob(1);
    auto v = codec.decode_values(b.data, b.bytes, n);
    if (!v)
        return make_error("results database '", path, "': tile ", tile, " of track ", track, ": ", v.error().message);
    return v;
}

Result<void> ResultsStore::Impl::store_tiles(const std::vector<TileKey>& keys) {
    if (keys.empty()) return {};
    static const char* sql =
        "INSERT OR REPLACE INTO track_tiles (track_id, sequence_id, zoom, tile_index, n, data) VALUES (?, ?, ?, ?, ?, "
        "?)";
    Transaction t(*this);
    MS_TRY(t.begin());
    for (const TileKey& k : keys) {
        const TileBuffer& buf = buffers.at(k);
        const int64_t n = int64_t(buf.values.size());
        const std::vector<ZoomSummary> zooms = summarize_zooms(buf.values.data(), n);
        for (int zoom = 0; zoom <= kMaxZoom; ++zoom) {
            std::vector<uint8_t> blob;
            if (zoom == 0)
                MS_ASSIGN(blob, codec.encode_values(buf.values.data(), n));
            else
                MS_ASSIGN(blob, codec.encode_summary(zooms[size_t(zoom - 1)]));
            auto q = prepare(sql);
            if (!q) return q.error();
            MS_TRY(q->bind(k.track, k.sequence, zoom, k.tile, n, Blob{blob.data(), blob.size()}));
            MS_TRY(q->run());
        }
    }
    return t.commit();
}

Result<void> ResultsStore::write_track(int64_t run_id, std::string_view name, int64_t sequence_id, int64_t begin,
                                       const float* values, int64_t n) {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    int64_t track = 0;
    MS_ASSIGN(track, d.track_id(run_id, name));
    const Impl::SequenceFacts* seq = nullptr;
    MS_ASSIGN(seq, d.sequence(sequence_id));
    if (seq->run_id != run_id)
        return make_error("results database '", d.path, "': sequence '", seq->name, "' belongs to run ", seq->run_id,
                          ", not to run ", run_id);
    if (n < 0 || begin < 0 || begin + n > seq->length)
        return make_error("track '", name, "': positions ", begin, "-", begin + n, " are outside sequence '", seq->name,
                          "' (0-", seq->length, ")");
    for (int64_t pos = begin, end = begin + n; pos < end;) {
        const int64_t tile = pos / kTilePositions, tile_begin = tile * kTilePositions;
        const int64_t tile_n = std::min(kTilePositions, seq->length - tile_begin);
        const Impl::TileKey key{track, sequence_id, tile};
        auto it = d.buffers.find(key);
        if (it == d.buffers.end()) {
            // Start from what is stored, so writing part of a tile never erases the rest of it.
            Impl::TileBuffer buf;
            MS_ASSIGN(buf.values, d.load_tile(track, sequence_id, tile, tile_n));
            it = d.buffers.emplace(key, std::move(buf)).first;
        }
        Impl::TileBuffer& buf = it->second;
        const int64_t stop = std::min(end, tile_begin + tile_n);
        std::copy(values + (pos - begin), values + (stop - begin), buf.values.begin() + (pos - tile_begin));
        buf.written += stop - pos;
        if (buf.written >= tile_n && !buf.queued) {
            buf.queued = true;
            d.full.push_back(key);
        }
        pos = stop;
    }
    if (int64_t(d.full.size()) >= d.batch_tiles) {
        MS_TRY(d.store_tiles(d.full));
        for (const Impl::TileKey& k : d.full) d.buffers.erase(k);
        d.full.clear();
    }
    return {};
}

Result<void> ResultsStore::flush() {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    std::vector<Impl::TileKey> keys;
    keys.reserve(d.buffers.size());
    for (const auto& [k, b] : d.buffers) keys.push_back(k);
    MS_TRY(d.store_tiles(keys));
    // Complete tiles are done; partial ones stay buffered for the writes that complete them.
    for (const Impl::TileKey& k : d.full) d.buffers.erase(k);
    d.full.clear();
    return {};
}

Result<void> ResultsStore::finish_run(int64_t run_id, RunStatus status) {
    Impl& d = *impl_;
    MS_TRY(flush());
    std::erase_if(d.buffers, [&](const auto& kv) { return d.track_run[kv.first.track] == run_id; });
    static const char* sql =
        "UPDATE runs SET status = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?";
    auto q = d.prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(to_string(status), run_id));
    MS_TRY(q->run());
    if (sqlite3_changes(d.db.get()) != 1) return make_error("results database '", d.path, "' has no run ", run_id);
    return {};
}

Result<std::vector<RunRecord>> ResultsStore::list_runs() const {
    Impl& d = *impl_;
    static const char* sql =
        "SELECT id, tool_version, git_revision, command, params_json, model_name, model_sha256, device, precision, "
        "started_at, coalesce(finished_at, ''), status FROM runs ORDER BY id";
    auto q = d.prepare(sql);
    if (!q) return q.error();
    std::vector<RunRecord> runs;
    for (;;) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        RunRecord r;
        r.id = q->i64(0);
        r.info = {q->text(1), q->text(2), q->text(3), q->text(4), q->text(5), q->text(6), q->text(7), q->text(8)};
        r.started_at = q->text(9);
        r.finished_at = q->text(10);
        MS_ASSIGN(r.status, parse_status(q->text(11)));
        runs.push_back(std::move(r));
    }
    return runs;
}

Result<std::vector<StoredSequence>> ResultsStore::list_sequences(int64_t run_id) const {
    static const char* sql = "SELECT id, name, length, md5, source FROM sequences WHERE run_id = ? ORDER BY id";
    auto q = impl_->prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(run_id));
    std::vector<StoredSequence> out;
    for (;;) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        out.push_back({q->i64(0), run_id, {q->text(1), q->i64(2), q->text(3), q->text(4)}});
    }
    return out;
}

Result<std::vector<StoredTrack>> ResultsStore::list_tracks(int64_t run_id) const {
    static const char* sql = "SELECT id, name FROM tracks WHERE run_id = ? ORDER BY id";
    auto q = impl_->prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(run_id));
    std::vector<StoredTrack> out;
    for (;;) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        out.push_back({q->i64(0), run_id, q->text(1)});
    }
    return out;
}

Result<int64_t> ResultsStore::find_track(int64_t run_id, std::string_view name) const {
    static const char* sql = "SELECT id FROM tracks WHERE run_id = ? AND name = ?";
    auto q = impl_->prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(run_id, name));
    bool row = false;
    MS_ASSIGN(row, q->step());
    if (!row) return make_error("results database '", impl_->path, "': run ", run_id, " has no track '", name, "'");
    return q->i64(0);
}

Result<std::vector<float>> ResultsStore::read_values(int64_t track_id, int64_t sequence_id, int64_t begin,
                                                     int64_t end) const {
    Impl& d = *impl_;
    const Impl::SequenceFacts* seq = nullptr;
    MS_ASSIGN(seq, d.sequence(sequence_id));
    if (begin < 0 || end > seq->length || begin > end)
        return make_error("window ", begin, "-", end, " is outside sequence '", seq->name, "' (0-", seq->length, ")");
    std::vector<float> out(size_t(end - begin), std::numeric_limits<float>::quiet_NaN());
    if (begin == end) return out;
    static const char* sql =
        "SELECT tile_index, n, data FROM track_tiles WHERE track_id = ? AND sequence_id = ? AND zoom = 0 "
        "AND tile_index BETWEEN ? AND ?";
    auto q = d.prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(track_id, sequence_id, begin / kTilePositions, (end - 1) / kTilePositions));
    for (;;) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        const int64_t tile = q->i64(0), n = q->i64(1), tile_begin = tile * kTilePositions;
        const Blob b = q->blob(2);
        std::vector<float> v;
        MS_ASSIGN(v, d.codec.decode_values(b.data, b.bytes, n));
        for (int64_t p = std::max(begin, tile_begin), e = std::min(end, tile_begin + n); p < e; ++p)
            out[size_t(p - begin)] = v[size_t(p - tile_begin)];
    }
    return out;
}

Result<std::vector<TrackBin>> ResultsStore::read_track(int64_t track_id, int64_t sequence_id, int64_t begin,
                                                       int64_t end, int max_bins) const {
    Impl& d = *impl_;
    if (max_bins < 1) return make_error("a track read needs at least one bin (asked for ", max_bins, ")");
    const Impl::SequenceFacts* seq = nullptr;
    MS_ASSIGN(seq, d.sequence(sequence_id));
    end = std::min(end, seq->length);
    if (begin < 0 || begin >= end)
        return make_error("window ", begin, "-", end, " is empty or outside sequence '", seq->name, "' (0-",
                          seq->length, ")");

    // The coarsest zoom that still has max_bins bins over the window: the fewest bytes to read
    // for a picture that is as sharp as the bins asked for.
    int zoom = 0;
    for (int z = kMaxZoom; z > 0; --z)
        if ((end - begin) / zoom_bin_size(z) >= max_bins) {
            zoom = z;
            break;
        }
    const int64_t bs = zoom_bin_size(zoom);
    const int64_t b0 = begin / bs, b1 = (end + bs - 1) / bs, nsrc = b1 - b0;
    // Per source bin: sum of values (mean × count), min, max, count of non-NaN values.
    std::vector<double> sum(size_t(nsrc), 0.0);
    std::vector<float> lo(size_t(nsrc), std::numeric_limits<float>::infinity()), hi(size_t(nsrc), -INFINITY);
    std::vector<int64_t> count(size_t(nsrc), 0);

    static const char* sql =
        "SELECT tile_index, n, data FROM track_tiles WHERE track_id = ? AND sequence_id = ? AND zoom = ? "
        "AND tile_index BETWEEN ? AND ?";
    auto q = d.prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(track_id, sequence_id, zoom, begin / kTilePositions, (end - 1) / kTilePositions));
    for (;;) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        const int64_t tile = q->i64(0), n = q->i64(1);
        const int64_t first_bin = tile * (kTilePositions / bs);  // global index of the tile's first bin
        const Blob b = q->blob(2);
        if (zoom == 0) {
            std::vector<float> v;
            MS_ASSIGN(v, d.codec.decode_values(b.data, b.bytes, n));
            for (int64_t j = std::max<int64_t>(0, b0 - first_bin), e = std::min<int64_t>(n, b1 - first_bin); j < e;
                 ++j) {
                const float x = v[size_t(j)];
                if (std::isnan(x)) continue;
                const size_t i = size_t(first_bin + j - b0);
                sum[i] = x;
                lo[i] = hi[i] = x;
                count[i] = 1;
            }
        } else {
            ZoomSummary s;
            MS_ASSIGN(s, d.codec.decode_summary(b.data, b.bytes, zoom_bins(n, zoom)));
            for (int64_t j = std::max<int64_t>(0, b0 - first_bin),
                         e = std::min<int64_t>(int64_t(s.size()), b1 - first_bin);
                 j < e; ++j) {
                if (s.count[size_t(j)] == 0) continue;
                const size_t i = size_t(first_bin + j - b0);
                sum[i] = double(s.mean[size_t(j)]) * s.count[size_t(j)];
                lo[i] = s.min[size_t(j)];
                hi[i] = s.max[size_t(j)];
                count[i] = s.count[size_t(j)];
            }
        }
    }

    const int64_t group = (nsrc + max_bins - 1) / max_bins;  // source bins per output bin
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<TrackBin> bins;
    bins.reserve(size_t((nsrc + group - 1) / group));
    for (int64_t g0 = 0; g0 < nsrc; g0 += group) {
        const int64_t g1 = std::min(nsrc, g0 + group);
        double s = 0;
        int64_t c = 0;
        float mn = INFINITY, mx = -INFINITY;
        for (int64_t i = g0; i < g1; ++i) {
            if (!count[size_t(i)]) continue;
            s += sum[size_t(i)];
            c += count[size_t(i)];
            mn = std::min(mn, lo[size_t(i)]);
            mx = std::max(mx, hi[size_t(i)]);
        }
        TrackBin bin;
        bin.begin = std::max(begin, (b0 + g0) * bs);
        bin.end = std::min(end, (b0 + g1) * bs);
        bin.mean = c ? float(s / double(c)) : nan;
        bin.min = c ? mn : nan;
        bin.max = c ? mx : nan;
        bins.push_back(bin);
    }
    return bins;
}

Result<StoreCounts> ResultsStore::counts() const {
    Impl& d = *impl_;
    static const char* sql =
        "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM sequences), (SELECT count(*) FROM tracks), "
        "(SELECT count(*) FROM track_tiles), (SELECT coalesce(sum(length(data)), 0) FROM track_tiles), "
        "(SELECT count(*) FROM predictions), (SELECT count(*) FROM embeddings)";
    auto q = d.prepare(sql);
    if (!q) return q.error();
    bool row = false;
    MS_ASSIGN(row, q->step());
    if (!row) return make_error("results database '", d.path, "': the counts query returned no row");
    StoreCounts c;
    c.runs = q->i64(0);
    c.sequences = q->i64(1);
    c.tracks = q->i64(2);
    c.tiles = q->i64(3);
    c.tile_bytes = q->i64(4);
    c.predictions = q->i64(5);
    c.embeddings = q->i64(6);
    c.file_bytes = file_size(d.path) + file_size(d.path + "-wal");
    return c;
}

Result<std::string> ResultsStore::integrity_check() const {
    Impl& d = *impl_;
    std::string problems;
    {
        static const char* sql = "PRAGMA integrity_check";
        auto q = d.prepare(sql);
        if (!q) return q.error();
        for (;;) {
            bool row = false;
            MS_ASSIGN(row, q->step());
            if (!row) break;
            if (q->text(0) != "ok") problems += q->text(0) + "\n";
        }
    }
    // Every tile must have the length its sequence implies and decode to it.
    static const char* sql =
        "SELECT t.track_id, t.sequence_id, t.zoom, t.tile_index, t.n, t.data, s.length "
        "FROM track_tiles AS t JOIN sequences AS s ON s.id = t.sequence_id";
    auto q = d.prepare(sql);
    if (!q) return q.error();
    for (;;) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        const int64_t track = q->i64(0), zoom = q->i64(2), tile = q->i64(3), n = q->i64(4), length = q->i64(6);
        const std::string where = cat("track ", track, " sequence ", q->i64(1), " zoom ", zoom, " tile ", tile);
        const int64_t expect = std::min(kTilePositions, length - tile * kTilePositions);
        if (n != expect) {
            problems += cat(where, ": holds ", n, " positions, expected ", expect, "\n");
            continue;
        }
        const Blob b = q->blob(5);
        const bool ok = zoom == 0 ? bool(d.codec.decode_values(b.data, b.bytes, n))
                                  : bool(d.codec.decode_summary(b.data, b.bytes, zoom_bins(n, int(zoom))));
        if (!ok) problems += where + ": does not decode\n";
    }
    if (problems.empty()) return std::string("ok");
    problems.pop_back();
    return problems;
}

}  // namespace ms

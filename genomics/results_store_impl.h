// The parts of the results store shared by its source files (results_schema.cpp, results_store.cpp,
// results_items.cpp, results_embeddings.cpp): RAII handles, the cached-statement Query and the
// store's state. Private to genomics/.
#pragma once

#include <cerrno>

#include <sqlite3.h>

#include <concepts>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "genomics/results_store.h"
#include "genomics/track_tiles.h"

namespace ms {

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
using SqlValue = std::variant<std::monostate, int64_t, double, std::string, Blob>;

int64_t file_size(const std::string& path);
bool is_readonly_code(int rc);

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

    // Binds the values of a statement composed at run time (see Impl::prepare_composed).
    Result<void> bind_all(const std::vector<SqlValue>& values) {
        for (size_t i = 0; i < values.size(); ++i) MS_TRY(bind_one(int(i + 1), values[i]));
        return {};
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
    Result<void> bind_one(int i, std::nullopt_t) { return check(sqlite3_bind_null(s_, i), i); }
    template <class T>
    Result<void> bind_one(int i, const std::optional<T>& v) {
        return v ? bind_one(i, *v) : bind_one(i, std::nullopt);
    }
    Result<void> bind_one(int i, const SqlValue& v) {
        return std::visit(
            [&](const auto& x) -> Result<void> {
                if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>)
                    return bind_one(i, std::nullopt);
                else
                    return bind_one(i, x);
            },
            v);
    }
    Result<void> check(int rc, int i);

    sqlite3_stmt* s_;
    sqlite3* db_;
    const std::string* path_;  // for messages
};

// SQLite found the file damaged: said as damage, with what to do, not as the statement that met it
// (a message quoted a SELECT's SQL; found in review).
inline Error damaged_database(const std::string& path, sqlite3* db) {
    Error e =
        make_error("results database '", path, "' is damaged (SQLite: ", sqlite3_errmsg(db),
                   "): restore the file from a copy, or export what still reads", ResultsStore::damaged_hint(path));
    e.damaged = true;
    return e;
}

struct ResultsStore::Impl {
    std::string path;
    Mode mode = Mode::read_write;
    DbPtr db;                              // declared before the statements: closed after them
    std::map<const char*, StmtPtr> stmts;  // keyed by the address of the SQL literal
    // Statements composed from literal fragments (filters present, a whitelisted sort), keyed by text.
    std::map<std::string, StmtPtr, std::less<>> composed;
    TileCodec codec;
    int encode_threads = 1;                // set by open(): the hardware's threads, at most 4
    std::vector<TileCodec> thread_codecs;  // one per extra encoding thread

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
    int64_t full_positions = 0;  // the positions they hold
    std::map<std::pair<int64_t, std::string>, int64_t, std::less<>> track_ids;
    std::map<int64_t, int64_t> track_run;
    std::map<int64_t, TrackEncoding> track_encodings;
    std::map<int64_t, SequenceFacts> sequences;
    // Sequences this connection made (add_sequence inserted their row) none of whose tiles it has
    // stored yet: no tile of theirs can be in the file, so a tile started for one is not looked
    // for there (six queries a record in a genome of short records).
    std::unordered_set<int64_t> fresh_sequences;
    // Full tiles are stored once they hold batch_tiles · kTilePositions positions (2 M: commits stay
    // a small share of the time), so a batch of short sequences' tiles is as large as one of long
    // ones' (counted in tiles, 2 kbp records committed every ~5 records).
    int batch_tiles = 32;

    Error error(std::string_view what) const {
        // Reading needs room too: a WAL reader makes the database's -shm file.
        const int primary = sqlite3_extended_errcode(db.get()) & 0xff;
        if (primary == SQLITE_FULL || (primary == SQLITE_IOERR && sqlite3_system_errno(db.get()) == ENOSPC))
            return make_error("results database '", path, "': ", what, " failed: the disk is full (SQLite needs ",
                              "room for the database's '-shm' file even to read it; free some space, or copy the ",
                              "database to a disk with room)");
        // Damage is said as damage, with what to do, not as the statement that met it (a message
        // quoted a SELECT's SQL; found in review).
        if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return damaged_database(path, db.get());
        return make_error("results database '", path, "': ", what, " failed: ", sqlite3_errmsg(db.get()));
    }
    // A stored tile that does not decode, named as `info` names it.
    Error damaged_tile(int64_t track, int64_t sequence, int64_t zoom, int64_t tile, const Error& why) const {
        return make_error("results database '", path, "': track ", track, " sequence ", sequence, " zoom ", zoom,
                          " tile ", tile, " does not decode (", why.message,
                          "); the file is damaged: `mambascope-cli info ", path, "` lists every damaged tile");
    }

    // A statement whose text is a literal of the program (cached by its address).
    Result<Query> prepare(const char* sql);
    // A statement assembled by the program from literal fragments only (never from user text),
    // cached by its text.
    Result<Query> prepare_composed(const std::string& sql);
    Result<void> exec(const char* sql);
    // Runs `sql` (a literal whose one parameter is the run id) and checks it changed that run's row:
    // "has no run N" otherwise.
    Result<void> change_run(const char* sql, int64_t run_id);

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
    Result<void> migrate(int64_t from_version);
    Result<int64_t> track_id(int64_t run_id, std::string_view name);
    Result<TrackEncoding> track_encoding(int64_t track_id);
    Result<const SequenceFacts*> sequence(int64_t sequence_id);
    Result<void> record_sequence_complete(int64_t sequence_id);
    Result<void> record_part_complete(int64_t sequence_id, int64_t begin, int64_t end);
    // Encodes the tiles and stores them in one transaction of their own.
    Result<void> store_tiles(const std::vector<TileKey>& keys);
    // The same inside a transaction the caller holds.
    Result<void> insert_tiles(const std::vector<TileKey>& keys);
    // Every buffered tile, partial ones included (what flush() and mark_complete store).
    std::vector<TileKey> buffered_keys() const;
    // Once the transaction that stored them has committed: the complete tiles leave the buffers
    // (partial ones stay for the writes that complete them).
    void forget_stored_full_tiles();
    Result<std::vector<float>> load_tile(int64_t track, int64_t sequence, int64_t tile, int64_t n);
};

}  // namespace ms

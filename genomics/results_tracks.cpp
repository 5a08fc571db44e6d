// The results store's per-position tracks (see results_store.h): the buffered tile writer (tiles of
// a batch encoded on several threads, stored in one transaction) and the multi-resolution reader.
// Every SQL text here is a literal; values always travel as bound parameters.
#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <utility>

#include "common/thread_name.h"
#include "genomics/results_store.h"
#include "genomics/results_store_impl.h"
#include "genomics/track_tiles.h"

namespace ms {

namespace {

Result<ValueCoding> parse_coding(const std::string& s) {
    for (ValueCoding c : {ValueCoding::f16, ValueCoding::q8, ValueCoding::q16})
        if (s == to_string(c)) return c;
    return make_error("unknown track encoding '", s, "'");
}

}  // namespace

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

Result<TrackEncoding> ResultsStore::Impl::track_encoding(int64_t track) {
    if (auto it = track_encodings.find(track); it != track_encodings.end()) return it->second;
    static const char* sql = "SELECT encoding, range_lo, range_hi FROM tracks WHERE id = ?";
    auto q = prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(track));
    bool row = false;
    MS_ASSIGN(row, q->step());
    if (!row) return make_error("results database '", path, "', table tracks: no track with id ", track);
    TrackEncoding e;
    auto coding = parse_coding(q->text(0));
    if (!coding)
        return make_error("results database '", path, "', table tracks, track ", track, ": ", coding.error().message,
                          " (expected f16, q8 or q16)");
    e.coding = *coding;
    e.lo = float(q->f64(1));
    e.hi = float(q->f64(2));
    auto valid = validate(e);
    if (!valid)
        return make_error("results database '", path, "', table tracks, track ", track, ": ", valid.error().message);
    track_encodings.emplace(track, e);
    return e;
}

Result<int64_t> ResultsStore::create_track(int64_t run_id, std::string_view name, const TrackEncoding& encoding) {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    auto valid = validate(encoding);
    if (!valid) return make_error("track '", name, "': ", valid.error().message);
    {
        static const char* sql =
            "INSERT INTO tracks (run_id, name, encoding, range_lo, range_hi) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (run_id, name) DO NOTHING";
        auto q = d.prepare(sql);
        if (!q) return q.error();
        MS_TRY(q->bind(run_id, name, to_string(encoding.coding), double(encoding.lo), double(encoding.hi)));
        auto r = q->run();
        if (!r) {
            if (sqlite3_extended_errcode(d.db.get()) == SQLITE_CONSTRAINT_FOREIGNKEY)
                return make_error("results database '", d.path, "': no run ", run_id, " for track '", name, "'");
            return r.error();
        }
    }
    int64_t track = 0;
    MS_ASSIGN(track, d.track_id(run_id, name));
    TrackEncoding stored;
    MS_ASSIGN(stored, d.track_encoding(track));
    // A q8 range stored as REAL comes back as the same float; f16 ignores the range.
    const bool same = stored.coding == encoding.coding &&
                      (encoding.coding == ValueCoding::f16 || (stored.lo == encoding.lo && stored.hi == encoding.hi));
    if (!same)
        return make_error("results database '", d.path, "': track '", name, "' of run ", run_id, " is stored as ",
                          describe(stored), ", not ", describe(encoding));
    return track;
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
    if (fresh_sequences.contains(seq)) return std::vector<float>(size_t(n), std::numeric_limits<float>::quiet_NaN());
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
    TrackEncoding e;
    MS_ASSIGN(e, track_encoding(track));
    auto v = codec.decode_values(e, b.data, b.bytes, n);
    if (!v)
        return make_error("results database '", path, "': tile ", tile, " of track ", track, ": ", v.error().message);
    return v;
}

Result<void> ResultsStore::Impl::store_tiles(const std::vector<TileKey>& keys) {
    if (keys.empty()) return {};
    Transaction t(*this);
    MS_TRY(t.begin());
    MS_TRY(insert_tiles(keys));
    return t.commit();
}

std::vector<ResultsStore::Impl::TileKey> ResultsStore::Impl::buffered_keys() const {
    std::vector<TileKey> keys;
    keys.reserve(buffers.size());
    for (const auto& [k, b] : buffers) keys.push_back(k);
    return keys;
}

void ResultsStore::Impl::forget_stored_full_tiles() {
    // Complete tiles are done; partial ones stay buffered for the writes that complete them.
    for (const TileKey& k : full) buffers.erase(k);
    full.clear();
    full_positions = 0;
}

Result<void> ResultsStore::Impl::insert_tiles(const std::vector<TileKey>& keys) {
    if (keys.empty()) return {};
    // Encoding (quantise, summarise, zstd) is most of a write's time and each tile is independent:
    // the batch is split over threads, each with its own codec; SQLite then stores the blobs on
    // this thread, in one transaction.
    std::vector<TrackEncoding> encodings(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) MS_ASSIGN(encodings[i], track_encoding(keys[i].track));
    std::vector<Result<std::vector<std::vector<uint8_t>>>> blobs(keys.size(), Error{});
    const int threads = int(std::min<size_t>(size_t(encode_threads), keys.size()));
    if (int(thread_codecs.size()) < threads - 1) thread_codecs.resize(size_t(threads - 1));
    auto encode = [&](int t) {
        if (t > 0) name_this_thread("ms-encoder");
        TileCodec& c = t == 0 ? codec : thread_codecs[size_t(t - 1)];
        for (size_t i = size_t(t); i < keys.size(); i += size_t(threads)) {
            const TileBuffer& buf = buffers.at(keys[i]);
            blobs[i] = c.encode_tile(encodings[i], buf.values.data(), int64_t(buf.values.size()));
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(encode, t);
    encode(0);
    for (std::thread& th : pool) th.join();

    static const char* sql =
        "INSERT OR REPLACE INTO track_tiles (track_id, sequence_id, zoom, tile_index, n, data) VALUES (?, ?, ?, ?, ?, "
        "?)";
    for (size_t i = 0; i < keys.size(); ++i) {
        const TileKey& k = keys[i];
        if (!blobs[i]) return blobs[i].error();
        fresh_sequences.erase(k.sequence);  // its later tiles are looked for (this one may be written again)
        const int64_t n = int64_t(buffers.at(k).values.size());
        for (int zoom = 0; zoom <= kMaxZoom; ++zoom) {
            const std::vector<uint8_t>& blob = (*blobs[i])[size_t(zoom)];
            auto q = prepare(sql);
            if (!q) return q.error();
            MS_TRY(q->bind(k.track, k.sequence, zoom, k.tile, n, Blob{blob.data(), blob.size()}));
            MS_TRY(q->run());
        }
    }
    return {};
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
            d.full_positions += tile_n;
        }
        pos = stop;
    }
    if (d.full_positions >= int64_t(d.batch_tiles) * kTilePositions) {
        MS_TRY(d.store_tiles(d.full));
        d.forget_stored_full_tiles();
    }
    return {};
}

Result<std::vector<StoredTrack>> ResultsStore::list_tracks(int64_t run_id) const {
    static const char* sql = "SELECT id, name FROM tracks WHERE run_id = ? ORDER BY id";
    std::vector<StoredTrack> out;
    {
        auto q = impl_->prepare(sql);
        if (!q) return q.error();
        MS_TRY(q->bind(run_id));
        for (;;) {
            bool row = false;
            MS_ASSIGN(row, q->step());
            if (!row) break;
            out.push_back({q->i64(0), run_id, q->text(1), {}});
        }
    }
    for (StoredTrack& t : out) MS_ASSIGN(t.encoding, impl_->track_encoding(t.id));
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
    TrackEncoding enc;
    MS_ASSIGN(enc, d.track_encoding(track_id));
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
        auto v = d.codec.decode_values(enc, b.data, b.bytes, n);
        if (!v) return d.damaged_tile(track_id, sequence_id, 0, tile, v.error());
        for (int64_t p = std::max(begin, tile_begin), e = std::min(end, tile_begin + n); p < e; ++p)
            out[size_t(p - begin)] = (*v)[size_t(p - tile_begin)];
    }
    // This writer's tiles not yet stored: each began as its stored tile, so it holds all of that
    // and the positions written since, read as they will be stored (score reads a part's forward
    // strand back this way instead of flushing before each reverse strand: a commit a record in a
    // genome of short records).
    for (auto it = d.buffers.lower_bound({track_id, sequence_id, begin / kTilePositions});
         it != d.buffers.end() && it->first.track == track_id && it->first.sequence == sequence_id &&
         it->first.tile <= (end - 1) / kTilePositions;
         ++it) {
        const int64_t tile_begin = it->first.tile * kTilePositions, n = int64_t(it->second.values.size());
        for (int64_t p = std::max(begin, tile_begin), e = std::min(end, tile_begin + n); p < e; ++p)
            out[size_t(p - begin)] = round_trip(enc, it->second.values[size_t(p - tile_begin)]);
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

    TrackEncoding enc;
    MS_ASSIGN(enc, d.track_encoding(track_id));
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
            auto decoded = d.codec.decode_values(enc, b.data, b.bytes, n);
            if (!decoded) return d.damaged_tile(track_id, sequence_id, 0, tile, decoded.error());
            const std::vector<float>& v = *decoded;
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
            auto summary = d.codec.decode_summary(enc, b.data, b.bytes, zoom_bins(n, zoom));
            if (!summary) return d.damaged_tile(track_id, sequence_id, zoom, tile, summary.error());
            const ZoomSummary& s = *summary;
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

}  // namespace ms

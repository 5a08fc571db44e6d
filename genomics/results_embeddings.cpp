// Embeddings of the results store: vectors stored as float32 or float16 BLOBs with their dimension,
// linked to their item (a window, record, read or variant), written idempotently in one transaction
// a call, and loaded into an EmbeddingIndex for cosine nearest neighbours (see results_store.h).
#include <bit>
#include <cstring>

#include "genomics/results_store.h"
#include "genomics/results_store_impl.h"

namespace ms {

namespace {

static_assert(std::endian::native == std::endian::little, "vector BLOBs are little-endian");

const char* dtype_name(EmbeddingDtype t) { return t == EmbeddingDtype::f16 ? "f16" : "f32"; }

// The vector of a row, checked against its declared dimension and dtype.
Result<std::vector<float>> decode_vector(const std::string& path, int64_t id, int64_t dim, const std::string& dtype,
                                         const Blob& b) {
    const size_t width = dtype == "f16" ? 2 : dtype == "f32" ? 4 : 0;
    if (width == 0)
        return make_error("results database '", path, "', table embeddings, row ", id, ": dtype '", dtype,
                          "'; expected f32 or f16");
    if (dim <= 0 || b.bytes != size_t(dim) * width)
        return make_error("results database '", path, "', table embeddings, row ", id, ": vector holds ", b.bytes,
                          " bytes; expected ", dim, " ", dtype, " values (", dim * int64_t(width), " bytes)");
    std::vector<float> v(static_cast<size_t>(dim));
    if (width == 4) {
        std::memcpy(v.data(), b.data, b.bytes);
    } else {
        const auto* h = static_cast<const uint8_t*>(b.data);
        for (size_t i = 0; i < v.size(); ++i) v[i] = half_to_float(uint16_t(h[2 * i] | (h[2 * i + 1] << 8)));
    }
    return v;
}

}  // namespace

Result<void> ResultsStore::write_embeddings(int64_t run_id, std::span<const Embedding> embeddings) {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    for (const Embedding& e : embeddings) {
        if (e.vector.empty()) return make_error("embedding of ", to_string(e.kind), " '", e.item, "' has no values");
        if (e.sequence_id == 0 && e.begin >= 0 && e.begin > e.end)
            return make_error("embedding of ", to_string(e.kind), " '", e.item, "': ", e.begin, "-", e.end,
                              " is an empty or reversed interval");
        if (e.sequence_id != 0) {
            const Impl::SequenceFacts* seq = nullptr;
            MS_ASSIGN(seq, d.sequence(e.sequence_id));
            if (seq->run_id != run_id)
                return make_error("embedding of ", to_string(e.kind), " '", e.item, "': sequence '", seq->name,
                                  "' belongs to run ", seq->run_id, ", not ", run_id);
            if (e.begin < 0 || e.begin > e.end || e.end > seq->length)
                return make_error("embedding of ", to_string(e.kind), " '", e.item, "': ", e.begin, "-", e.end,
                                  " is outside sequence '", seq->name, "' (0-", seq->length, ")");
        }
    }
    static const char* sql =
        "INSERT OR REPLACE INTO embeddings (run_id, item_kind, item_id, sequence_id, \"begin\", \"end\", dim, dtype, "
        "vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    Impl::Transaction t(d);
    MS_TRY(t.begin());
    std::vector<uint8_t> halves;
    for (const Embedding& e : embeddings) {
        Blob blob{e.vector.data(), 4 * e.vector.size()};
        if (e.dtype == EmbeddingDtype::f16) {
            halves.resize(2 * e.vector.size());
            for (size_t i = 0; i < e.vector.size(); ++i) {
                const uint16_t h = float_to_half(e.vector[i]);
                halves[2 * i] = uint8_t(h & 0xffu);
                halves[2 * i + 1] = uint8_t(h >> 8);
            }
            blob = {halves.data(), halves.size()};
        }
        // An embedding not placed on a sequence (a read) has coordinates on its item, as its
        // prediction has: windows of one read are told apart by them (they were NULL, and every
        // window of a read was stored over the one before). Negative: not known, NULL.
        std::optional<int64_t> seq, begin, end;
        if (e.sequence_id != 0) seq = e.sequence_id;
        if (e.begin >= 0) begin = e.begin, end = e.end;
        auto q = d.prepare(sql);
        if (!q) return q.error();
        MS_TRY(q->bind(run_id, to_string(e.kind), e.item, seq, begin, end, int64_t(e.vector.size()),
                       dtype_name(e.dtype), blob));
        auto r = q->run();
        if (!r) {
            if (sqlite3_extended_errcode(d.db.get()) == SQLITE_CONSTRAINT_FOREIGNKEY)
                return make_error("results database '", d.path, "', table embeddings: no run ", run_id);
            return r.error();
        }
    }
    return t.commit();
}

Result<StoredEmbedding> ResultsStore::read_embedding(int64_t embedding_id) const {
    Impl& d = *impl_;
    static const char* sql =
        "SELECT run_id, item_kind, item_id, coalesce(sequence_id, 0), coalesce(\"begin\", -1), coalesce(\"end\", -1), "
        "dim, dtype, vector FROM embeddings WHERE id = ?";
    auto q = d.prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(embedding_id));
    bool row = false;
    MS_ASSIGN(row, q->step());
    if (!row) return make_error("results database '", d.path, "', table embeddings: no embedding ", embedding_id);
    StoredEmbedding se;
    se.id = embedding_id;
    se.run_id = q->i64(0);
    const std::string kind = q->text(1);
    for (ItemKind k : {ItemKind::sequence, ItemKind::window, ItemKind::read, ItemKind::variant})
        if (kind == to_string(k)) se.e.kind = k;
    se.e.item = q->text(2);
    se.e.sequence_id = q->i64(3);
    se.e.begin = q->i64(4);
    se.e.end = q->i64(5);
    const std::string dtype = q->text(7);
    se.e.dtype = dtype == "f16" ? EmbeddingDtype::f16 : EmbeddingDtype::f32;
    MS_ASSIGN(se.e.vector, decode_vector(d.path, embedding_id, q->i64(6), dtype, q->blob(8)));
    return se;
}

Result<std::vector<int64_t>> ResultsStore::list_embedding_ids(int64_t run_id, std::optional<ItemKind> kind) const {
    static const char* all = "SELECT id FROM embeddings WHERE run_id = ? ORDER BY id";
    static const char* of_kind = "SELECT id FROM embeddings WHERE run_id = ? AND item_kind = ? ORDER BY id";
    auto q = impl_->prepare(kind ? of_kind : all);
    if (!q) return q.error();
    if (kind)
        MS_TRY(q->bind(run_id, to_string(*kind)));
    else
        MS_TRY(q->bind(run_id));
    std::vector<int64_t> ids;
    for (;;) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        ids.push_back(q->i64(0));
    }
    return ids;
}

Result<EmbeddingIndex> ResultsStore::load_embedding_index(int64_t run_id, std::optional<ItemKind> kind) const {
    Impl& d = *impl_;
    static const char* all = "SELECT id, dim, dtype, vector FROM embeddings WHERE run_id = ? ORDER BY id";
    static const char* of_kind =
        "SELECT id, dim, dtype, vector FROM embeddings WHERE run_id = ? AND item_kind = ? ORDER BY id";
    auto q = d.prepare(kind ? of_kind : all);
    if (!q) return q.error();
    if (kind)
        MS_TRY(q->bind(run_id, to_string(*kind)));
    else
        MS_TRY(q->bind(run_id));
    EmbeddingIndex index;
    for (;;) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        const int64_t id = q->i64(0), dim = q->i64(1);
        if (index.size() == 0) {
            index = EmbeddingIndex(int(dim));
        } else if (dim != index.dim()) {
            return make_error("results database '", d.path, "', table embeddings: run ", run_id, " holds ", index.dim(),
                              "-d and ", dim, "-d vectors (row ", id,
                              "); choose one item kind to compare like with like");
        }
        std::vector<float> v;
        MS_ASSIGN(v, decode_vector(d.path, id, dim, q->text(2), q->blob(3)));
        auto added = index.add(id, v);
        if (!added) return make_error("results database '", d.path, "', table embeddings: ", added.error().message);
    }
    return index;
}

}  // namespace ms

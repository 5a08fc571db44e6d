// Predictions (per window, record or read) and scored variants of the results store: idempotent
// batched writes and the filtered, sorted, paged listings (see results_store.h). Listings are
// composed from literal SQL fragments only: a filter that is set adds its fixed "AND column = ?"
// text and a bound value; the sort is looked up in a fixed table by enum. No caller text ever
// becomes SQL.
#include <bit>
#include <cmath>
#include <cstring>
#include <set>

#include "genomics/results_store.h"
#include "genomics/results_store_impl.h"

namespace ms {

namespace {

static_assert(std::endian::native == std::endian::little, "probability and vector BLOBs are little-endian");

Result<ItemKind> parse_kind(const std::string& s) {
    for (ItemKind k : {ItemKind::sequence, ItemKind::window, ItemKind::read, ItemKind::variant})
        if (s == to_string(k)) return k;
    return make_error("unknown item kind '", s, "' (expected sequence, window, read or variant)");
}

SqlValue sql_id(int64_t sequence_id) { return sequence_id == 0 ? SqlValue{} : SqlValue{sequence_id}; }

// " ORDER BY a DESC, b DESC, id DESC": every key in the same direction, id last so that pages of
// equal keys never overlap or skip rows.
std::string order_by(std::initializer_list<const char*> keys, const char* id_column, bool descending) {
    const char* dir = descending ? " DESC" : " ASC";
    std::string s = " ORDER BY ";
    for (const char* k : keys) s += cat(k, dir, ", ");
    return s + id_column + dir;
}

// The WHERE clause shared by a prediction listing and its count, with its values in text order.
Result<std::string> prediction_filter(const PredictionQuery& q, std::vector<SqlValue>& values) {
    if (q.offset < 0 || q.limit < 0)
        return make_error("a prediction listing needs offset >= 0 and limit >= 0 (got ", q.offset, ", ", q.limit, ")");
    std::string where = " WHERE run_id = ?";
    values.push_back(q.run_id);
    if (q.kind) {
        where += " AND item_kind = ?";
        values.push_back(std::string(to_string(*q.kind)));
    }
    if (q.sequence_id) {
        where += " AND sequence_id = ?";
        values.push_back(*q.sequence_id);
    }
    if (q.begin) {
        where += " AND \"end\" > ?";
        values.push_back(*q.begin);
    }
    if (q.end) {
        where += " AND \"begin\" < ?";
        values.push_back(*q.end);
    }
    if (q.label) {
        where += " AND label = ?";
        values.push_back(*q.label);
    }
    if (q.min_score) {
        where += " AND score >= ?";
        values.push_back(*q.min_score);
    }
    if (q.max_score) {
        where += " AND score <= ?";
        values.push_back(*q.max_score);
    }
    if (q.item_contains && !q.item_contains->empty()) {
        // instr, not LIKE: the text is matched literally ('%' and '_' in read names are plain characters).
        where += " AND instr(lower(item), lower(?)) > 0";
        values.push_back(*q.item_contains);
    }
    return where;
}

}  // namespace

const char* to_string(ItemKind k) {
    switch (k) {
        case ItemKind::sequence:
            return "sequence";
        case ItemKind::window:
            return "window";
        case ItemKind::read:
            return "read";
        case ItemKind::variant:
            return "variant";
    }
    return "window";
}

Result<void> ResultsStore::set_prediction_classes(int64_t run_id, const std::vector<std::string>& classes) {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    Impl::Transaction t(d);
    MS_TRY(t.begin());
    {
        static const char* sql = "DELETE FROM prediction_classes WHERE run_id = ?";
        auto q = d.prepare(sql);
        if (!q) return q.error();
        MS_TRY(q->bind(run_id));
        MS_TRY(q->run());
    }
    static const char* sql = "INSERT INTO prediction_classes (run_id, class_index, name) VALUES (?, ?, ?)";
    for (size_t i = 0; i < classes.size(); ++i) {
        auto q = d.prepare(sql);
        if (!q) return q.error();
        MS_TRY(q->bind(run_id, int64_t(i), classes[i]));
        auto r = q->run();
        if (!r) {
            if (sqlite3_extended_errcode(d.db.get()) == SQLITE_CONSTRAINT_FOREIGNKEY)
                return make_error("results database '", d.path, "', table prediction_classes: no run ", run_id);
            return r.error();
        }
    }
    return t.commit();
}

Result<std::vector<std::string>> ResultsStore::prediction_classes(int64_t run_id) const {
    static const char* sql = "SELECT name FROM prediction_classes WHERE run_id = ? ORDER BY class_index";
    auto q = impl_->prepare(sql);
    if (!q) return q.error();
    MS_TRY(q->bind(run_id));
    std::vector<std::string> out;
    for (;;) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        out.push_back(q->text(0));
    }
    return out;
}

Result<void> ResultsStore::write_predictions(int64_t run_id, std::span<const Prediction> predictions) {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    std::vector<std::string> classes;
    MS_ASSIGN(classes, prediction_classes(run_id));
    for (const Prediction& p : predictions) {
        const std::string what =
            cat("prediction '", p.label, "' of ", to_string(p.kind), " '", p.item, "' at ", p.begin, "-", p.end);
        if (p.begin < 0 || p.begin > p.end) return make_error(what, ": the interval is empty or negative");
        if (!classes.empty() && !p.probs.empty() && p.probs.size() != classes.size())
            return make_error(what, ": has ", p.probs.size(), " class probabilities; run ", run_id, " has ",
                              classes.size(), " classes");
        if (p.sequence_id != 0) {
            const Impl::SequenceFacts* seq = nullptr;
            MS_ASSIGN(seq, d.sequence(p.sequence_id));
            if (seq->run_id != run_id)
                return make_error(what, ": sequence '", seq->name, "' belongs to run ", seq->run_id, ", not ", run_id);
            if (p.end > seq->length)
                return make_error(what, ": outside sequence '", seq->name, "' (0-", seq->length, ")");
        }
    }
    static const char* sql =
        "INSERT OR REPLACE INTO predictions (run_id, item_kind, item, sequence_id, \"begin\", \"end\", label, score, "
        "probs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    Impl::Transaction t(d);
    MS_TRY(t.begin());
    for (const Prediction& p : predictions) {
        auto q = d.prepare(sql);
        if (!q) return q.error();
        const SqlValue probs = p.probs.empty() ? SqlValue{} : SqlValue{Blob{p.probs.data(), 4 * p.probs.size()}};
        MS_TRY(
            q->bind(run_id, to_string(p.kind), p.item, sql_id(p.sequence_id), p.begin, p.end, p.label, p.score, probs));
        auto r = q->run();
        if (!r) {
            if (sqlite3_extended_errcode(d.db.get()) == SQLITE_CONSTRAINT_FOREIGNKEY)
                return make_error("results database '", d.path, "', table predictions: no run ", run_id);
            return r.error();
        }
    }
    return t.commit();
}

Result<std::vector<StoredPrediction>> ResultsStore::query_predictions(const PredictionQuery& pq) const {
    Impl& d = *impl_;
    std::vector<SqlValue> values;
    std::string where;
    MS_ASSIGN(where, prediction_filter(pq, values));
    std::string order;
    switch (pq.sort) {
        case PredictionQuery::SortBy::position:
            // sequence_id, not coalesce(sequence_id, 0): the same order (SQLite sorts NULL, an
            // unplaced read, before every id ascending and after it descending), and it walks the
            // predictions_by_position index instead of sorting the run — 1.5 s -> 1 ms a page at
            // 1,000,000 predictions (bench_results_tables).
            order = order_by({"sequence_id", "\"begin\"", "\"end\""}, "id", pq.descending);
            break;
        case PredictionQuery::SortBy::score:
            order = order_by({"score"}, "id", pq.descending);
            break;
        case PredictionQuery::SortBy::label:
            order = order_by({"label"}, "id", pq.descending);
            break;
        case PredictionQuery::SortBy::id:
            order = order_by({}, "id", pq.descending);
            break;
        case PredictionQuery::SortBy::item:
            order = order_by({"item", "item_kind"}, "id", pq.descending);
            break;
        case PredictionQuery::SortBy::kind:
            order = order_by({"item_kind", "item"}, "id", pq.descending);
            break;
        case PredictionQuery::SortBy::length:
            order = order_by({"(\"end\" - \"begin\")"}, "id", pq.descending);
            break;
    }
    values.push_back(pq.limit);
    values.push_back(pq.offset);
    auto q = d.prepare_composed(
        "SELECT id, item_kind, item, coalesce(sequence_id, 0), \"begin\", \"end\", label, score, probs FROM "
        "predictions" +
        where + order + " LIMIT ? OFFSET ?");
    if (!q) return q.error();
    MS_TRY(q->bind_all(values));
    std::vector<StoredPrediction> out;
    for (;;) {
        bool row = false;
        MS_ASSIGN(row, q->step());
        if (!row) break;
        StoredPrediction sp;
        sp.id = q->i64(0);
        sp.run_id = pq.run_id;
        auto kind = parse_kind(q->text(1));
        if (!kind)
            return make_error("results database '", d.path, "', table predictions, row ", sp.id, ": ",
                              kind.error().message);
        sp.p.kind = *kind;
        sp.p.item = q->text(2);
        sp.p.sequence_id = q->i64(3);
        sp.p.begin = q->i64(4);
        sp.p.end = q->i64(5);
        sp.p.label = q->text(6);
        if (!q->is_null(7)) sp.p.score = q->f64(7);
        const Blob b = q->blob(8);
        if (b.bytes % 4 != 0)
            return make_error("results database '", d.path, "', table predictions, row ", sp.id, ": probs holds ",
                              b.bytes, " bytes; expected a multiple of 4 (float32 values)");
        sp.p.probs.resize(b.bytes / 4);
        if (b.bytes) std::memcpy(sp.p.probs.data(), b.data, b.bytes);
        out.push_back(std::move(sp));
    }
    return out;
}

Result<int64_t> ResultsStore::count_predictions(const PredictionQuery& pq) const {
    std::vector<SqlValue> values;
    std::string where;
    MS_ASSIGN(where, prediction_filter(pq, values));
    auto q = impl_->prepare_composed("SELECT count(*) FROM predictions" + where);
    if (!q) return q.error();
    MS_TRY(q->bind_all(values));
    bool row = false;
    MS_ASSIGN(row, q->step());
    return row ? q->i64(0) : 0;
}

Result<void> ResultsStore::write_variants(int64_t run_id, std::span<const Variant> variants) {
    Impl& d = *impl_;
    MS_TRY(d.need_writer());
    for (const Variant& v : variants) {
        const std::string what = cat("variant ", v.chrom, ":", v.pos, " ", v.ref, ">", v.alt);
        if (v.chrom.empty() || v.pos < 1 || v.ref.empty() || v.alt.empty())
            return make_error(what, ": needs a chromosome, a 1-based position and REF and ALT alleles");
        std::set<std::string_view> names;
        for (const auto& [name, value] : v.scores)
            if (!names.insert(name).second) return make_error(what, ": score '", name, "' is given twice");
    }
    static const char* upsert =
        "INSERT INTO variants (run_id, chrom, pos, ref, alt, name) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (run_id, chrom, pos, ref, alt) DO UPDATE SET name = excluded.name RETURNING id";
    static const char* clear = "DELETE FROM variant_scores WHERE variant_id = ?";
    static const char* score = "INSERT INTO variant_scores (variant_id, name, value) VALUES (?, ?, ?)";
    Impl::Transaction t(d);
    MS_TRY(t.begin());
    for (const Variant& v : variants) {
        int64_t id = 0;
        {
            auto q = d.prepare(upsert);
            if (!q) return q.error();
            MS_TRY(q->bind(run_id, v.chrom, v.pos, v.ref, v.alt, v.name));
            auto row = q->step();
            if (!row) {
                if (sqlite3_extended_errcode(d.db.get()) == SQLITE_CONSTRAINT_FOREIGNKEY)
                    return make_error("results database '", d.path, "', table variants: no run ", run_id);
                return row.error();
            }
            if (!*row) return make_error("results database '", d.path, "', table variants: the upsert returned no id");
            id = q->i64(0);
        }
        // The scores of a rewritten variant are the new ones only.
        auto q = d.prepare(clear);
        if (!q) return q.error();
        MS_TRY(q->bind(id));
        MS_TRY(q->run());
        for (const auto& [name, value] : v.scores) {
            auto qs = d.prepare(score);
            if (!qs) return qs.error();
            MS_TRY(qs->bind(id, name, value));
            MS_TRY(qs->run());
        }
    }
    return t.commit();
}

namespace {

bool filters_by_score(const VariantQuery& vq) { return vq.min_score || vq.max_score || vq.min_abs_score; }

// Sorted by another score than the one filtered: a second join (o) for the sort.
bool sorts_by_other_score(const VariantQuery& vq) {
    return vq.sort == VariantQuery::SortBy::score && !vq.sort_score_name.empty() &&
           (!filters_by_score(vq) || vq.sort_score_name != vq.score_name);
}

// FROM and WHERE of a variant listing or count, its values appended to `values`.
Result<std::string> variant_filter(const VariantQuery& vq, std::vector<SqlValue>& values) {
    const bool by_score =
        (vq.sort == VariantQuery::SortBy::score && vq.sort_score_name.empty()) || filters_by_score(vq);
    if (by_score && vq.score_name.empty())
        return make_error("a variant listing filtered or sorted by score needs the score's name (such as 'llr')");
    std::string sql = " FROM variants AS v";
    if (by_score) {
        sql += " JOIN variant_scores AS s ON s.variant_id = v.id AND s.name = ?";
        values.push_back(vq.score_name);
    }
    if (sorts_by_other_score(vq)) {
        sql += " JOIN variant_scores AS o ON o.variant_id = v.id AND o.name = ?";
        values.push_back(vq.sort_score_name);
    }
    sql += " WHERE v.run_id = ?";
    values.push_back(vq.run_id);
    if (vq.chrom) {
        sql += " AND v.chrom = ?";
        values.push_back(*vq.chrom);
    }
    if (vq.first_pos) {
        sql += " AND v.pos >= ?";
        values.push_back(*vq.first_pos);
    }
    if (vq.last_pos) {
        sql += " AND v.pos <= ?";
        values.push_back(*vq.last_pos);
    }
    if (vq.min_score) {
        sql += " AND s.value >= ?";
        values.push_back(*vq.min_score);
    }
    if (vq.max_score) {
        sql += " AND s.value <= ?";
        values.push_back(*vq.max_score);
    }
    if (vq.min_abs_score) {
        sql += " AND abs(s.value) >= ?";
        values.push_back(*vq.min_abs_score);
    }
    if (vq.name_contains && !vq.name_contains->empty()) {
        // instr, not LIKE: '%' and '_' in IDs are plain characters.
        sql += " AND instr(lower(v.name), lower(?)) > 0";
        values.push_back(*vq.name_contains);
    }
    return sql;
}

}  // namespace

Result<int64_t> ResultsStore::count_variants(const VariantQuery& vq) const {
    std::vector<SqlValue> values;
    std::string from;
    MS_ASSIGN(from, variant_filter(vq, values));
    auto q = impl_->prepare_composed("SELECT count(*)" + from);
    if (!q) return q.error();
    MS_TRY(q->bind_all(values));
    bool row = false;
    MS_ASSIGN(row, q->step());
    return row ? q->i64(0) : 0;
}

Result<std::vector<StoredVariant>> ResultsStore::query_variants(const VariantQuery& vq) const {
    Impl& d = *impl_;
    if (vq.offset < 0 || vq.limit < 0)
        return make_error("a variant listing needs offset >= 0 and limit >= 0 (got ", vq.offset, ", ", vq.limit, ")");
    std::vector<SqlValue> values;
    std::string sql;
    MS_ASSIGN(sql, variant_filter(vq, values));
    sql = "SELECT v.id, v.chrom, v.pos, v.ref, v.alt, v.name" + sql;
    switch (vq.sort) {
        case VariantQuery::SortBy::score:
            sql += order_by({sorts_by_other_score(vq) ? "o.value" : "s.value"}, "v.id", vq.descending);
            break;
        case VariantQuery::SortBy::name:
            sql += order_by({"v.name", "v.chrom", "v.pos"}, "v.id", vq.descending);
            break;
        case VariantQuery::SortBy::ref:
            sql += order_by({"v.ref", "v.alt"}, "v.id", vq.descending);
            break;
        case VariantQuery::SortBy::alt:
            sql += order_by({"v.alt", "v.ref"}, "v.id", vq.descending);
            break;
        case VariantQuery::SortBy::position:
            sql += order_by({"v.chrom", "v.pos", "v.ref", "v.alt"}, "v.id", vq.descending);
            break;
    }
    sql += " LIMIT ? OFFSET ?";
    values.push_back(vq.limit);
    values.push_back(vq.offset);
    std::vector<StoredVariant> out;
    {
        auto q = d.prepare_composed(sql);
        if (!q) return q.error();
        MS_TRY(q->bind_all(values));
        for (;;) {
            bool row = false;
            MS_ASSIGN(row, q->step());
            if (!row) break;
            out.push_back({q->i64(0), vq.run_id, {q->text(1), q->i64(2), q->text(3), q->text(4), q->text(5), {}}});
        }
    }
    static const char* scores = "SELECT name, value FROM variant_scores WHERE variant_id = ? ORDER BY name";
    for (StoredVariant& sv : out) {
        auto q = d.prepare(scores);
        if (!q) return q.error();
        MS_TRY(q->bind(sv.id));
        for (;;) {
            bool row = false;
            MS_ASSIGN(row, q->step());
            if (!row) break;
            sv.v.scores.emplace_back(q->text(0), q->is_null(1) ? std::nan("") : q->f64(1));
        }
    }
    return out;
}

}  // namespace ms

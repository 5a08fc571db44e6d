#include "ui/results_models.h"

#include <QBrush>
#include <QColor>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

#include "genomics/locus.h"
#include "ui/background.h"

namespace ms::ui {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

// On a pool thread: a database a job is still creating is waited for, not reported as broken.
Result<ResultsStore> openReadOnly(const QString& db) { return ResultsStore::open_when_ready(db.toStdString()); }

// A region filter typed by a person, checked against the run's sequences.
Result<Region> filterRegion(const std::vector<StoredSequence>& seqs, const QString& text) {
    std::vector<SequenceRecord> records;
    for (const StoredSequence& s : seqs) records.push_back({s.info.name, s.info.length});
    auto region = parse_locus(text.trimmed().toStdString(), ContigList(records));
    if (!region) return make_error("region filter '", text.trimmed().toStdString(), "': ", region.error().message);
    return region;
}

// The 1-based inclusive locus people type, for [begin, end) on `name`.
QString locusText(const QString& name, int64_t begin, int64_t end) {
    if (name.isEmpty()) return {};
    return qs(format_locus(Region{name.toStdString(), begin, std::max(end, begin + 1)}));
}

// "2026-11-29T05:23:00Z" as people read it: "2026-11-29 05:23:00" (the header says UTC).
QString timeText(const std::string& iso) {
    QString t = QString::fromStdString(iso);
    t.replace(QLatin1Char('T'), QLatin1Char(' '));
    if (t.endsWith(QLatin1Char('Z'))) t.chop(1);
    return t;
}

QVariant number(qint64 v, int role) {
    if (role == Qt::DisplayRole) return QLocale().toString(v);
    return v;
}

}  // namespace

// ---------------------------------------------------------------- runs

RunsModel::RunsModel(QObject* parent) : QAbstractTableModel(parent) {}

void RunsModel::setDatabase(const QString& path) {
    db_ = path;
    reload();
}

void RunsModel::reload() {
    const quint64 generation = ++generation_;
    if (db_.isEmpty()) {
        beginResetModel();
        runs_.clear();
        endResetModel();
        return;
    }
    struct Loaded {
        std::vector<RunRecord> runs;
        QString error;
    };
    runInBackground(this, [db = db_] {
        Loaded l;
        auto store = openReadOnly(db);
        if (!store) return Loaded{{}, qs(store.error().message)};
        auto runs = store->list_runs();
        if (!runs) return Loaded{{}, qs(runs.error().message)};
        l.runs = std::move(*runs);
        return l;
    }, [this, generation](Loaded l) {
        if (generation != generation_) return;   // a newer reload superseded this one
        if (!l.error.isEmpty()) {
            emit loadFailed(l.error);
            return;
        }
        // Same runs, maybe new ones and new states: update in place so the selection stays.
        const bool sameIds = l.runs.size() >= runs_.size() && std::equal(runs_.begin(), runs_.end(), l.runs.begin(),
                                                                       [](const RunRecord& a, const RunRecord& b) { return a.id == b.id; });
        if (sameIds && !runs_.empty()) {
            const int old = int(runs_.size());
            for (int i = 0; i < old; ++i) runs_[size_t(i)] = l.runs[size_t(i)];
            emit dataChanged(index(0, 0), index(old - 1, ColumnCount - 1));
            if (l.runs.size() > size_t(old)) {
                beginInsertRows({}, old, int(l.runs.size()) - 1);
                runs_.insert(runs_.end(), l.runs.begin() + old, l.runs.end());
                endInsertRows();
            }
        } else {
            beginResetModel();
            runs_ = std::move(l.runs);
            endResetModel();
        }
        emit loaded();
    });
}

int RunsModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(runs_.size()); }
int RunsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

const RunRecord* RunsModel::run(int row) const {
    return row >= 0 && row < int(runs_.size()) ? &runs_[size_t(row)] : nullptr;
}

int RunsModel::rowOfRun(qint64 id) const {
    for (size_t i = 0; i < runs_.size(); ++i)
        if (runs_[i].id == id) return int(i);
    return -1;
}

QString RunsModel::taskOf(const RunRecord& r) {
    const QJsonObject params = QJsonDocument::fromJson(QByteArray::fromStdString(r.info.params_json)).object();
    const QString command = params.value(QStringLiteral("command")).toString();
    return command.isEmpty() ? QStringLiteral("merge") : command;
}

QVariant RunsModel::data(const QModelIndex& index, int role) const {
    const RunRecord* r = run(index.row());
    if (!r || index.column() < 0 || index.column() >= ColumnCount) return {};
    const RunInfo& i = r->info;
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole || role == Qt::EditRole) {
        switch (Column(index.column())) {
            case Id: return role == Qt::DisplayRole ? QVariant(QString::number(r->id)) : QVariant(qlonglong(r->id));
            case Task: return taskOf(*r);
            case Status: return QString::fromLatin1(to_string(r->status));
            case Started: return timeText(r->started_at);
            case Finished: return timeText(r->finished_at);
            case Model:
                return role == Qt::ToolTipRole
                           ? qs(i.model_name + "\nmodel SHA-256 (configuration and weights) " + i.model_sha256)
                           : qs(i.model_name);
            case Device: return qs(i.device);
            case Precision: return qs(i.precision);
            case Input: {
                QStringList names;
                for (const RunInput& in : i.inputs)
                    names << (role == Qt::ToolTipRole ? qs(in.path) : QFileInfo(qs(in.path)).fileName());
                return names.join(role == Qt::ToolTipRole ? QStringLiteral("\n") : QStringLiteral(", "));
            }
            case Command: return qs(i.command);
            case ColumnCount: break;
        }
    }
    if (role == Qt::ForegroundRole && index.column() == Status) {
        switch (r->status) {
            case RunStatus::running: return QBrush(QColor(0x1f, 0x5f, 0xbf));
            case RunStatus::interrupted: return QBrush(QColor(0xa0, 0x5a, 0x00));
            case RunStatus::failed: return QBrush(QColor(0xb0, 0x00, 0x20));
            case RunStatus::finished: break;
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() == Id) return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant RunsModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= ColumnCount) return {};
    static const char* names[ColumnCount] = {"Run", "Task", "Status", "Started (UTC)", "Finished (UTC)", "Model",
                                             "Device", "Precision", "Input", "Command"};
    return tr(names[section]);
}

// ---------------------------------------------------------------- rows of a run

void RunRowsModel::setRun(const QString& db, qint64 runId) {
    db_ = db;
    runId_ = runId;
    reload();
}

void RunRowsModel::fetchMore(const QModelIndex& parent) {
    if (canFetchMore(parent)) requestPage();
}

std::optional<quint64> RunRowsModel::beginPage() {
    if (loading_) return std::nullopt;
    loading_ = true;
    return generation_;
}

void RunRowsModel::setExtraColumns(QStringList& columns, const QStringList& next) {
    if (next == columns) return;
    beginResetModel();
    columns = next;
    endResetModel();
}

void RunRowsModel::pageFailed(const QString& message) {
    loading_ = false;
    emit loadFailed(message);
}

// ---------------------------------------------------------------- predictions

PredictionsModel::PredictionsModel(QObject* parent) : RunRowsModel(parent) {}

void PredictionsModel::setFilter(const PredictionFilter& f) {
    if (f == filter_) return;
    filter_ = f;
    reload();
}

void PredictionsModel::sort(int column, Qt::SortOrder order) {
    using S = PredictionQuery::SortBy;
    // Every column sorts by what it shows (Item and Kind sorted by insertion order, Length by start,
    // under the column's arrow; found in review); the class probabilities by score (the top class's
    // probability), Sequence, Start and End by position.
    S by = S::position;
    if (column == Label) by = S::label;
    else if (column == Score || column >= FixedColumns) by = S::score;
    else if (column == Item)
        by = S::item;
    else if (column == Kind)
        by = S::kind;
    else if (column == Length)
        by = S::length;
    const bool desc = order == Qt::DescendingOrder;
    if (by == sortBy_ && desc == descending_) return;
    sortBy_ = by;
    descending_ = desc;
    reload();
}

void PredictionsModel::reload() {
    resetRows(rows_, [this] { total_ = -1; });
    if (db_.isEmpty() || runId_ <= 0) return;
    requestPage();
}

void PredictionsModel::requestPage() {
    const auto started = beginPage();
    if (!started) return;
    const quint64 generation = *started;
    struct Page {
        std::vector<StoredPrediction> rows;
        std::map<int64_t, QString> names;   // filled with the first page
        QStringList classes;
        qint64 total = -1;
        QString error;
    };
    const bool first = total_ < 0;
    runInBackground(this, [db = db_, run = runId_, f = filter_, by = sortBy_, desc = descending_, offset = int64_t(rows_.size()),
                           first] {
        Page p;
        auto fail = [&](const std::string& m) {
            p.error = qs(m);
            return p;
        };
        auto store = openReadOnly(db);
        if (!store) return fail(store.error().message);
        auto seqs = store->list_sequences(run);
        if (!seqs) return fail(seqs.error().message);
        PredictionQuery q;
        q.run_id = run;
        if (!f.label.isEmpty()) q.label = f.label.toStdString();
        q.min_score = f.minScore;
        q.max_score = f.maxScore;
        if (!f.text.isEmpty()) q.item_contains = f.text.toStdString();
        if (!f.region.trimmed().isEmpty()) {
            auto region = filterRegion(*seqs, f.region);
            if (!region) return fail(region.error().message);
            for (const StoredSequence& s : *seqs)
                if (s.info.name == region->contig) q.sequence_id = s.id;
            q.begin = region->begin;
            q.end = region->end;
        }
        q.sort = by;
        q.descending = desc;
        q.offset = offset;
        q.limit = kPageRows;
        if (first) {
            for (const StoredSequence& s : *seqs) p.names[s.id] = qs(s.info.name);
            auto classes = store->prediction_classes(run);
            if (!classes) return fail(classes.error().message);
            for (const std::string& c : *classes) p.classes << qs(c);
            auto n = store->count_predictions(q);
            if (!n) return fail(n.error().message);
            p.total = *n;
        }
        auto rows = store->query_predictions(q);
        if (!rows) return fail(rows.error().message);
        p.rows = std::move(*rows);
        return p;
    }, [this, generation](Page p) {
        if (generation != generation_) return;
        if (!p.error.isEmpty()) {
            total_ = 0;
            pageFailed(p.error);
            return;
        }
        if (p.total >= 0) {
            setExtraColumns(classes_, p.classes);   // the class columns are known only now
            sequenceNames_ = std::move(p.names);
            total_ = p.total;
        }
        // A page shorter than asked for means the rows ran out (a run still writing grows later).
        const bool last = int(p.rows.size()) < kPageRows;
        if (last) total_ = qint64(rows_.size() + p.rows.size());
        appendPage(rows_, p.rows);
    });
}

int PredictionsModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }
int PredictionsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : FixedColumns + int(classes_.size());
}

bool PredictionsModel::canFetchMore(const QModelIndex& parent) const {
    return !parent.isValid() && !loading_ && total_ > qint64(rows_.size());
}


const StoredPrediction* PredictionsModel::prediction(int row) const {
    return row >= 0 && row < int(rows_.size()) ? &rows_[size_t(row)] : nullptr;
}

QString PredictionsModel::locusAt(int row) const {
    const StoredPrediction* sp = prediction(row);
    if (!sp || sp->p.sequence_id == 0) return {};
    const auto it = sequenceNames_.find(sp->p.sequence_id);
    return it == sequenceNames_.end() ? QString() : locusText(it->second, sp->p.begin, sp->p.end);
}

QVariant PredictionsModel::data(const QModelIndex& index, int role) const {
    const StoredPrediction* sp = prediction(index.row());
    if (!sp || index.column() < 0 || index.column() >= columnCount()) return {};
    const Prediction& p = sp->p;
    const int c = index.column();
    const bool numeric = c == Start || c == End || c == Length || c == Score || c >= FixedColumns;
    if (role == Qt::TextAlignmentRole) return int((numeric ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::EditRole && role != Qt::ToolTipRole) return {};
    const bool placed = p.sequence_id != 0;
    switch (c) {
        case Item: return qs(p.item);
        case Kind: return QString::fromLatin1(to_string(p.kind));
        case Sequence: {
            const auto it = sequenceNames_.find(p.sequence_id);
            return placed && it != sequenceNames_.end() ? it->second : QString();
        }
        // Positions as people read them: 1-based start, inclusive end.
        case Start: return placed ? number(p.begin + 1, role) : QVariant();
        case End: return placed ? number(p.end, role) : QVariant();
        case Length: return number(p.end - p.begin, role);
        case Label: return qs(p.label);
        case Score:
            if (!p.score) return {};
            return role == Qt::DisplayRole ? QVariant(QString::number(*p.score, 'f', 4)) : QVariant(*p.score);
        default: {
            const size_t k = size_t(c - FixedColumns);
            if (k >= p.probs.size()) return {};
            return role == Qt::DisplayRole ? QVariant(QString::number(p.probs[k], 'f', 4)) : QVariant(double(p.probs[k]));
        }
    }
}

QVariant PredictionsModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || section < 0 || section >= columnCount()) return {};
    if (role == Qt::ToolTipRole) {
        if (section == Start) return tr("1-based first base");
        if (section == End) return tr("last base (inclusive)");
        if (section == Score) return tr("probability of the predicted label");
        if (section >= FixedColumns) return tr("probability of class '%1'").arg(classes_[section - FixedColumns]);
        return {};
    }
    if (role != Qt::DisplayRole) return {};
    static const char* names[FixedColumns] = {"Item", "Kind", "Sequence", "Start", "End", "Length", "Label", "Score"};
    if (section < FixedColumns) return tr(names[section]);
    return QStringLiteral("P(%1)").arg(classes_[section - FixedColumns]);
}

// ---------------------------------------------------------------- variants

VariantsModel::VariantsModel(QObject* parent) : RunRowsModel(parent) {}

void VariantsModel::setFilter(const VariantFilter& f) {
    if (f == filter_) return;
    filter_ = f;
    reload();
}

void VariantsModel::reload() {
    resetRows(rows_, [this] {
        scoreNames_.clear();
        total_ = -1;
        atEnd_ = db_.isEmpty() || runId_ <= 0;
    });
    if (!atEnd_) requestPage();
}

void VariantsModel::sort(int column, Qt::SortOrder order) {
    using S = VariantQuery::SortBy;
    // Each column by what it shows (ID, Ref and Alt kept position order under their arrows).
    const QString score =
        column >= FixedColumns && column < columnCount() ? scoreNames_[column - FixedColumns] : QString();
    const S by = !score.isEmpty() ? S::score
                 : column == Id   ? S::name
                 : column == Ref  ? S::ref
                 : column == Alt  ? S::alt
                                  : S::position;
    const bool desc = order == Qt::DescendingOrder;
    if (by == sortBy_ && score == sortScore_ && desc == descending_) return;
    sortBy_ = by;
    sortScore_ = score;
    descending_ = desc;
    reload();
}

void VariantsModel::requestPage() {
    const auto started = beginPage();
    if (!started) return;
    const quint64 generation = *started;
    struct Page {
        std::vector<StoredVariant> rows;
        QStringList names;  // the run's score names, with the first page
        qint64 total = -1;
        QString error;
    };
    const bool first = total_ < 0;
    runInBackground(
        this,
        [db = db_, run = runId_, f = filter_, sort = sortBy_, by = sortScore_, desc = descending_,
         offset = int64_t(rows_.size()), first] {
            Page p;
            auto fail = [&](const std::string& m) {
                p.error = qs(m);
                return p;
            };
            auto store = openReadOnly(db);
            if (!store) return fail(store.error().message);
            VariantQuery q;
            q.run_id = run;
            const bool bounded = f.minScore || f.maxScore || f.minAbsScore;
            // The run's score names, read once from one variant: the table's columns (first page)
            // and the score bounded when none is named.
            std::vector<std::string> runScores;
            if (first || (bounded && f.score.isEmpty())) {
                VariantQuery one{.run_id = run, .limit = 1};
                auto row = store->query_variants(one);
                if (!row) return fail(row.error().message);
                if (!row->empty())
                    for (const auto& [name, value] : row->front().v.scores) runScores.push_back(name);
            }
            if (bounded) {
                // The filtered score: the one named, else the run's first (llr).
                std::string name = f.score.toStdString();
                if (name.empty() && !runScores.empty()) name = runScores.front();
                if (name.empty()) return fail(cat("run ", run, " has no variant scores to filter by"));
                q.score_name = name;
                q.min_score = f.minScore;
                q.max_score = f.maxScore;
                q.min_abs_score = f.minAbsScore;
            }
            if (!f.text.isEmpty()) q.name_contains = f.text.toStdString();
            if (!f.region.trimmed().isEmpty()) {
                auto seqs = store->list_sequences(run);
                if (!seqs) return fail(seqs.error().message);
                auto region = filterRegion(*seqs, f.region);
                if (!region) return fail(region.error().message);
                q.chrom = region->contig;
                q.first_pos = region->begin + 1;  // 1-based inclusive, as VCF positions
                q.last_pos = region->end;
            }
            q.sort = sort;
            if (sort == VariantQuery::SortBy::score) q.sort_score_name = by.toStdString();
            q.descending = desc;
            q.offset = offset;
            q.limit = kPageRows;
            if (first) {
                for (const std::string& name : runScores) p.names << qs(name);   // whatever the filter keeps
                auto n = store->count_variants(q);
                if (!n) return fail(n.error().message);
                p.total = *n;
            }
            auto rows = store->query_variants(q);
            if (!rows) return fail(rows.error().message);
            p.rows = std::move(*rows);
            return p;
        },
        [this, generation](Page p) {
            if (generation != generation_) return;
            if (!p.error.isEmpty()) {
                atEnd_ = true;
                total_ = 0;
                pageFailed(p.error);
                return;
            }
            if (p.total >= 0) {
                setExtraColumns(scoreNames_, p.names);
                total_ = p.total;
            }
            atEnd_ = int(p.rows.size()) < kPageRows;
            appendPage(rows_, p.rows);
        });
}

int VariantsModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }
int VariantsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : FixedColumns + int(scoreNames_.size());
}
bool VariantsModel::canFetchMore(const QModelIndex& parent) const { return !parent.isValid() && !loading_ && !atEnd_; }

QString VariantsModel::locusAt(int row) const {
    if (row < 0 || row >= int(rows_.size())) return {};
    const Variant& v = rows_[size_t(row)].v;
    // pos is 1-based: [pos - 1, pos - 1 + len(REF)) in 0-based half-open.
    return locusText(qs(v.chrom), v.pos - 1, v.pos - 1 + int64_t(std::max<size_t>(1, v.ref.size())));
}

QVariant VariantsModel::data(const QModelIndex& index, int role) const {
    if (index.row() < 0 || index.row() >= int(rows_.size()) || index.column() < 0 || index.column() >= columnCount()) return {};
    const Variant& v = rows_[size_t(index.row())].v;
    const int c = index.column();
    if (role == Qt::TextAlignmentRole)
        return int((c == Pos || c >= FixedColumns ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::EditRole && role != Qt::ToolTipRole) return {};
    switch (c) {
        case Chrom: return qs(v.chrom);
        case Pos: return number(v.pos, role);
        case Id: return qs(v.name);
        case Ref: return qs(v.ref);
        case Alt: return qs(v.alt);
        default: {
            const std::string name = scoreNames_[c - FixedColumns].toStdString();
            for (const auto& [n, value] : v.scores)
                if (n == name) return role == Qt::DisplayRole ? QVariant(QString::number(value, 'f', 4)) : QVariant(value);
            return {};
        }
    }
}

QVariant VariantsModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || section < 0 || section >= columnCount()) return {};
    if (role == Qt::ToolTipRole) {
        if (section == Pos) return tr("1-based, as in the VCF");
        if (section >= FixedColumns)
            return tr("log2 likelihood ratio of the ALT window against the REF window (negative: the model finds the ALT less likely)");
        return {};
    }
    if (role != Qt::DisplayRole) return {};
    static const char* names[FixedColumns] = {"Chrom", "Pos", "ID", "Ref", "Alt"};
    if (section < FixedColumns) return tr(names[section]);
    return scoreNames_[section - FixedColumns];
}

}  // namespace ms::ui

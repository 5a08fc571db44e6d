// Table models over a results database (genomics/results_store.h): runs with their provenance,
// predictions of a run (sorted, filtered and paged in the store, never loaded whole), and scored
// variants. Every read runs on Qt's thread pool with its own read-only connection (the store is
// one-thread-at-a-time, and a job may be writing the file); results come back to the GUI thread
// tagged with a generation, and a result whose generation is no longer current (the filter, sort
// or database changed meanwhile) is dropped. Rows arrive a page at a time through
// canFetchMore/fetchMore, so a table of a million reads scrolls without loading them all.
#pragma once

#include <QAbstractTableModel>
#include <QStringList>
#include <QVector>
#include <iterator>
#include <map>
#include <optional>
#include <vector>

#include "genomics/results_store.h"

namespace ms::ui {

class RunsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Id, Task, Status, Started, Finished, Model, Device, Precision, Input, Command, ColumnCount };
    explicit RunsModel(QObject* parent = nullptr);

    void setDatabase(const QString& path);   // empty: no database
    QString database() const { return db_; }
    void reload();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

    const RunRecord* run(int row) const;
    int rowOfRun(qint64 id) const;
    static QString taskOf(const RunRecord& r);   // "score", "classify" ... from the run's parameters

signals:
    void loaded();
    void loadFailed(const QString& message);

private:
    QString db_;
    std::vector<RunRecord> runs_;
    quint64 generation_ = 0;
};

// What the predictions and variants tables share: the run they show, a generation that drops pages
// asked for before the run, filter or order changed, a loading flag, and rows that arrive a page
// at a time after the run-specific columns (class names, score names) are known.
class RunRowsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    using QAbstractTableModel::QAbstractTableModel;

    void setRun(const QString& db, qint64 runId);   // then reload()
    virtual void reload() = 0;                      // same run, filter and order; rows fetched again
    bool loading() const { return loading_; }
    void fetchMore(const QModelIndex& parent) final;   // the next page, when canFetchMore says there is one

signals:
    void loaded();                       // a page (or the count) arrived
    void loadFailed(const QString& message);

protected:
    // Asks the store for the next page in the background unless one is on its way already.
    virtual void requestPage() = 0;
    // The generation a page request belongs to, or nullopt when a page is on its way already.
    std::optional<quint64> beginPage();
    // Starts over: a new generation, `rows` and whatever `clearMore` clears emptied in one reset.
    template <class Row, class F>
    void resetRows(std::vector<Row>& rows, F&& clearMore) {
        ++generation_;
        beginResetModel();
        rows.clear();
        clearMore();
        loading_ = false;
        endResetModel();
    }
    // Appends a page's rows. loading_ stays set until they are in: a view (or the model tester) may
    // call fetchMore from inside the insert signals and must not ask for this page again.
    template <class Row>
    void appendPage(std::vector<Row>& rows, std::vector<Row>& page) {
        if (!page.empty()) {
            const int at = int(rows.size());
            beginInsertRows({}, at, at + int(page.size()) - 1);
            rows.insert(rows.end(), std::make_move_iterator(page.begin()), std::make_move_iterator(page.end()));
            endInsertRows();
        }
        loading_ = false;
        emit loaded();
    }
    // The run-specific columns: the column count changes with them, so a reset when they differ.
    void setExtraColumns(QStringList& columns, const QStringList& next);
    void pageFailed(const QString& message);

    QString db_;
    qint64 runId_ = 0;
    quint64 generation_ = 0;
    bool loading_ = false;
};

// What the predictions table shows of a run. Empty fields keep every row.
struct PredictionFilter {
    QString label;
    std::optional<double> minScore, maxScore;
    QString region;   // a locus typed by a person: chr1, chr1:1,000-2,000
    QString text;     // the item (read or record name) contains this
    bool operator==(const PredictionFilter&) const = default;
};

class PredictionsModel : public RunRowsModel {
    Q_OBJECT
public:
    // Fixed columns, then one "P(label)" per class of the run.
    enum Column { Item, Kind, Sequence, Start, End, Length, Label, Score, FixedColumns };
    static constexpr int kPageRows = 500;
    explicit PredictionsModel(QObject* parent = nullptr);

    void setFilter(const PredictionFilter& f);
    PredictionFilter filter() const { return filter_; }
    void reload() override;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    qint64 totalCount() const { return total_; }   // rows the filter keeps; -1 while unknown
    QStringList classes() const { return classes_; }
    // "chr1:1,001-1,200" for a row placed on a sequence; empty for unplaced reads.
    QString locusAt(int row) const;
    const StoredPrediction* prediction(int row) const;

private:
    void requestPage() override;
    PredictionFilter filter_;
    PredictionQuery::SortBy sortBy_ = PredictionQuery::SortBy::position;
    bool descending_ = false;
    std::vector<StoredPrediction> rows_;
    std::map<int64_t, QString> sequenceNames_;
    QStringList classes_;
    qint64 total_ = -1;
};

// What the variants table shows of a run. Empty fields keep every row; the score bounds apply to
// the score named `score` (the run's first score when empty).
struct VariantFilter {
    QString score;
    std::optional<double> minScore, maxScore, minAbsScore;
    QString region;  // a locus typed by a person; variants whose position lies in it
    QString text;    // the ID contains this
    bool operator==(const VariantFilter&) const = default;
};

class VariantsModel : public RunRowsModel {
    Q_OBJECT
public:
    enum Column { Chrom, Pos, Id, Ref, Alt, FixedColumns };   // then one column per score name
    static constexpr int kPageRows = 500;
    explicit VariantsModel(QObject* parent = nullptr);

    void setFilter(const VariantFilter& f);
    VariantFilter filter() const { return filter_; }
    qint64 totalCount() const { return total_; }  // rows the filter keeps; -1 while unknown
    void reload() override;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    QStringList scoreNames() const { return scoreNames_; }
    QString locusAt(int row) const;

private:
    void requestPage() override;
    VariantQuery::SortBy sortBy_ = VariantQuery::SortBy::position;
    QString sortScore_;  // the score column sorted by (sortBy_ score)
    bool descending_ = false;
    std::vector<StoredVariant> rows_;
    QStringList scoreNames_;
    VariantFilter filter_;
    qint64 total_ = -1;
    bool atEnd_ = true;
};

}  // namespace ms::ui

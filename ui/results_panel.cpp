#include "ui/results_panel.h"

#include <QComboBox>
#include <QDoubleValidator>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <map>

#include "genomics/locus.h"
#include "ui/background.h"
#include "ui/embedding_plot.h"
#include "ui/embedding_projection.h"
#include "ui/results_models.h"

namespace ms::ui {

namespace {

constexpr int kMaxPoints = 20000;         // dots in the embeddings plot (evenly sampled beyond)
constexpr int64_t kMaxHistogram = 2000000; // values in a histogram

QTableView* makeTable(QWidget* parent, const QString& name) {
    auto* v = new QTableView(parent);
    v->setObjectName(name);
    v->setSelectionBehavior(QAbstractItemView::SelectRows);
    v->setSelectionMode(QAbstractItemView::SingleSelection);
    v->setEditTriggers(QAbstractItemView::NoEditTriggers);
    v->setAlternatingRowColors(true);
    v->verticalHeader()->setVisible(false);
    v->verticalHeader()->setDefaultSectionSize(v->fontMetrics().height() + 6);
    v->horizontalHeader()->setHighlightSections(false);
    v->horizontalHeader()->setStretchLastSection(true);
    v->setWordWrap(false);
    return v;
}

std::optional<double> parseNumber(const QLineEdit* e) {
    bool ok = false;
    const double v = QLocale().toDouble(e->text().trimmed(), &ok);
    if (ok) return v;
    const double c = e->text().trimmed().toDouble(&ok);   // "0.5" in a locale with decimal commas
    return ok ? std::optional<double>(c) : std::nullopt;
}

// The filter boxes both tables share: a number (min, max, |score| ≥), a locus, a text search.
QLineEdit* filterBox(QWidget* parent, const QString& name, const QString& placeholder, bool number) {
    auto* e = new QLineEdit(parent);
    e->setObjectName(name);
    e->setPlaceholderText(placeholder);
    if (number) {
        e->setValidator(new QDoubleValidator(e));
        e->setMaximumWidth(80);
    } else {
        e->setClearButtonEnabled(true);
    }
    return e;
}

// Typing waits 300 ms for a pause before the store is asked again.
QTimer* typingPause(QObject* parent, std::initializer_list<QLineEdit*> boxes) {
    auto* timer = new QTimer(parent);
    timer->setSingleShot(true);
    timer->setInterval(300);
    for (QLineEdit* e : boxes) QObject::connect(e, &QLineEdit::textChanged, timer, qOverload<>(&QTimer::start));
    return timer;
}

// "12 predictions match; 500 loaded (scroll for more)", or "loading…".
QString matchCount(qint64 total, int rows, const char* one, const char* many) {
    if (total < 0) return QObject::tr("loading…");
    if (rows < total)
        return QObject::tr("%1 %2 match; %3 loaded (scroll for more)")
            .arg(QLocale().toString(total), QString::fromLatin1(many), QLocale().toString(rows));
    return QObject::tr("%1 %2 match").arg(QLocale().toString(total), QString::fromLatin1(total == 1 ? one : many));
}

}  // namespace

ResultsPanel::ResultsPanel(QWidget* parent) : QWidget(parent) {
    runs_ = new RunsModel(this);
    predictions_ = new PredictionsModel(this);
    variants_ = new VariantsModel(this);

    dbLabel_ = new QLabel(tr("No results database open (File ▸ Open Results Database…)."), this);
    dbLabel_->setObjectName(QStringLiteral("resultsDatabase"));
    dbLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    runsView_ = makeTable(this, QStringLiteral("runsTable"));
    runsView_->setModel(runs_);
    runsView_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    runsView_->setColumnHidden(RunsModel::Command, true);   // long; its tooltip and the export keep it
    connect(runsView_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ResultsPanel::onRunChanged);
    connect(runs_, &RunsModel::loaded, this, [this] {
        runsView_->resizeColumnsToContents();
        // Keep the selected run selected; pick the newest run when none is.
        int row = runs_->rowOfRun(run_);
        if (row < 0 && runs_->rowCount() > 0) row = runs_->rowCount() - 1;
        if (row >= 0 && runsView_->currentIndex().row() != row) runsView_->selectRow(row);
        else if (row >= 0) {
            // The selected run may have changed state (running -> finished): its tables follow.
            const RunRecord* r = runs_->run(row);
            const bool running = r && r->status == RunStatus::running;
            if (runWasRunning_ && !running) onRunChanged();
            runWasRunning_ = running;
        }
        QStringList keep;
        const QString current = colorBy_->currentData().toString();
        {
            QSignalBlocker block(colorBy_);
            colorBy_->clear();
            colorBy_->addItem(tr("Record"), QStringLiteral("record"));
            colorBy_->addItem(tr("Item kind"), QStringLiteral("kind"));
            colorBy_->addItem(tr("Run (every embed run of this database)"), QStringLiteral("byrun"));
            for (int i = 0; i < runs_->rowCount(); ++i) {
                const RunRecord* r = runs_->run(i);
                if (RunsModel::taskOf(*r) == QStringLiteral("classify"))
                    colorBy_->addItem(tr("Label from classify run %1").arg(r->id), QStringLiteral("run:%1").arg(r->id));
            }
            colorBy_->setCurrentIndex(qMax(0, colorBy_->findData(current)));
        }
    });
    connect(runs_, &RunsModel::loadFailed, this, [this](const QString& m) { emit message(LogLevel::error, m); });

    tabs_ = new QTabWidget(this);
    tabs_->setObjectName(QStringLiteral("resultsTabs"));
    tabs_->addTab(buildPredictionsTab(), tr("Predictions"));

    tabs_->addTab(buildVariantsTab(), tr("Variants"));

    auto* plotTab = new QWidget(this);
    plot_ = new EmbeddingPlot(plotTab);
    plot_->setObjectName(QStringLiteral("embeddingPlot"));
    colorBy_ = new QComboBox(plotTab);
    colorBy_->setObjectName(QStringLiteral("embeddingColorBy"));
    colorBy_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    colorBy_->addItem(tr("Record"), QStringLiteral("record"));
    colorBy_->addItem(tr("Item kind"), QStringLiteral("kind"));
    colorBy_->addItem(tr("Run (every embed run of this database)"), QStringLiteral("byrun"));
    plotStatus_ = new QLabel(plotTab);
    connect(colorBy_, &QComboBox::currentIndexChanged, this, &ResultsPanel::loadEmbeddings);
    connect(plot_, &EmbeddingPlot::locusRequested, this, &ResultsPanel::locusRequested);
    auto* plotBar = new QHBoxLayout;
    plotBar->addWidget(new QLabel(tr("Colour by:"), plotTab));
    plotBar->addWidget(colorBy_);
    plotBar->addWidget(plotStatus_, 1);
    auto* plotLayout = new QVBoxLayout(plotTab);
    plotLayout->addLayout(plotBar);
    plotLayout->addWidget(plot_, 1);
    tabs_->addTab(plotTab, tr("Embeddings"));

    auto* histTab = new QWidget(this);
    histogram_ = new HistogramPlot(histTab);
    histogram_->setObjectName(QStringLiteral("histogram"));
    column_ = new QComboBox(histTab);
    column_->setObjectName(QStringLiteral("histogramColumn"));
    column_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    connect(column_, &QComboBox::currentIndexChanged, this, &ResultsPanel::loadHistogram);
    auto* histBar = new QHBoxLayout;
    histBar->addWidget(new QLabel(tr("Column:"), histTab));
    histBar->addWidget(column_);
    histBar->addStretch(1);
    auto* histLayout = new QVBoxLayout(histTab);
    histLayout->addLayout(histBar);
    histLayout->addWidget(histogram_, 1);
    tabs_->addTab(histTab, tr("Histogram"));
    connect(tabs_, &QTabWidget::currentChanged, this, [this](int i) {
        if (tabs_->widget(i) && tabs_->widget(i)->isAncestorOf(plot_) && plot_->points().isEmpty()) loadEmbeddings();
    });

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(runsView_);
    split->addWidget(tabs_);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    // Room for about eight runs before the runs table scrolls.
    split->setSizes({runsView_->verticalHeader()->defaultSectionSize() * 9 + 4, 500});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(dbLabel_);
    layout->addWidget(split, 1);
}

QWidget* ResultsPanel::buildPredictionsTab() {
    auto* tab = new QWidget(this);
    labelFilter_ = new QComboBox(tab);
    labelFilter_->setObjectName(QStringLiteral("filterLabel"));
    labelFilter_->addItem(tr("any label"), QString());
    minScore_ = filterBox(tab, QStringLiteral("filterMinScore"), tr("min"), true);
    maxScore_ = filterBox(tab, QStringLiteral("filterMaxScore"), tr("max"), true);
    region_ = filterBox(tab, QStringLiteral("filterRegion"), tr("region, e.g. chr1:1-5,000"), false);
    search_ = filterBox(tab, QStringLiteral("filterText"), tr("search item names"), false);
    filterTimer_ = typingPause(this, {minScore_, maxScore_, region_, search_});
    connect(filterTimer_, &QTimer::timeout, this, &ResultsPanel::applyFilter);
    connect(labelFilter_, &QComboBox::currentIndexChanged, this, &ResultsPanel::applyFilter);

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Label:"), tab));
    bar->addWidget(labelFilter_);
    bar->addWidget(new QLabel(tr("Score:"), tab));
    bar->addWidget(minScore_);
    bar->addWidget(new QLabel(QStringLiteral("–"), tab));
    bar->addWidget(maxScore_);
    bar->addWidget(region_, 1);
    bar->addWidget(search_, 1);

    predictionsView_ = makeTable(tab, QStringLiteral("predictionsTable"));
    predictionsView_->setModel(predictions_);
    predictionsView_->setSortingEnabled(true);
    predictionsView_->sortByColumn(PredictionsModel::Start, Qt::AscendingOrder);
    connect(predictionsView_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& i) {
        const QString locus = predictions_->locusAt(i.row());
        if (!locus.isEmpty()) emit locusRequested(locus);
    });
    countLabel_ = new QLabel(tab);
    countLabel_->setObjectName(QStringLiteral("predictionsCount"));
    connect(predictions_, &PredictionsModel::loaded, this, [this] {
        const qint64 total = predictions_->totalCount();
        countLabel_->setText(matchCount(total, predictions_->rowCount(), "prediction", "predictions"));
        // A run of tracks (score, mutagenesis) has no rows here: say where its results are.
        const RunRecord* r = runs_->run(runs_->rowOfRun(run_));
        const QString task = r ? RunsModel::taskOf(*r) : QString();
        if (total == 0 && (task == QStringLiteral("score") || task == QStringLiteral("mutagenesis")))
            countLabel_->setText(
                tr("Run %1 (%2) stores per-base tracks, not predictions: they are drawn in the genome view "
                   "(and written by export --track).")
                    .arg(run_)
                    .arg(task));
        // The label choices are the run's classes.
        const QStringList classes = predictions_->classes();
        QStringList have;
        for (int i = 1; i < labelFilter_->count(); ++i) have << labelFilter_->itemText(i);
        if (have != classes) {
            QSignalBlocker block(labelFilter_);
            const QString current = labelFilter_->currentData().toString();
            labelFilter_->clear();
            labelFilter_->addItem(tr("any label"), QString());
            for (const QString& c : classes) labelFilter_->addItem(c, c);
            labelFilter_->setCurrentIndex(qMax(0, labelFilter_->findData(current)));
            fillColumnChoices();
        }
        predictionsView_->resizeColumnsToContents();
    });
    connect(predictions_, &PredictionsModel::loadFailed, this, [this](const QString& m) {
        countLabel_->setText(m);
        emit message(LogLevel::error, m);
    });
    auto* layout = new QVBoxLayout(tab);
    layout->addLayout(bar);
    layout->addWidget(predictionsView_, 1);
    layout->addWidget(countLabel_);
    return tab;
}

QWidget* ResultsPanel::buildVariantsTab() {
    auto* tab = new QWidget(this);
    variantScore_ = new QComboBox(tab);
    variantScore_->setObjectName(QStringLiteral("variantFilterScore"));
    variantScore_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    variantScore_->setToolTip(tr("The score the bounds apply to"));
    variantMin_ = filterBox(tab, QStringLiteral("variantFilterMin"), tr("min"), true);
    variantMax_ = filterBox(tab, QStringLiteral("variantFilterMax"), tr("max"), true);
    variantMinAbs_ = filterBox(tab, QStringLiteral("variantFilterMinAbs"), tr("|score| ≥"), true);
    variantMinAbs_->setToolTip(
        tr("Effects at least this strong, of either sign (llr is a log2 ratio: 2 is a 4-fold change)"));
    variantRegion_ = filterBox(tab, QStringLiteral("variantFilterRegion"), tr("region, e.g. chr1:1-5,000"), false);
    variantSearch_ = filterBox(tab, QStringLiteral("variantFilterText"), tr("search IDs"), false);
    connect(typingPause(tab, {variantMin_, variantMax_, variantMinAbs_, variantRegion_, variantSearch_}),
            &QTimer::timeout, this, &ResultsPanel::applyVariantFilter);
    connect(variantScore_, &QComboBox::currentIndexChanged, this, &ResultsPanel::applyVariantFilter);

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Score:"), tab));
    bar->addWidget(variantScore_);
    bar->addWidget(variantMin_);
    bar->addWidget(new QLabel(QStringLiteral("–"), tab));
    bar->addWidget(variantMax_);
    bar->addWidget(variantMinAbs_);
    bar->addWidget(variantRegion_, 1);
    bar->addWidget(variantSearch_, 1);

    variantsView_ = makeTable(tab, QStringLiteral("variantsTable"));
    variantsView_->setModel(variants_);
    variantsView_->setSortingEnabled(true);
    variantsView_->sortByColumn(VariantsModel::Chrom, Qt::AscendingOrder);
    connect(variantsView_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& i) {
                const QString locus = variants_->locusAt(i.row());
                if (!locus.isEmpty()) emit locusRequested(locus);
            });
    variantCount_ = new QLabel(tab);
    variantCount_->setObjectName(QStringLiteral("variantsCount"));
    connect(variants_, &VariantsModel::loadFailed, this, [this](const QString& m) {
        variantCount_->setText(m);
        emit message(LogLevel::error, m);
    });
    connect(variants_, &VariantsModel::loaded, this, [this] {
        variantCount_->setText(matchCount(variants_->totalCount(), variants_->rowCount(), "variant", "variants"));
        // The score choices are the run's score names.
        const QStringList names = variants_->scoreNames();
        QStringList have;
        for (int i = 0; i < variantScore_->count(); ++i) have << variantScore_->itemText(i);
        if (have != names) {
            const QString current = variantScore_->currentText();
            {
                QSignalBlocker block(variantScore_);
                variantScore_->clear();
                variantScore_->addItems(names);
                variantScore_->setCurrentIndex(qMax(0, variantScore_->findText(current)));
            }
            // Another run's score names: the filter follows what the list now shows (it kept a score
            // this run does not have, and matched nothing; found in review).
            if (!variants_->filter().score.isEmpty() && variantScore_->currentText() != variants_->filter().score)
                applyVariantFilter();
        }
        variantsView_->resizeColumnsToContents();
        if (column_->count() != variants_->scoreNames().size() && !variants_->scoreNames().isEmpty())
            fillColumnChoices();
    });
    auto* layout = new QVBoxLayout(tab);
    layout->addLayout(bar);
    layout->addWidget(variantsView_, 1);
    layout->addWidget(variantCount_);
    return tab;
}

void ResultsPanel::applyVariantFilter() {
    VariantFilter f;
    f.score = variantScore_->currentText();
    if (!variantMin_->text().trimmed().isEmpty()) f.minScore = parseNumber(variantMin_);
    if (!variantMax_->text().trimmed().isEmpty()) f.maxScore = parseNumber(variantMax_);
    if (!variantMinAbs_->text().trimmed().isEmpty()) f.minAbsScore = parseNumber(variantMinAbs_);
    f.region = variantRegion_->text().trimmed();
    f.text = variantSearch_->text().trimmed();
    variants_->setFilter(f);
}

void ResultsPanel::setDatabase(const QString& path) {
    run_ = 0;
    dbLabel_->setText(path.isEmpty() ? tr("No results database open (File ▸ Open Results Database…).")
                                     : tr("Results: %1").arg(QFileInfo(path).absoluteFilePath()));
    runs_->setDatabase(path);
    predictions_->setRun(QString(), 0);
    variants_->setRun(QString(), 0);
    plot_->setMessage(tr("Choose a run with embeddings."));
    histogram_->setMessage(tr("Choose a run and a numeric column."));
}

QString ResultsPanel::database() const { return runs_->database(); }

void ResultsPanel::setPlotColors(const QColor& plot, const QColor& highlight) {
    histogram_->setColor(plot);
    plot_->setHighlightColor(highlight);
}

void ResultsPanel::selectRun(qint64 runId) {
    run_ = runId;
    const int row = runs_->rowOfRun(runId);
    if (row >= 0) runsView_->selectRow(row);
}

void ResultsPanel::refresh(qint64 finishedRun) {
    runs_->reload();
    if (finishedRun != 0 && finishedRun == run_) onRunChanged();
}

void ResultsPanel::onRunChanged() {
    const RunRecord* r = runs_->run(runsView_->currentIndex().row());
    if (!r) return;
    run_ = r->id;
    runWasRunning_ = r->status == RunStatus::running;
    const QString task = RunsModel::taskOf(*r);
    predictions_->setRun(database(), run_);
    variants_->setRun(database(), run_);
    plot_->setMessage(tr("Loading embeddings…"));
    histogram_->setMessage(tr("Choose a numeric column."));
    fillColumnChoices();
    // Show the tab that has this run's results.
    if (task == QStringLiteral("classify")) tabs_->setCurrentIndex(0);
    else if (task == QStringLiteral("variants")) tabs_->setCurrentIndex(1);
    else if (task == QStringLiteral("embed")) tabs_->setCurrentIndex(2);
    if (tabs_->currentIndex() == 2 || task == QStringLiteral("embed")) loadEmbeddings();
    emit runSelected(run_);
}

void ResultsPanel::applyFilter() {
    PredictionFilter f;
    f.label = labelFilter_->currentData().toString();
    if (!minScore_->text().trimmed().isEmpty()) f.minScore = parseNumber(minScore_);
    if (!maxScore_->text().trimmed().isEmpty()) f.maxScore = parseNumber(maxScore_);
    f.region = region_->text().trimmed();
    f.text = search_->text().trimmed();
    predictions_->setFilter(f);
}

void ResultsPanel::fillColumnChoices() {
    const RunRecord* r = runs_->run(runs_->rowOfRun(run_));
    QSignalBlocker block(column_);
    const QString current = column_->currentData().toString();
    column_->clear();
    if (!r) return;
    const QString task = RunsModel::taskOf(*r);
    if (task == QStringLiteral("classify")) {
        column_->addItem(tr("score (probability of the label)"), QStringLiteral("p:score"));
        const QStringList classes = predictions_->classes();
        for (int k = 0; k < classes.size(); ++k) column_->addItem(QStringLiteral("P(%1)").arg(classes[k]), QStringLiteral("p:%1").arg(k));
    } else if (task == QStringLiteral("variants")) {
        // The score names come with the first page of variants (llr; llr_fwd and llr_rev with both strands).
        const QStringList names = variants_->scoreNames().isEmpty() ? QStringList{QStringLiteral("llr")} : variants_->scoreNames();
        for (const QString& s : names) column_->addItem(s, QStringLiteral("v:%1").arg(s));
    }
    column_->setCurrentIndex(qMax(0, column_->findData(current)));
    if (column_->count() > 0) loadHistogram();
    else histogram_->setMessage(tr("Run %1 (%2) has no score columns; its tracks are in the genome view.").arg(run_).arg(task));
}

void ResultsPanel::loadHistogram() {
    const QString which = column_->currentData().toString();
    if (which.isEmpty() || run_ <= 0) return;
    const quint64 generation = ++histogramGeneration_;
    histogram_->setMessage(tr("Loading %1…").arg(column_->currentText()));
    struct Values {
        std::vector<double> v;
        QString error;
    };
    runInBackground(this, [db = database(), run = run_, which, f = predictions_->filter()] {
        Values out;
        auto store = ResultsStore::open(db.toStdString(), ResultsStore::Mode::read_only);
        if (!store) return Values{{}, QString::fromStdString(store.error().message)};
        if (which.startsWith(QStringLiteral("p:"))) {
            const QString col = which.mid(2);
            const int k = col == QStringLiteral("score") ? -1 : col.toInt();
            PredictionQuery q;
            q.run_id = run;
            q.sort = PredictionQuery::SortBy::id;
            q.limit = 50000;
            if (!f.label.isEmpty()) q.label = f.label.toStdString();
            for (;;) {
                auto rows = store->query_predictions(q);
                if (!rows) return Values{{}, QString::fromStdString(rows.error().message)};
                for (const StoredPrediction& sp : *rows)
                    out.v.push_back(k < 0 ? sp.p.score.value_or(std::nan("")) : k < int(sp.p.probs.size()) ? sp.p.probs[size_t(k)] : std::nan(""));
                if (int64_t(rows->size()) < q.limit || int64_t(out.v.size()) >= kMaxHistogram) break;
                q.offset += q.limit;
            }
        } else {
            const std::string name = which.mid(2).toStdString();
            VariantQuery q;
            q.run_id = run;
            q.limit = 50000;
            for (;;) {
                auto rows = store->query_variants(q);
                if (!rows) return Values{{}, QString::fromStdString(rows.error().message)};
                for (const StoredVariant& sv : *rows)
                    for (const auto& [n, value] : sv.v.scores)
                        if (n == name) out.v.push_back(value);
                if (int64_t(rows->size()) < q.limit || int64_t(out.v.size()) >= kMaxHistogram) break;
                q.offset += q.limit;
            }
        }
        return out;
    }, [this, generation](Values v) {
        if (generation != histogramGeneration_) return;
        if (!v.error.isEmpty()) {
            histogram_->setMessage(v.error);
            emit message(LogLevel::error, v.error);
            return;
        }
        histogram_->setValues(v.v, column_->currentText());
        emit histogramShown(int(v.v.size()));
    });
}

void ResultsPanel::loadEmbeddings() {
    if (run_ <= 0) return;
    const quint64 generation = ++embeddingGeneration_;
    plotStatus_->setText(tr("loading…"));
    struct Loaded {
        QVector<PlotPoint> points;
        QStringList categories;
        QString xLabel, yLabel, error;
        QString leftOut;  // runs not on these axes, and why
        int64_t total = 0;
    };
    runInBackground(this, [db = database(), run = run_, colorBy = colorBy_->currentData().toString()] {
        Loaded l;
        auto fail = [&](const std::string& m) {
            l.error = QString::fromStdString(m);
            return l;
        };
        auto store = ResultsStore::open(db.toStdString(), ResultsStore::Mode::read_only);
        if (!store) return fail(store.error().message);
        // The runs whose embeddings are shown: this one, or with "by run" every run of the database
        // with embeddings (embed, classify --embeddings) made by the same model: the spaces of two
        // models are not one space, so their projection side by side would mean nothing.
        const bool byRun = colorBy == QStringLiteral("byrun");
        std::vector<int64_t> runIds{run};
        if (byRun) {
            auto runs = store->list_runs();
            if (!runs) return fail(runs.error().message);
            std::string model;
            for (const RunRecord& r : *runs)
                if (r.id == run) model = r.info.model_sha256;
            QStringList otherModel;
            for (const RunRecord& r : *runs) {
                const QString task = RunsModel::taskOf(r);
                if (r.id == run || (task != QStringLiteral("embed") && task != QStringLiteral("classify"))) continue;
                auto some = store->list_embedding_ids(r.id);
                if (!some) return fail(some.error().message);
                if (some->empty()) continue;
                if (r.info.model_sha256 != model)
                    otherModel << QString::number(r.id);
                else
                    runIds.push_back(r.id);
            }
            if (!otherModel.isEmpty())
                l.leftOut = QObject::tr("runs %1 left out: another model").arg(otherModel.join(QStringLiteral(", ")));
        }
        std::vector<std::pair<int64_t, int64_t>> ids;   // embedding id, its run
        std::map<int64_t, std::string> names;
        for (int64_t r : runIds) {
            auto some = store->list_embedding_ids(r);
            if (!some) return fail(some.error().message);
            for (int64_t id : *some) ids.emplace_back(id, r);
            auto seqs = store->list_sequences(r);
            if (!seqs) return fail(seqs.error().message);
            for (const StoredSequence& s : *seqs) names[s.id] = s.info.name;
        }
        l.total = int64_t(ids.size());
        if (ids.empty()) return l;
        // Labels another run gave the same items (same name and span).
        std::map<std::tuple<std::string, int64_t, int64_t>, std::string> labels;
        if (colorBy.startsWith(QStringLiteral("run:"))) {
            PredictionQuery q;
            q.run_id = colorBy.mid(4).toLongLong();
            q.sort = PredictionQuery::SortBy::id;
            q.limit = 50000;
            for (;;) {
                auto rows = store->query_predictions(q);
                if (!rows) return fail(rows.error().message);
                for (const StoredPrediction& sp : *rows) labels[{sp.p.item, sp.p.begin, sp.p.end}] = sp.p.label;
                if (int64_t(rows->size()) < q.limit) break;
                q.offset += q.limit;
            }
        }
        const int64_t wanted = std::min<int64_t>(int64_t(ids.size()), kMaxPoints);
        std::vector<float> vectors;   // [n, dim]
        int dim = 0;
        std::map<QString, int> categoryIndex;
        QStringList categories;
        for (int64_t i = 0; i < wanted; ++i) {
            const auto [id, ofRun] = ids[size_t(i * int64_t(ids.size()) / wanted)];
            auto e = store->read_embedding(id);
            if (!e) return fail(e.error().message);
            if (dim == 0) dim = int(e->e.vector.size());
            if (int(e->e.vector.size()) != dim) {
                if (byRun && ofRun != run) continue;   // another model's width: not on these axes
                return fail(cat("results database '", db.toStdString(), "': embedding ", id, " has ", e->e.vector.size(),
                                " values; the run's first has ", dim));
            }
            vectors.insert(vectors.end(), e->e.vector.begin(), e->e.vector.end());
            const Embedding& em = e->e;
            PlotPoint p;
            const auto seq = names.find(em.sequence_id);
            const bool placed = em.sequence_id != 0 && seq != names.end();
            if (placed) p.locus = QString::fromStdString(format_locus(Region{seq->second, em.begin, std::max(em.end, em.begin + 1)}));
            p.item = QStringLiteral("%1 (%2)").arg(placed ? p.locus : QString::fromStdString(em.item), QString::fromLatin1(to_string(em.kind)));
            QString category;
            if (byRun) category = QObject::tr("run %1").arg(ofRun);
            else if (colorBy == QStringLiteral("kind")) category = QString::fromLatin1(to_string(em.kind));
            else if (colorBy.startsWith(QStringLiteral("run:"))) {
                const auto it = labels.find({em.item, em.begin, em.end});
                category = it == labels.end() ? QString() : QString::fromStdString(it->second);
            } else category = em.kind == ItemKind::read ? QStringLiteral("reads") : QString::fromStdString(em.item);
            if (category.isEmpty()) p.category = -1;   // grey: no label for this item
            else {
                auto [it, added] = categoryIndex.emplace(category, int(categories.size()));
                if (added) categories << category;
                p.category = it->second;
            }
            l.points.push_back(p);
        }
        const int64_t n = int64_t(l.points.size());
        const Projection2D proj = pca2d(vectors, n, dim);
        for (int64_t i = 0; i < n; ++i) l.points[int(i)].x = proj.x[size_t(i)], l.points[int(i)].y = proj.y[size_t(i)];
        l.categories = categories;
        l.xLabel = QObject::tr("PC1 (%1 % of variance)").arg(proj.explained[0] * 100, 0, 'f', 1);
        l.yLabel = QObject::tr("PC2 (%1 % of variance)").arg(proj.explained[1] * 100, 0, 'f', 1);
        return l;
    }, [this, generation](Loaded l) {
        if (generation != embeddingGeneration_) return;
        if (!l.error.isEmpty()) {
            plot_->setMessage(l.error);
            plotStatus_->clear();
            emit message(LogLevel::error, l.error);
            return;
        }
        if (l.points.isEmpty()) {
            plot_->setMessage(tr("Run %1 has no embeddings (run the embed task to make some).").arg(run_));
            plotStatus_->clear();
            emit embeddingsShown(0);
            return;
        }
        QString status =
            l.total > l.points.size()
                ? tr("%1 of %2 items (evenly sampled); hover for the item, click a placed one to go there")
                      .arg(QLocale().toString(l.points.size()), QLocale().toString(qlonglong(l.total)))
                : tr("%n item(s); hover for the item, click a placed one to go there", nullptr, int(l.points.size()));
        if (!l.leftOut.isEmpty()) status += QStringLiteral("; ") + l.leftOut;
        plotStatus_->setText(status);
        const int n = int(l.points.size());
        plot_->setPoints(std::move(l.points), l.categories, l.xLabel, l.yLabel);
        emit embeddingsShown(n);
    });
}

}  // namespace ms::ui

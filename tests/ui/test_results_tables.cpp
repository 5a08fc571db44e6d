// The results browser over real databases made by the app layer's jobs: the runs, predictions and
// variants models (QAbstractItemModelTester on each, paging, sort, every filter), the PCA behind
// the embeddings plot, the plot's hover and click, and the histogram.
#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QtTest>
#include <algorithm>
#include <cmath>

#include "results_fixture.h"
#include "ui/embedding_plot.h"
#include "ui/embedding_projection.h"
#include "ui/results_models.h"
#include "ui/results_panel.h"

using namespace ms;
using namespace ms::ui;

namespace {
// Lets the background page loads arrive, until `done` holds or 10 s pass.
template <class F>
bool waitUntil(F done) {
    return QTest::qWaitFor(done, 10000);
}
}  // namespace

class TestResultsTables : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString db_;
    qint64 classifyRun_ = 0, embedRun_ = 0, variantsRun_ = 0, scoreRun_ = 0;
    int64_t predictions_ = 0;

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        db_ = dir_.filePath(QStringLiteral("results.db"));
        // Windows of 20 every base: about 950 predictions, more than one page of 500.
        classifyRun_ = test::classify(db_, 20, 1);
        QVERIFY(classifyRun_ > 0);
        embedRun_ = test::embed(db_, 50);
        QVERIFY(embedRun_ > 0);
        variantsRun_ = test::variants(db_, dir_.path());
        QVERIFY(variantsRun_ > 0);
        scoreRun_ = test::score(db_);
        QVERIFY(scoreRun_ > 0);
        auto store = ResultsStore::open(db_.toStdString(), ResultsStore::Mode::read_only);
        QVERIFY(store);
        predictions_ = *store->count_predictions({.run_id = classifyRun_});
        QVERIFY(predictions_ > PredictionsModel::kPageRows);
    }

    void runsModelListsEveryRunWithItsTask() {
        RunsModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy loaded(&m, &RunsModel::loaded);
        m.setDatabase(db_);
        QVERIFY(loaded.wait(10000));
        QCOMPARE(m.rowCount(), 4);
        QStringList tasks;
        for (int r = 0; r < 4; ++r) tasks << m.data(m.index(r, RunsModel::Task)).toString();
        QCOMPARE(tasks, (QStringList{"classify", "embed", "variants", "score"}));
        QCOMPARE(m.data(m.index(0, RunsModel::Status)).toString(), QStringLiteral("finished"));
        QCOMPARE(m.data(m.index(0, RunsModel::Model)).toString(), QStringLiteral("tied_k4_s16_head"));
        QVERIFY(m.data(m.index(3, RunsModel::Input)).toString().contains(QStringLiteral("input.fa")));
        // A reload keeps the rows (and a view's selection) when nothing changed.
        QSignalSpy reset(&m, &QAbstractItemModel::modelReset);
        m.reload();
        QVERIFY(loaded.wait(10000));
        QCOMPARE(reset.count(), 0);
        QCOMPARE(m.rowCount(), 4);
    }

    void runsModelSaysWhatIsWrongWithABadFile() {
        RunsModel m;
        QSignalSpy failed(&m, &RunsModel::loadFailed);
        m.setDatabase(dir_.filePath(QStringLiteral("missing.db")));
        QVERIFY(failed.wait(10000));
        QVERIFY(failed.first().at(0).toString().contains(QStringLiteral("missing.db")));
        QCOMPARE(m.rowCount(), 0);
    }

    void predictionsPageInTheBackground() {
        PredictionsModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setRun(db_, classifyRun_);
        QVERIFY(waitUntil([&] { return m.rowCount() > 0 && !m.loading(); }));
        QCOMPARE(m.totalCount(), predictions_);
        QCOMPARE(m.rowCount(), PredictionsModel::kPageRows);
        auto store = ResultsStore::open(db_.toStdString(), ResultsStore::Mode::read_only);
        const auto classes = *store->prediction_classes(classifyRun_);
        QCOMPARE(m.classes().size(), qsizetype(classes.size()));
        QCOMPARE(m.classes().first(), QString::fromStdString(classes.front()));
        QCOMPARE(m.columnCount(), int(PredictionsModel::FixedColumns + classes.size()));
        QVERIFY(m.canFetchMore({}));
        while (m.canFetchMore({}) || m.loading()) {
            m.fetchMore({});
            QVERIFY(waitUntil([&] { return !m.loading(); }));
        }
        QCOMPARE(qint64(m.rowCount()), predictions_);
        // Position order: sequences, then starts ascending within one.
        for (int r = 1; r < m.rowCount(); ++r) {
            const auto* a = m.prediction(r - 1);
            const auto* b = m.prediction(r);
            QVERIFY(a->p.sequence_id < b->p.sequence_id || (a->p.sequence_id == b->p.sequence_id && a->p.begin <= b->p.begin));
        }
        // Displayed positions are 1-based inclusive; the locus is what a person types.
        const auto* first = m.prediction(0);
        QCOMPARE(m.data(m.index(0, PredictionsModel::Start), Qt::EditRole).toLongLong(), first->p.begin + 1);
        QCOMPARE(m.locusAt(0), QStringLiteral("rec1:1-20"));
    }

    void predictionsSortByScoreAndLabel() {
        PredictionsModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setRun(db_, classifyRun_);
        QVERIFY(waitUntil([&] { return m.rowCount() > 0 && !m.loading(); }));
        m.sort(PredictionsModel::Score, Qt::DescendingOrder);
        QVERIFY(waitUntil([&] { return m.rowCount() > 0 && !m.loading(); }));
        for (int r = 1; r < m.rowCount(); ++r)
            QVERIFY(m.data(m.index(r - 1, PredictionsModel::Score), Qt::EditRole).toDouble() >=
                    m.data(m.index(r, PredictionsModel::Score), Qt::EditRole).toDouble());
        m.sort(PredictionsModel::Label, Qt::AscendingOrder);
        QVERIFY(waitUntil([&] { return m.rowCount() > 0 && !m.loading(); }));
        for (int r = 1; r < m.rowCount(); ++r)
            QVERIFY(m.data(m.index(r - 1, PredictionsModel::Label)).toString() <= m.data(m.index(r, PredictionsModel::Label)).toString());
    }

    void predictionsFilterByLabelScoreRegionAndText() {
        PredictionsModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setRun(db_, classifyRun_);
        QVERIFY(waitUntil([&] { return m.rowCount() > 0 && !m.loading(); }));
        const QString label = m.classes().first();

        PredictionFilter f;
        f.label = label;
        f.minScore = 0.5;
        m.setFilter(f);
        QVERIFY(waitUntil([&] { return m.totalCount() >= 0 && !m.loading(); }));
        auto store = ResultsStore::open(db_.toStdString(), ResultsStore::Mode::read_only);
        PredictionQuery q{.run_id = classifyRun_};
        q.label = label.toStdString();
        q.min_score = 0.5;
        QCOMPARE(m.totalCount(), *store->count_predictions(q));
        for (int r = 0; r < m.rowCount(); ++r) {
            QCOMPARE(m.data(m.index(r, PredictionsModel::Label)).toString(), label);
            QVERIFY(m.data(m.index(r, PredictionsModel::Score), Qt::EditRole).toDouble() >= 0.5);
        }

        // rec2 bases 101-150: windows of 20 that overlap it, on rec2 only.
        f = {};
        f.region = QStringLiteral("rec2:101-150");
        m.setFilter(f);
        QVERIFY(waitUntil([&] { return m.totalCount() >= 0 && !m.loading(); }));
        QCOMPARE(m.totalCount(), qint64(50 + 19));   // starts 81..149 (0-based) overlap [100, 150)
        for (int r = 0; r < m.rowCount(); ++r) {
            QCOMPARE(m.data(m.index(r, PredictionsModel::Sequence)).toString(), QStringLiteral("rec2"));
            QVERIFY(m.prediction(r)->p.end > 100 && m.prediction(r)->p.begin < 150);
        }

        f = {};
        f.text = QStringLiteral("REC2");   // any case
        m.setFilter(f);
        QVERIFY(waitUntil([&] { return m.totalCount() >= 0 && !m.loading(); }));
        QVERIFY(m.totalCount() > 0 && m.totalCount() < predictions_);
        for (int r = 0; r < m.rowCount(); ++r) QCOMPARE(m.data(m.index(r, PredictionsModel::Item)).toString(), QStringLiteral("rec2"));

        f.text = QStringLiteral("no such read");
        m.setFilter(f);
        QVERIFY(waitUntil([&] { return m.totalCount() >= 0 && !m.loading(); }));
        QCOMPARE(m.totalCount(), 0);
        QCOMPARE(m.rowCount(), 0);

        // A region on a sequence the run does not have is an error in words, not a crash.
        QSignalSpy failed(&m, &PredictionsModel::loadFailed);
        f = {};
        f.region = QStringLiteral("chrZ:1-10");
        m.setFilter(f);
        QVERIFY(failed.wait(10000));
        QVERIFY(failed.first().at(0).toString().contains(QStringLiteral("chrZ")));
        QCOMPARE(m.rowCount(), 0);
    }

    void staleResultsAreDropped() {
        // Two filters in a row: only the second's rows may arrive.
        PredictionsModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setRun(db_, classifyRun_);
        PredictionFilter f;
        f.text = QStringLiteral("rec1");
        m.setFilter(f);
        f.text = QStringLiteral("rec2");
        m.setFilter(f);
        QVERIFY(waitUntil([&] { return m.totalCount() >= 0 && !m.loading(); }));
        QTest::qWait(200);   // any superseded page would have landed by now
        for (int r = 0; r < m.rowCount(); ++r) QCOMPARE(m.data(m.index(r, PredictionsModel::Item)).toString(), QStringLiteral("rec2"));
    }

    void variantsModelListsAndSortsScores() {
        VariantsModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setRun(db_, variantsRun_);
        QVERIFY(waitUntil([&] { return m.rowCount() == 3 && !m.loading(); }));
        QCOMPARE(m.scoreNames(), QStringList{QStringLiteral("llr")});
        QCOMPARE(m.data(m.index(0, VariantsModel::Pos), Qt::EditRole).toLongLong(), 11);
        QCOMPARE(m.data(m.index(0, VariantsModel::Id)).toString(), QStringLiteral("snv11"));
        QCOMPARE(m.locusAt(0), QStringLiteral("rec1:11-11"));
        m.sort(VariantsModel::FixedColumns, Qt::AscendingOrder);
        QVERIFY(waitUntil([&] { return m.rowCount() == 3 && !m.loading(); }));
        for (int r = 1; r < 3; ++r)
            QVERIFY(m.data(m.index(r - 1, VariantsModel::FixedColumns), Qt::EditRole).toDouble() <=
                    m.data(m.index(r, VariantsModel::FixedColumns), Qt::EditRole).toDouble());
    }

    void variantsFilterByScoreRegionAndId() {
        VariantsModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setRun(db_, variantsRun_);
        QVERIFY(waitUntil([&] { return m.totalCount() == 3 && !m.loading(); }));
        std::vector<double> llr;
        for (int r = 0; r < 3; ++r)
            llr.push_back(m.data(m.index(r, VariantsModel::FixedColumns), Qt::EditRole).toDouble());

        VariantFilter f;
        f.text = QStringLiteral("SNV2");  // any case
        m.setFilter(f);
        QVERIFY(waitUntil([&] { return m.totalCount() >= 0 && !m.loading(); }));
        QCOMPARE(m.totalCount(), 1);
        QCOMPARE(m.data(m.index(0, VariantsModel::Id)).toString(), QStringLiteral("snv21"));
        QCOMPARE(m.scoreNames(), QStringList{QStringLiteral("llr")});  // score columns whatever the filter keeps

        f = {};
        f.region = QStringLiteral("rec1:15-31");  // positions 21 and 31
        m.setFilter(f);
        QVERIFY(waitUntil([&] { return m.totalCount() >= 0 && !m.loading(); }));
        QCOMPARE(m.totalCount(), 2);
        QCOMPARE(m.data(m.index(0, VariantsModel::Pos), Qt::EditRole).toLongLong(), 21);
        QCOMPARE(m.data(m.index(1, VariantsModel::Pos), Qt::EditRole).toLongLong(), 31);

        // Bounds on the run's first score when none is named; |score| of either sign.
        const double mid = (*std::min_element(llr.begin(), llr.end()) + *std::max_element(llr.begin(), llr.end())) / 2;
        f = {};
        f.maxScore = mid;
        m.setFilter(f);
        QVERIFY(waitUntil([&] { return m.totalCount() >= 0 && !m.loading(); }));
        QCOMPARE(m.totalCount(), qint64(std::count_if(llr.begin(), llr.end(), [&](double v) { return v <= mid; })));
        for (int r = 0; r < m.rowCount(); ++r)
            QVERIFY(m.data(m.index(r, VariantsModel::FixedColumns), Qt::EditRole).toDouble() <= mid);
        const double strong = std::fabs(llr[1]);
        f = {};
        f.score = QStringLiteral("llr");
        f.minAbsScore = strong;
        m.setFilter(f);
        QVERIFY(waitUntil([&] { return m.totalCount() >= 0 && !m.loading(); }));
        QCOMPARE(m.totalCount(),
                 qint64(std::count_if(llr.begin(), llr.end(), [&](double v) { return std::fabs(v) >= strong; })));
        for (int r = 0; r < m.rowCount(); ++r)
            QVERIFY(std::fabs(m.data(m.index(r, VariantsModel::FixedColumns), Qt::EditRole).toDouble()) >= strong);

        // A score the run does not have keeps nothing; a region off its sequences is an error in words.
        QSignalSpy failed(&m, &VariantsModel::loadFailed);
        f.score = QStringLiteral("no_such_score");
        m.setFilter(f);
        QVERIFY(waitUntil([&] { return m.totalCount() >= 0 && !m.loading(); }));
        QCOMPARE(m.totalCount(), 0);
        f = {};
        f.region = QStringLiteral("chrZ:1-10");
        m.setFilter(f);
        QVERIFY(failed.wait(10000));
        QVERIFY(failed.last().at(0).toString().contains(QStringLiteral("chrZ")));
        QCOMPARE(m.rowCount(), 0);
    }

    void panelFiltersVariants() {
        ResultsPanel panel;
        panel.resize(1000, 700);
        panel.show();
        panel.setDatabase(db_);
        QVERIFY(waitUntil([&] { return panel.runsModel()->rowCount() == 4; }));
        panel.selectRun(variantsRun_);
        QVERIFY(
            waitUntil([&] { return panel.variantsModel()->totalCount() == 3 && !panel.variantsModel()->loading(); }));
        auto* count = panel.findChild<QLabel*>(QStringLiteral("variantsCount"));
        QVERIFY(count);
        QVERIFY(count->text().contains(QLatin1Char('3')));
        auto* score = panel.findChild<QComboBox*>(QStringLiteral("variantFilterScore"));
        QVERIFY(score && score->count() == 1 && score->currentText() == QStringLiteral("llr"));
        panel.findChild<QLineEdit*>(QStringLiteral("variantFilterText"))->setText(QStringLiteral("snv3"));
        QVERIFY(
            waitUntil([&] { return panel.variantsModel()->totalCount() == 1 && !panel.variantsModel()->loading(); }));
        QVERIFY(count->text().contains(QLatin1Char('1')));
        QCOMPARE(panel.variantsModel()->filter().text, QStringLiteral("snv3"));
        // A run of tracks has no predictions: the panel says where its results are ("0 prediction(s)
        // match" read as an empty result; found in review).
        panel.selectRun(scoreRun_);
        auto* predictionsCount = panel.findChild<QLabel*>(QStringLiteral("predictionsCount"));
        QVERIFY(waitUntil([&] { return predictionsCount->text().contains(QStringLiteral("per-base tracks")); }));
    }

    void categoryColoursDifferPastTen() {
        // The 11th category had the 1st's colour (found in review): each cycle of ten differs.
        QSet<QRgb> seen;
        for (int i = 0; i < 30; ++i) seen.insert(EmbeddingPlot::categoryColor(i).rgb());
        QCOMPARE(seen.size(), 30);
    }

    void pcaFindsTheMainAxis() {
        // Points t·u + e·v with u = (1, 2, 2)/3 and v = (2, 1, -2)/3 orthogonal to it, e small.
        const int n = 200;
        std::vector<float> data;
        for (int i = 0; i < n; ++i) {
            const float t = float(i - n / 2), e = (i % 2 ? 0.1f : -0.1f);
            data.insert(data.end(), {(t + 2 * e) / 3, (2 * t + e) / 3, (2 * t - 2 * e) / 3});
        }
        const Projection2D p = pca2d(data, n, 3);
        QVERIFY(p.explained[0] > 0.999);
        QVERIFY(p.explained[1] < 0.001);
        // PC1 is t centred (mean -0.5) along a unit axis, its sign fixed so the largest coefficient
        // is positive; 1e-3: float32 input, double arithmetic.
        for (int i = 0; i < n; ++i) QVERIFY(std::abs(p.x[size_t(i)] - (float(i - n / 2) + 0.5f)) < 1e-3f);
        // Degenerate inputs give zeros, not NaN.
        const Projection2D one = pca2d({1, 2, 3}, 1, 3);
        QCOMPARE(one.x[0], 0.0f);
    }

    void panelShowsEmbeddingsAndNavigatesOnClick() {
        ResultsPanel panel;
        panel.resize(900, 700);
        panel.show();
        QSignalSpy shown(&panel, &ResultsPanel::embeddingsShown);
        QSignalSpy locus(&panel, &ResultsPanel::locusRequested);
        panel.setDatabase(db_);
        QVERIFY(waitUntil([&] { return panel.runsModel()->rowCount() == 4; }));
        panel.selectRun(embedRun_);
        QVERIFY(shown.wait(10000) || shown.count() > 0);
        EmbeddingPlot* plot = panel.embeddingPlot();
        QVERIFY(plot->points().size() > 10);
        QVERIFY(plot->isVisible());
        // Click the first dot: the genome view is asked to go to its window.
        const PlotPoint& pt = plot->points().first();
        QTest::mouseClick(plot, Qt::LeftButton, {}, plot->toScreen(pt).toPoint());
        QVERIFY(locus.count() >= 1);
        QCOMPARE(locus.last().at(0).toString(), pt.locus);
        QVERIFY(pt.locus.startsWith(QStringLiteral("rec")));
        QCOMPARE(plot->pointAt(plot->toScreen(pt).toPoint()), plot->pointAt(plot->toScreen(pt).toPoint()));
        plot->grab().save(dir_.filePath(QStringLiteral("embeddings.png")));
        if (qEnvironmentVariableIsSet("MS_GUI_SHOTS")) panel.grab().save(qEnvironmentVariable("MS_GUI_SHOTS") + QStringLiteral("/panel_embeddings.png"));
    }

    void embeddingsColouredByRunShowEveryEmbedRun() {
        const QString db = dir_.filePath(QStringLiteral("two_embeds.db"));
        const qint64 a = test::embed(db, 50), b = test::embed(db, 100);   // 20 and 10 windows
        QVERIFY(a > 0 && b > 0);
        ResultsPanel panel;
        panel.resize(900, 700);
        panel.show();
        QSignalSpy shown(&panel, &ResultsPanel::embeddingsShown);
        panel.setDatabase(db);
        QVERIFY(waitUntil([&] { return panel.runsModel()->rowCount() == 2; }));
        panel.selectRun(a);
        QVERIFY(waitUntil([&] { return shown.count() > 0; }));
        QCOMPARE(shown.last().at(0).toInt(), 20);
        auto* colorBy = panel.findChild<QComboBox*>(QStringLiteral("embeddingColorBy"));
        QVERIFY(colorBy);
        shown.clear();
        colorBy->setCurrentIndex(colorBy->findData(QStringLiteral("byrun")));
        QVERIFY(waitUntil([&] { return shown.count() > 0; }));
        QCOMPARE(shown.last().at(0).toInt(), 30);
        QSet<int> categories;
        for (const PlotPoint& p : panel.embeddingPlot()->points()) categories.insert(p.category);
        QCOMPARE(categories, (QSet<int>{0, 1}));

        // A run of another model (its vectors live in another space) is left out and named.
        {
            auto store = ResultsStore::open(db.toStdString());
            QVERIFY(store.ok());
            RunInfo info;
            info.command = "embed --model other";
            info.params_json = R"({"command":"embed"})";
            info.model_name = "other";
            info.model_sha256 = std::string(64, 'b');
            auto r = store->begin_run(info);
            QVERIFY(r.ok());
            auto first = store->read_embedding(store->list_embedding_ids(a)->front());
            Embedding e = first->e;
            e.sequence_id = 0;
            e.kind = ItemKind::read;
            e.item = "elsewhere";
            QVERIFY(store->write_embeddings(*r, std::vector<Embedding>{e}).ok());
            QVERIFY(store->finish_run(*r, RunStatus::finished).ok());
        }
        panel.setDatabase(db);
        QVERIFY(waitUntil([&] { return panel.runsModel()->rowCount() == 3; }));
        shown.clear();
        panel.selectRun(a);
        colorBy = panel.findChild<QComboBox*>(QStringLiteral("embeddingColorBy"));
        colorBy->setCurrentIndex(colorBy->findData(QStringLiteral("byrun")));
        QVERIFY(waitUntil([&] { return shown.count() > 0 && panel.embeddingPlot()->points().size() == 30; }));
        bool named = false;
        for (QLabel* label : panel.findChildren<QLabel*>())
            named = named || label->text().contains(QStringLiteral("left out: another model"));
        QVERIFY(named);
    }

    void panelPredictionsRowNavigatesAndHistogramCounts() {
        ResultsPanel panel;
        panel.resize(1000, 700);
        panel.show();
        QSignalSpy locus(&panel, &ResultsPanel::locusRequested);
        QSignalSpy hist(&panel, &ResultsPanel::histogramShown);
        panel.setDatabase(db_);
        QVERIFY(waitUntil([&] { return panel.runsModel()->rowCount() == 4; }));
        panel.selectRun(classifyRun_);
        QVERIFY(waitUntil([&] { return panel.predictionsModel()->rowCount() > 0 && !panel.predictionsModel()->loading(); }));
        panel.predictionsView()->selectRow(2);
        QVERIFY(locus.count() >= 1);
        QCOMPARE(locus.last().at(0).toString(), panel.predictionsModel()->locusAt(2));
        // The histogram of the score column counts every prediction once.
        QVERIFY(hist.wait(10000) || hist.count() > 0);
        int sum = 0;
        for (int c : panel.histogram()->counts()) sum += c;
        QCOMPARE(qint64(sum), predictions_);
        if (qEnvironmentVariableIsSet("MS_GUI_SHOTS")) {
            panel.grab().save(qEnvironmentVariable("MS_GUI_SHOTS") + QStringLiteral("/panel_predictions.png"));
            panel.findChild<QTabWidget*>(QStringLiteral("resultsTabs"))->setCurrentIndex(3);
            panel.grab().save(qEnvironmentVariable("MS_GUI_SHOTS") + QStringLiteral("/panel_histogram.png"));
            panel.selectRun(variantsRun_);
            QTest::qWait(500);
            panel.grab().save(qEnvironmentVariable("MS_GUI_SHOTS") + QStringLiteral("/panel_variants.png"));
            panel.histogram()->grab().save(qEnvironmentVariable("MS_GUI_SHOTS") + QStringLiteral("/histogram.png"));
        }
    }
};

QTEST_MAIN(TestResultsTables)
#include "test_results_tables.moc"

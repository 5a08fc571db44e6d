// The genome view with real files (freebayes' q.fa, its BAM and VCF, a BED written here, a results
// database written through the store API): opening them in the window, the locus box (loci,
// sequence and feature names, errors), history and zoom, stale loads dropped, and snapshots whose
// pixels show the expected tracks (base colours at base zoom, plots, coverage, features).
#include <QBuffer>
#include <QCheckBox>
#include <QHelpEvent>
#include <QImage>
#include <QLineEdit>
#include <QPainter>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QSvgGenerator>
#include <QSvgRenderer>
#include <QTableView>
#include <QTest>
#include <QTimer>
#include <QToolButton>
#include <QToolTip>
#include <QtTest>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "genomics/fasta.h"
#include "genomics/results_store.h"
#include "ui/batch_mode.h"
#include "ui/genome_view.h"
#include "ui/lane_tooltips.h"
#include "ui/results_panel.h"
#include "ui/runs_list.h"
#include "ui/locus_bar.h"
#include "ui/main_window.h"
#include "ui/track_painters.h"
#include "ui/view_source.h"

using ms::ReadDifference;
using ms::Region;
using namespace ms::ui;

namespace {

const QString kData = QStringLiteral(MS_TEST_DATA_DIR "/genomics/freebayes_tiny/");
constexpr int64_t kLength = 12356;   // q.fa's one record

QString outPath(const QString& name) {
    const QString dir = QStringLiteral(MS_TEST_BINARY_DIR "/genome_view");
    std::filesystem::create_directories(dir.toStdString());
    return dir + QLatin1Char('/') + name;
}

// geneA on [1000, 3000), geneB on [9000, 12000) (0-based, as BED is).
QString writeBed() {
    const QString path = outPath(QStringLiteral("genes.bed"));
    std::ofstream(path.toStdString()) << "q\t1000\t3000\tgeneA\t0\t+\nq\t9000\t12000\tgeneB\t0\t-\n";
    return path;
}

// One run over q: loglik = -(position % 100) / 10, entropy 1.5, probabilities 0.7/0.1/0.1/0.1,
// windows of 1000 labelled by parity, two scored variants.
QString writeDatabase() {
    const QString path = outPath(QStringLiteral("results.db"));
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path.toStdString() + s);
    auto store = ms::ResultsStore::open(path.toStdString());
    if (!store) qFatal("%s", store.error().message.c_str());
    ms::RunInfo info;
    info.command = "test_genome_view";
    const int64_t run = *store->begin_run(info);
    const int64_t seq = *store->add_sequence(run, {"q", kLength, "", "q.fa"});
    std::vector<float> loglik(kLength), entropy(kLength, 1.5f), a(kLength, 0.7f), other(kLength, 0.1f);
    for (int64_t i = 0; i < kLength; ++i) loglik[size_t(i)] = -float(i % 100) / 10.0f;
    auto must = [](auto r) {
        if (!r) qFatal("%s", r.error().message.c_str());
    };
    must(store->write_track(run, "loglik", seq, 0, loglik.data(), kLength));
    must(store->write_track(run, "entropy", seq, 0, entropy.data(), kLength));
    must(store->write_track(run, "prob_A", seq, 0, a.data(), kLength));
    for (const char* name : {"prob_C", "prob_G", "prob_T"}) must(store->write_track(run, name, seq, 0, other.data(), kLength));
    must(store->set_prediction_classes(run, {"even", "odd"}));
    std::vector<ms::Prediction> preds;
    for (int64_t b = 0; b < kLength; b += 1000) {
        ms::Prediction p;
        p.item = std::string("w").append(std::to_string(b));   // not "w" + …: GCC 12 -Wrestrict
        p.sequence_id = seq;
        p.begin = b;
        p.end = std::min(kLength, b + 1000);
        p.label = (b / 1000) % 2 ? "odd" : "even";
        p.score = 0.9;
        preds.push_back(p);
    }
    must(store->write_predictions(run, preds));
    std::vector<ms::Variant> vars = {{"q", 5010, "A", "G", "", {{"llr", -3.0}}}, {"q", 6000, "C", "T", "rs1", {{"llr", 1.5}}}};
    must(store->write_variants(run, vars));
    must(store->finish_run(run, ms::RunStatus::finished));
    return path;
}

// A second run in the database of writeDatabase(): loglik 2.0 everywhere, no predictions.
qint64 addSecondRun(const QString& path) {
    auto store = ms::ResultsStore::open(path.toStdString());
    if (!store) qFatal("%s", store.error().message.c_str());
    ms::RunInfo info;
    info.command = "test_genome_view second";
    const int64_t run = *store->begin_run(info);
    const int64_t seq = *store->add_sequence(run, {"q", kLength, "", "q.fa"});
    std::vector<float> two(kLength, 2.0f);
    if (auto r = store->write_track(run, "loglik", seq, 0, two.data(), kLength); !r) qFatal("%s", r.error().message.c_str());
    if (auto r = store->finish_run(run, ms::RunStatus::finished); !r) qFatal("%s", r.error().message.c_str());
    return run;
}

// A view over `source` that loads synchronously (as batch mode does), at `region`.
void showSynchronously(GenomeView& view, ViewSource& source, const Region& region) {
    QObject::connect(&view, &GenomeView::dataRequested, &view,
                     [&](const ViewRequest& q) { view.setData(std::make_shared<ViewData>(source.load(q))); });
    view.setContigs(source.contigs());
    view.setRegion(region);
}

// Waits until the window has reported `n` opened sources, all fine.
void waitOpened(QSignalSpy& spy, int n) {
    while (spy.count() < n) QVERIFY2(spy.wait(10000), "a file did not finish opening");
    for (const auto& args : spy) QVERIFY2(args.at(2).toBool(), qPrintable(args.at(3).toString()));
}

// Waits until the view shows data for its current region.
bool waitShown(GenomeView* view) {
    QSignalSpy shown(view, &GenomeView::dataShown);
    for (int i = 0; i < 50; ++i) {
        const auto& d = view->data();
        if (d && d->span.contig == view->region().contig && d->span.begin <= view->region().begin &&
            d->span.end >= view->region().end)
            return true;
        shown.wait(200);
    }
    return false;
}

QRect lane(const GenomeView& view, const QString& name) {
    for (const auto& [n, r] : view.laneGeometry())
        if (n == name) return r;
    return {};
}

int countPixels(const QImage& img, const QRect& r, const std::function<bool(QColor)>& pred) {
    int n = 0;
    for (int y = r.top(); y <= r.bottom() && y < img.height(); ++y)
        for (int x = r.left(); x <= r.right() && x < img.width(); ++x) n += pred(img.pixelColor(x, y));
    return n;
}

bool near(QColor a, QColor b, int tol = 40) {
    return std::abs(a.red() - b.red()) + std::abs(a.green() - b.green()) + std::abs(a.blue() - b.blue()) <= tol;
}

}  // namespace

class TestGenomeView : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }   // settings and recent files away from the user's own

    void opensFilesAndNavigates() {
        MainWindow w;
        w.resize(1200, 800);
        w.show();
        QSignalSpy opened(&w, &MainWindow::sourceOpened);
        w.openFasta(kData + QStringLiteral("q.fa"));
        waitOpened(opened, 1);
        w.openFile(kData + QStringLiteral("NA12878.chr22.tiny.bam"));
        w.openFile(kData + QStringLiteral("q.vcf.gz"));
        w.openFile(writeBed());
        w.openFile(writeDatabase());
        waitOpened(opened, 5);
        GenomeView* view = w.genomeView();
        QCOMPARE(view->region(), (Region{"q", 0, kLength}));   // the first contig, whole
        QVERIFY(waitShown(view));
        const auto& d = *view->data();
        QCOMPARE(d.probabilities.size(), size_t(1));
        QCOMPARE(d.tracks.size(), size_t(2));
        QCOMPARE(d.predictions.size(), size_t(1));
        QCOMPARE(d.predictions[0].spans.size(), size_t(13));
        QCOMPARE(d.variants.size(), size_t(2));        // the VCF's calls and the stored scores
        QCOMPARE(d.features.size(), size_t(1));
        QCOMPARE(d.reads.size(), size_t(1));
        QVERIFY(d.reads[0].coverage_shown);
        QVERIFY(!d.reads[0].reads_shown || d.span.length() <= kMaxReadsSpan);

        // The locus box: a locus, then a feature name, then history back and forward.
        QLineEdit* edit = w.locusBar()->edit();
        edit->setText(QStringLiteral("q:5,001-5,100"));
        QTest::keyClick(edit, Qt::Key_Return);
        QCOMPARE(view->region(), (Region{"q", 5000, 5100}));
        QCOMPARE(edit->text(), QStringLiteral("q:5,001-5,100"));
        QVERIFY(waitShown(view));
        QVERIFY(!view->data()->bases.empty());           // base zoom: the reference is there
        QVERIFY(view->data()->reads[0].reads_shown);
        QVERIFY(!view->data()->reads[0].reads.empty());
        w.goTo(QStringLiteral("geneB"));
        QCOMPARE(view->region(), (Region{"q", 8700, 12300}));   // the gene with a tenth either side
        auto* back = w.locusBar()->findChild<QToolButton*>(QStringLiteral("backButton"));
        auto* forward = w.locusBar()->findChild<QToolButton*>(QStringLiteral("forwardButton"));
        QVERIFY(back->isEnabled());
        back->click();
        QCOMPARE(view->region(), (Region{"q", 5000, 5100}));
        back->click();
        QCOMPARE(view->region(), (Region{"q", 0, kLength}));
        QVERIFY(!back->isEnabled());
        forward->click();
        QCOMPARE(view->region(), (Region{"q", 5000, 5100}));

        // Zoom buttons and keys.
        w.locusBar()->findChild<QToolButton*>(QStringLiteral("zoomOutButton"))->click();
        QCOMPARE(view->region(), (Region{"q", 4950, 5150}));
        w.locusBar()->findChild<QToolButton*>(QStringLiteral("zoomInButton"))->click();
        QCOMPARE(view->region(), (Region{"q", 5000, 5100}));
        view->setFocus();
        QTest::keyClick(view, Qt::Key_Right);
        QCOMPARE(view->region(), (Region{"q", 5010, 5110}));
        QTest::keyClick(view, Qt::Key_Minus);
        QCOMPARE(view->region().length(), int64_t(200));
        // Zooming in stops at the narrowest view; the region stays inside the contig.
        for (int i = 0; i < 10; ++i) view->zoomBy(2);
        QCOMPARE(view->region().length(), GenomeView::kMinSpan);
        view->setRegion(Region{"q", kLength - 10, kLength + 500});
        QCOMPARE(view->region().end, kLength);

        // A locus that cannot be read: a message in words, the view stays where it was.
        const Region before = view->region();
        QSignalSpy errors(w.locusBar(), &LocusBar::locusError);
        w.goTo(QStringLiteral("q:900-100"));
        w.goTo(QStringLiteral("chrNope:1-10"));
        QCOMPARE(errors.count(), 2);
        QVERIFY(errors.at(1).at(0).toString().contains(QStringLiteral("chrNope")));
        QCOMPARE(view->region(), before);
        // Part of several features' names is not a choice made for the user (`--goto rpo` went to
        // the first of 18 genes; found in review): the names are listed. A whole name in another
        // case, or part of one name only, goes there.
        w.goTo(QStringLiteral("gene"));
        QCOMPARE(errors.count(), 3);
        QVERIFY2(
            errors.at(2).at(0).toString().contains(QStringLiteral("part of the names of 2 features (geneA, geneB)")),
            qPrintable(errors.at(2).at(0).toString()));
        QCOMPARE(view->region(), before);
        w.goTo(QStringLiteral("GENEB"));
        QCOMPARE(view->region(), (Region{"q", 8700, 12300}));
        w.goTo(QStringLiteral("neA"));
        QCOMPARE(view->region(), (Region{"q", 800, 3200}));
    }

    void copiesTheSelectedSequence() {
        MainWindow w;
        w.show();
        QSignalSpy opened(&w, &MainWindow::sourceOpened);
        w.openFasta(kData + QStringLiteral("q.fa"));
        waitOpened(opened, 1);
        QSignalSpy copied(&w, &MainWindow::sequenceCopied);
        emit w.genomeView()->copySequenceRequested(Region{"q", 0, 10});
        QVERIFY(copied.wait(10000));
        auto fasta = ms::FastaFile::open((kData + QStringLiteral("q.fa")).toStdString());
        QVERIFY(fasta.ok());
        QCOMPARE(copied.at(0).at(1).toString(), QString::fromStdString(*fasta->fetch("q", 0, 10)));
    }

    void dropsStaleLoads() {
        GenomeView view;
        view.resize(800, 400);
        std::vector<ViewRequest> requests;
        connect(&view, &GenomeView::dataRequested, [&](const ViewRequest& q) { requests.push_back(q); });
        view.setContigs(ms::ContigList({{"q", kLength}}));
        view.setRegion(Region{"q", 100, 200});   // far from the first view: a second request
        QCOMPARE(requests.size(), size_t(2));
        auto answer = [](const ViewRequest& q) {
            auto d = std::make_shared<ViewData>();
            d->generation = q.generation;
            d->span = q.span;
            d->bins = q.bins;
            return d;
        };
        view.setData(answer(requests[0]));   // the superseded one
        QVERIFY(!view.data());
        view.setData(answer(requests[1]));
        QVERIFY(view.data());
        QCOMPARE(view.data()->generation, requests[1].generation);
    }

    void snapshotShowsTheTracks() {
        LaunchOptions o;
        o.genome = kData + QStringLiteral("q.fa");
        o.database = writeDatabase();
        o.reads = {kData + QStringLiteral("NA12878.chr22.tiny.bam")};
        o.annotations = {writeBed()};
        o.locus = QStringLiteral("q:1,001-1,200");   // 200 bp over 1050 px: coloured bases, no letters
        o.snapshot = outPath(QStringLiteral("base.png"));
        o.width = 1200;
        QFile::remove(o.snapshot);
        QCOMPARE(runSnapshot(o), 0);
        QImage img(o.snapshot);
        QVERIFY(!img.isNull());
        QCOMPARE(img.width(), 1200);

        // Rebuild the same view to know where its lanes are.
        GenomeView view;
        view.resize(o.width, img.height());
        ViewSource source;
        QVERIFY(source.openGenome(o.genome.toStdString()).ok());
        QVERIFY(source.openDatabase(o.database.toStdString()).ok());
        QVERIFY(source.openReads(o.reads[0].toStdString()).ok());
        QVERIFY(source.openAnnotations(o.annotations[0].toStdString()).ok());
        connect(&view, &GenomeView::dataRequested, [&](const ViewRequest& q) { view.setData(std::make_shared<ViewData>(source.load(q))); });
        view.setContigs(source.contigs());
        view.setRegion(Region{"q", 1000, 1200});
        QCOMPARE(view.laneGeometry().size(), img.height() > 0 ? view.laneGeometry().size() : 0);

        // Every base has its colour at the centre of its cell in the sequence lane.
        auto fasta = ms::FastaFile::open(o.genome.toStdString());
        const std::string bases = *fasta->fetch("q", 1000, 1200);
        const QRect seq = lane(view, QStringLiteral("sequence"));
        QVERIFY(seq.isValid());
        const double pxPerBase = double(o.width - kNamePanelWidth) / 200;
        int matching = 0;
        for (int i = 0; i < 200; ++i) {
            const int x = kNamePanelWidth + int((i + 0.5) * pxPerBase);
            matching += near(img.pixelColor(x, seq.center().y()), baseColor(bases[size_t(i)]), 10);
        }
        QCOMPARE(matching, 200);

        // The plots and coverage are drawn (non-white pixels in their data areas), the probability
        // lane is mostly A-green (0.7 of its height), and geneA is a blue box in the features lane.
        auto data = [](QRect r) { return r.adjusted(kNamePanelWidth + 1, 16, 0, -2); };
        auto notWhite = [](QColor c) { return c != QColor(Qt::white); };
        const QRect loglik = lane(view, QStringLiteral("track:loglik"));
        QVERIFY(loglik.isValid());
        QVERIFY(countPixels(img, data(loglik), notWhite) > data(loglik).width() * 5);
        const QRect coverage = lane(view, QStringLiteral("coverage"));
        QVERIFY(countPixels(img, data(coverage), [](QColor c) { return near(c, QColor(175, 175, 175), 10); }) > 1000);
        const QRect probs = lane(view, QStringLiteral("probabilities")).adjusted(kNamePanelWidth + 1, 2, 0, -3);
        const int green = countPixels(img, probs, [](QColor c) { return c.green() > 100 && c.red() < 100 && c.blue() < 100; });
        const int area = probs.width() * probs.height();
        QVERIFY2(green > area * 6 / 10 && green < area * 8 / 10, qPrintable(QStringLiteral("%1 of %2").arg(green).arg(area)));
        const QRect features = lane(view, QStringLiteral("features"));
        QVERIFY(countPixels(img, data(features).adjusted(0, -14, 0, 0), [](QColor c) { return near(c, QColor(0, 0, 178), 10); }) > 1000);
        // geneA is on '+': white chevrons cross its box (drawn under boxes, no gene showed its strand;
        // found in review).
        {
            const QRect fa = data(features).adjusted(0, -14, 0, 0);
            const auto isBlue = [](QColor c) { return near(c, QColor(0, 0, 178), 10); };
            int white = 0;
            for (int y = fa.top(); y <= fa.bottom(); ++y) {
                const QRect row(fa.left(), y, fa.width(), 1);
                if (countPixels(img, row, isBlue) > fa.width() / 2)
                    white += countPixels(img, row, [](QColor c) { return c == QColor(Qt::white); });
            }
            QVERIFY2(white > 20, qPrintable(QString::number(white)));
        }
        const QRect preds = lane(view, QStringLiteral("predictions"));
        const QRect predArea = preds.adjusted(kNamePanelWidth + 1, 4, 0, -4);
        const auto isOdd = [](QColor c) { return near(c, labelColor({"even", "odd"}, "odd"), 10); };
        QVERIFY(countPixels(img, predArea, isOdd) > 1000);
        // Scores of 0.9: the solid bar leaves the top tenth of the span faint.
        QCOMPARE(countPixels(img, QRect(predArea.left(), predArea.top(), predArea.width(), 1), isOdd), 0);
        QVERIFY(countPixels(img, QRect(predArea.left(), predArea.bottom(), predArea.width(), 1), isOdd) > 50);
    }

    // q:1008 C>T is a heterozygous SNV of NA12878 (17 reads C, 22 T): at base zoom the
    // reads carrying T show a red box there, the coverage bar is split into C (blue, below) and T
    // (red, above), and the tooltip counts them. CAT>C at q:5638 shows as a deletion on the reads.
    void readsShowMismatchesAgainstTheReference() {
        ViewSource source;
        QVERIFY(source.openGenome((kData + QStringLiteral("q.fa")).toStdString()).ok());
        QVERIFY(source.openReads((kData + QStringLiteral("NA12878.chr22.tiny.bam")).toStdString()).ok());
        GenomeView view;
        view.resize(1200, 900);
        showSynchronously(view, source, Region{"q", 987, 1027});   // 40 bp: 26 px a base
        QVERIFY(view.data());
        const ReadSet& reads = view.data()->reads.at(0);
        QVERIFY(reads.reads_shown);
        auto at = std::find_if(reads.alleles.begin(), reads.alleles.end(), [](const AlleleColumn& a) { return a.pos == 1007; });
        QVERIFY(at != reads.alleles.end());
        QCOMPARE(at->ref, 'C');
        // As `samtools mpileup -A -Q 0 -B -r q:1008-1008` counts them: 40 reads, 22 T, 17 C and one N.
        QCOMPARE(at->depth, 40);
        QCOMPARE(at->count[3], 22);
        QCOMPARE(at->count[1], 17);
        QCOMPARE(at->count[0] + at->count[2], 0);
        // Sequencing errors elsewhere stay under the 20 % line: no other well-covered column is coloured.
        for (const AlleleColumn& a : reads.alleles)
            if (a.depth >= 10) QVERIFY2(a.pos == 1007, qPrintable(QString::number(a.pos)));
        int withT = 0, confident = 0;   // T reads, and those with base quality >= 20 (drawn unfaded)
        for (const ReadPlacement& r : reads.reads)
            for (const ReadDifference& d : r.differences)
                if (d.kind == ReadDifference::Kind::mismatch && d.pos == 1007 && d.base == 'T') ++withT, confident += d.quality >= 20;
        QCOMPARE(withT, at->count[3]);
        QVERIFY(confident >= withT / 2);

        QImage img(view.size(), QImage::Format_ARGB32_Premultiplied);
        img.fill(Qt::white);
        {
            QPainter p(&img);
            view.paintView(p, img.size());
        }
        const double pxPerBase = double(view.width() - kNamePanelWidth) / 40;
        const int x = kNamePanelWidth + int((1007 - 987 + 0.5) * pxPerBase);
        const int xRef = kNamePanelWidth + int((1000 - 987 + 0.5) * pxPerBase);   // a base where all agree
        const QRect cov = lane(view, QStringLiteral("coverage"));
        const QRect readsLane = lane(view, QStringLiteral("reads"));
        auto column = [&](const QRect& r, int cx) { return QRect(cx, r.top(), 1, r.height()); };
        const auto isT = [](QColor c) { return near(c, baseColor('T'), 10); };
        const auto isC = [](QColor c) { return near(c, baseColor('C'), 10); };
        QVERIFY(countPixels(img, column(cov, x), isT) > 5);
        QVERIFY(countPixels(img, column(cov, x), isC) > 5);
        QVERIFY(isC(img.pixelColor(x, cov.bottom() - 2)));   // C (index 1) stacks below T (index 3)
        QCOMPARE(countPixels(img, column(cov, xRef), isT) + countPixels(img, column(cov, xRef), isC), 0);
        // Each confident T read paints its row's full height (3 px at this depth) in pure red.
        const int redPixels = countPixels(img, column(readsLane, x), isT);
        QVERIFY2(redPixels >= confident * 3, qPrintable(QStringLiteral("%1 red px, %2 confident T reads").arg(redPixels).arg(confident)));
        QCOMPARE(countPixels(img, column(readsLane, xRef), isT), 0);
        const QString tip = view.toolTipAt(QPoint(x, cov.center().y()));
        QVERIFY2(tip.contains(QStringLiteral("reference C")) && tip.contains(QStringLiteral("T %1").arg(at->count[3])), qPrintable(tip));
        // Over a read's red box: the read, and what it reads there; a hover shows the same text.
        int redY = -1;
        for (int y = readsLane.top(); y <= readsLane.bottom() && redY < 0; ++y)
            if (isT(img.pixelColor(x, y))) redY = y;
        QVERIFY(redY >= 0);
        const QString readTipText = view.toolTipAt(QPoint(x, redY));
        QVERIFY2(readTipText.contains(QStringLiteral("1,008: read T")) && readTipText.contains(QStringLiteral("strand")), qPrintable(readTipText));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QHelpEvent hover(QEvent::ToolTip, QPoint(x, redY), view.mapToGlobal(QPoint(x, redY)));
        QApplication::sendEvent(&view, &hover);
        QCOMPARE(QToolTip::text(), readTipText);
        QToolTip::hideText();

        // The whole of q (12 kb, reads and bases loaded): freebayes' SNVs are coloured columns, and
        // no column rests on one read's error (at the ends of the data coverage is 1-2 reads).
        view.setRegion(Region{"q", 0, kLength});
        const auto& all = view.data()->reads.at(0).alleles;
        for (int64_t snv : {185, 1007, 4448, 5008, 9790, 11535})   // 1-based 186, 1008, ... in q.vcf.gz
            QVERIFY2(std::any_of(all.begin(), all.end(), [&](const AlleleColumn& a) { return a.pos == snv; }), qPrintable(QString::number(snv)));
        for (const AlleleColumn& a : all) {
            int32_t alt = 0, other = 0;
            for (int b = 0; b < 4; ++b)
                if ("ACGT"[b] != a.ref) alt = std::max(alt, a.count[b]), other += a.count[b];
            QVERIFY2(alt >= kAlleleMinReads && other > 0.2 * a.depth, qPrintable(QString::number(a.pos)));
        }

        // The deletion of AT after q:5638 (0-based 5638, 2 bases) on the reads that carry it.
        view.setRegion(Region{"q", 5618, 5658});
        int deletions = 0;
        for (const ReadPlacement& r : view.data()->reads.at(0).reads)
            for (const ReadDifference& d : r.differences) deletions += d.kind == ReadDifference::Kind::deletion && d.pos == 5638 && d.length == 2;
        QVERIFY2(deletions >= 12, qPrintable(QString::number(deletions)));
        img.fill(Qt::white);
        {
            QPainter p(&img);
            view.paintView(p, img.size());
        }
        const int xDel = kNamePanelWidth + int((5639 - 5618) * double(view.width() - kNamePanelWidth) / 40);
        QVERIFY(countPixels(img, column(lane(view, QStringLiteral("reads")), xDel), [](QColor c) { return near(c, QColor(30, 30, 30), 10); }) >=
                deletions);
    }

    // Labels that do not fit their span are elided or left out, never overlap, never leave their
    // span's visible part; the tooltip names the label wherever the pointer is.
    void predictionLabelsFitOrHide() {
        PredictionSet set;
        set.label = QStringLiteral("predictions").toStdString();
        set.classes = {"protein_coding_gene", "tRNA"};
        // Sliding windows of 400 every 200 (each half-covered by the next), then narrow ones.
        for (int64_t b = 0; b < 4000; b += 200)
            set.spans.push_back({b, b + 400, (b / 200) % 2 ? "tRNA" : "protein_coding_gene",
                                 std::string("w").append(std::to_string(b)), 0.8});
        for (int64_t b = 4000; b < 5000; b += 10) set.spans.push_back({b, b + 10, "protein_coding_gene", "n", 0.6});
        ViewMapping m;
        m.visible = Region{"q", 0, 5000};
        m.x0 = kNamePanelWidth;
        m.width = 1000;   // 5 bp a pixel: a window's own part is 40 px, a narrow span 2 px
        const QRect area(kNamePanelWidth, 0, 1000, 26);
        QFont font;
        font.setPixelSize(12);
        const QFontMetrics fm(font);
        const auto labels = layoutPredictionLabels(set, m, area, fm);
        QVERIFY(!labels.empty());
        double lastRight = -1;
        int elided = 0, whole = 0;
        for (const PredictionLabel& l : labels) {
            const PredictionSpan& s = set.spans[l.span];
            QVERIFY(l.rect.left() > lastRight);
            lastRight = l.rect.right();
            if (s.begin >= 4000) continue;   // the run of narrow spans, below
            // Inside the part of the span no later window paints over.
            QVERIFY(l.rect.left() >= m.x(double(s.begin)) && l.rect.right() <= m.x(double(s.begin + 200)));
            QVERIFY(fm.horizontalAdvance(l.text) <= l.rect.width() + 0.5);
            if (l.text == QString::fromStdString(s.label)) ++whole;
            else {
                QVERIFY(l.text.endsWith(QChar(0x2026)) && l.text.size() >= 4);
                QVERIFY(QString::fromStdString(s.label).startsWith(l.text.chopped(1)));
                ++elided;
            }
        }
        QVERIFY(whole > 0);    // "tRNA" fits in 40 px
        QVERIFY(elided > 0);   // "protein_coding_gene" does not
        // The 100 narrow spans of one label in a row touch: one label over all of them, whole.
        const auto run = std::find_if(labels.begin(), labels.end(), [&](const PredictionLabel& l) { return set.spans[l.span].begin >= 4000; });
        QVERIFY(run != labels.end());
        QCOMPARE(run->text, QStringLiteral("protein_coding_gene"));
        QCOMPARE(std::count_if(labels.begin(), labels.end(), [&](const PredictionLabel& l) { return set.spans[l.span].begin >= 4000; }), 1L);
        // The tooltip over a narrow span, which has no label of its own, names it.
        const QString tip = predictionTip(set, m, m.x(4505));
        QVERIFY2(tip.contains(QStringLiteral("protein_coding_gene")) && tip.contains(QStringLiteral("q:4,501-4,510")), qPrintable(tip));
        // Painting draws no label text outside the spans' rectangle (clip) and keeps going.
        QImage img(area.right() + 10, 30, QImage::Format_ARGB32_Premultiplied);
        img.fill(Qt::white);
        QPainter p(&img);
        p.setFont(font);
        paintPredictions(p, QRect(0, 0, area.right() + 1, 26), m, set);
    }

    // At chromosome scale a pixel column of variants shows its most significant score, and its
    // tooltip says how many it stands for.
    void variantColumnShowsTheStrongestScore() {
        VariantSet set;
        set.label = "variant scores";
        set.from_store = true;
        // 50 variants within one pixel column (1000 bp a pixel): the strongest, -8, in the middle.
        for (int i = 0; i < 50; ++i) {
            const double score = i == 25 ? -8.0 : 0.1 * (i % 5);
            set.marks.push_back(
                {100000 + i * 10, 100001 + i * 10, "A", "G", std::string("v").append(std::to_string(i)), score, "llr"});
        }
        set.marks.push_back({500000, 500001, "C", "T", "lone", 1.0, "llr"});
        ViewMapping m;
        m.visible = Region{"q", 0, 1'000'000};
        m.x0 = kNamePanelWidth;
        m.width = 1000;
        const auto columns = variantColumns(set, m);
        QCOMPARE(columns.size(), size_t(2));
        QCOMPARE(set.marks[columns[0].mark].name, std::string("v25"));
        QCOMPARE(columns[0].count, 50);
        QCOMPARE(columns[1].count, 1);
        const QString tip = variantTip(set, m, m.x(100250));
        QVERIFY2(tip.contains(QStringLiteral("v25")) && tip.contains(QStringLiteral("50 variants")), qPrintable(tip));
        // Painted: the column's bar is red (negative) and reaches the bottom of the lane.
        QImage img(kNamePanelWidth + 1000, 44, QImage::Format_ARGB32_Premultiplied);
        img.fill(Qt::white);
        {
            QPainter p(&img);
            paintVariants(p, QRect(0, 0, img.width(), 44), m, set);
        }
        const int x = int(m.x(100000)) + 1;
        QVERIFY(near(img.pixelColor(x, 44 - 5), QColor(200, 40, 40), 10));
    }

    // A run's four ism_ lanes share one scale, so a bar of -8 and a bar of -2 compare (each lane
    // scaled alone drew both the lane's full height; found in review); loglik keeps its own.
    void ismLanesShareTheirScale() {
        auto track = [](const char* name, float v) {
            TrackSeries t;
            t.name = name;
            t.label = std::string(name) + " (run 4)";
            t.bins.push_back({0, 1000, v, v, v});
            return t;
        };
        const TrackSeries a = track("ism_A", -8.0f), c = track("ism_C", -2.0f), ll = track("loglik", -2.0f);
        QCOMPARE(trackScaleGroup(a), std::string("ism (run 4)"));
        QCOMPARE(trackScaleGroup(a), trackScaleGroup(c));
        QVERIFY(trackScaleGroup(ll).empty());
        ViewMapping m;
        m.visible = Region{"q", 0, 1000};
        m.x0 = kNamePanelWidth;
        m.width = 500;
        const auto shared = trackRange(a, m);
        QCOMPARE(shared, (std::pair<double, double>{-8.0, 0.0}));
        // Painted on the shared scale, ism_C's bar is a quarter of ism_A's height.
        auto barHeight = [&](const TrackSeries& t, const std::pair<double, double>* range) {
            QImage img(kNamePanelWidth + 500, 80, QImage::Format_ARGB32_Premultiplied);
            img.fill(Qt::white);
            {
                QPainter p(&img);
                paintTrack(p, QRect(0, 0, img.width(), 80), m, t, range);
            }
            int n = 0;
            for (int y = 0; y < img.height(); ++y)
                n += near(img.pixelColor(kNamePanelWidth + 250, y), QColor(31, 91, 168), 10);
            return n;
        };
        const int full = barHeight(a, &shared), quarter = barHeight(c, &shared), alone = barHeight(c, nullptr);
        QVERIFY2(std::abs(quarter * 4 - full) <= 4, qPrintable(QStringLiteral("%1 vs %2").arg(quarter).arg(full)));
        QCOMPARE(alone, full);  // scaled alone it filled the lane too
        // The scale says its unit: the model's values are log2, bits (scales had no unit; found in
        // review); a track MambaScope does not know gets none.
        auto scaleOf = [&](const TrackSeries& t) {
            QBuffer buffer;
            buffer.open(QIODevice::WriteOnly);
            QSvgGenerator svg;
            svg.setOutputDevice(&buffer);
            svg.setSize(QSize(kNamePanelWidth + 500, 80));
            {
                QPainter p(&svg);
                paintTrack(p, QRect(0, 0, kNamePanelWidth + 500, 80), m, t);
            }
            return buffer.data();
        };
        QVERIFY(scaleOf(a).contains("0] bits"));
        QVERIFY(scaleOf(ll).contains("0] bits"));
        const TrackSeries other = track("phylop", 1.5f);
        QVERIFY(!scaleOf(other).contains("bits"));
    }

    // An indel's padding base is not drawn as changed: a deletion covers the deleted bases, an
    // insertion is the gap after the anchor (AC>A was a box over both bases; found in review).
    void indelsLeaveTheirPaddingBase() {
        auto mark = [](int64_t pos, const char* ref, const char* alt) {
            VariantMark v{pos, pos + int64_t(std::strlen(ref)), ref, alt, "", {}, {}, {}};
            trim_padding(v);
            return v;
        };
        const VariantMark del = mark(100, "AC", "A");
        QCOMPARE(del.begin, int64_t(101));
        QCOMPARE(del.end, int64_t(102));
        QCOMPARE(QString::fromStdString(del.shown), QStringLiteral("\u2212C"));
        const VariantMark ins = mark(100, "G", "GT");
        QCOMPARE(ins.begin, int64_t(101));
        QCOMPARE(ins.end, int64_t(101));
        QCOMPARE(QString::fromStdString(ins.shown), QStringLiteral("+T"));
        const VariantMark snv = mark(100, "C", "T");
        QCOMPARE(snv.begin, int64_t(100));
        QCOMPARE(snv.end, int64_t(101));
        QCOMPARE(QString::fromStdString(snv.shown), QStringLiteral("T"));
        const VariantMark mixed = mark(100, "AC", "A,GC");  // no shared anchor across ALTs: as it is
        QCOMPARE(mixed.begin, int64_t(100));
        QCOMPARE(mixed.end, int64_t(102));
        const VariantMark symbolic = mark(100, "A", "<DEL>");
        QCOMPARE(symbolic.begin, int64_t(100));
    }

    // At base zoom each ruler tick stands on the middle of the base it names (it stood on the
    // boundary after it: the base right of "1,010" read as base 1,010; found in review).
    void rulerTicksStandOnTheirBases() {
        LaunchOptions o;
        o.genome = kData + QStringLiteral("q.fa");
        o.locus = QStringLiteral("q:1,001-1,040");  // 40 bases over 1050 px
        o.snapshot = outPath(QStringLiteral("ruler.png"));
        o.width = 1200;
        QFile::remove(o.snapshot);
        QCOMPARE(runSnapshot(o), 0);
        const QImage img(o.snapshot);
        GenomeView view;
        view.resize(o.width, img.height());
        ViewSource source;
        QVERIFY(source.openGenome(o.genome.toStdString()).ok());
        connect(&view, &GenomeView::dataRequested,
                [&](const ViewRequest& q) { view.setData(std::make_shared<ViewData>(source.load(q))); });
        view.setContigs(source.contigs());
        view.setRegion(Region{"q", 1000, 1040});
        const QRect ruler = lane(view, QStringLiteral("ruler"));
        QVERIFY(ruler.isValid());
        const double pxPerBase = double(o.width - kNamePanelWidth) / 40;
        const int y = ruler.bottom() - 2 - 3;  // through the ticks, above the axis
        std::vector<int> ticks;
        for (int x = kNamePanelWidth + 1; x < o.width; ++x)
            if (near(img.pixelColor(x, y), QColor(90, 90, 90), 40)) ticks.push_back(x);
        QVERIFY(!ticks.empty());
        for (int x : ticks) {
            const double base = (x - kNamePanelWidth) / pxPerBase;  // 0-based cells from 1000
            const double off = base - std::floor(base);             // where in its cell the tick is
            QVERIFY2(off > 0.3 && off < 0.7,
                     qPrintable(QStringLiteral("tick at x %1: %2 into its base").arg(x).arg(off)));
            // The tick names the 1-based base whose cell it is in: a multiple of the step.
            QCOMPARE((1000 + int(std::floor(base)) + 1) % 5, 0);
        }
    }

    // A run over a sequence of the genome's name but another length (another assembly) is not
    // drawn over these bases; the view says why (its scores were laid over the genome; found in
    // review).
    void anotherAssemblysRunIsNotDrawn() {
        const QString db = writeDatabase();
        {
            auto store = ms::ResultsStore::open(db.toStdString());
            QVERIFY(store.ok());
            ms::RunInfo info;
            info.command = "another assembly";
            const int64_t run = *store->begin_run(info);
            const int64_t seq = *store->add_sequence(run, {"q", kLength + 1000, "", "other.fa"});
            std::vector<float> v(size_t(kLength + 1000), 3.0f);
            QVERIFY(store->write_track(run, "loglik", seq, 0, v.data(), kLength + 1000).ok());
            QVERIFY(
                store->write_variants(run, std::vector<ms::Variant>{{"q", 1100, "A", "G", "", {{"llr", 1.0}}}}).ok());
            QVERIFY(store->finish_run(run, ms::RunStatus::finished).ok());
        }
        ViewSource source;
        QVERIFY(source.openGenome((kData + QStringLiteral("q.fa")).toStdString()).ok());
        QVERIFY(source.openDatabase(db.toStdString()).ok());
        ViewRequest q;
        q.span = Region{"q", 1000, 1200};
        q.bins = 200;
        const ViewData data = source.load(q);
        QCOMPARE(data.tracks.size(), size_t(2));  // run 1's loglik and entropy only
        for (const auto& t : data.tracks) QVERIFY(t.label.find("run 2") == std::string::npos);
        for (const auto& v : data.variants) QVERIFY(v.label.find("run 2") == std::string::npos);
        QCOMPARE(data.errors.size(), size_t(1));
        QVERIFY2(data.errors[0].find("run 2 scored a 'q' of") != std::string::npos &&
                     data.errors[0].find("another assembly") != std::string::npos,
                 data.errors[0].c_str());
    }

    // The left panel lists the database's runs; clicking one there shows its tracks alone and
    // selects it in the Results tables; unticking the box shows every run's again.
    void runsListPicksTheRunShown() {
        MainWindow w;
        w.resize(1200, 800);
        w.show();
        const QString db = writeDatabase();
        const qint64 second = addSecondRun(db);
        QSignalSpy opened(&w, &MainWindow::sourceOpened);
        w.openFasta(kData + QStringLiteral("q.fa"));
        waitOpened(opened, 1);
        w.openFile(db);
        waitOpened(opened, 2);
        RunsList* list = w.runsList();
        QVERIFY(list);
        QVERIFY(QTest::qWaitFor([&] { return list->view()->model() && list->view()->model()->rowCount() == 2; }, 10000));
        GenomeView* view = w.genomeView();
        QVERIFY(waitShown(view));
        QCOMPARE(view->data()->tracks.size(), size_t(3));   // loglik and entropy of run 1, loglik of run 2
        QCOMPARE(list->runFilter(), qint64(0));
        QVERIFY(!list->onlySelected()->isChecked());
        // Click run 1 (row 0) in the left list.
        const QRect cell = list->view()->visualRect(list->view()->model()->index(0, 0));
        QTest::mouseClick(list->view()->viewport(), Qt::LeftButton, {}, cell.center());
        QVERIFY(list->onlySelected()->isChecked());
        QCOMPARE(list->runFilter(), qint64(1));
        QCOMPARE(view->runFilter(), qint64(1));
        QVERIFY(QTest::qWaitFor([&] { return view->data() && view->data()->tracks.size() == 2; }, 10000));
        QCOMPARE(view->data()->predictions.size(), size_t(1));
        auto* panel = w.findChild<ResultsPanel*>();
        QVERIFY(panel);
        QCOMPARE(panel->currentRun(), qint64(1));   // the Results tables follow
        // Selecting run 2 in the Results dock narrows the view to run 2 while the box is ticked.
        panel->selectRun(second);
        QCOMPARE(view->runFilter(), second);
        QVERIFY(QTest::qWaitFor([&] { return view->data() && view->data()->tracks.size() == 1 && view->data()->predictions.empty(); }, 10000));
        QCOMPARE(view->data()->tracks[0].name, std::string("loglik"));
        list->onlySelected()->setChecked(false);
        QCOMPARE(view->runFilter(), qint64(0));
        QVERIFY(QTest::qWaitFor([&] { return view->data() && view->data()->tracks.size() == 3; }, 10000));
    }

    void snapshotAsSvgAndBadInput() {
        LaunchOptions o;
        o.genome = kData + QStringLiteral("q.fa");
        o.variants = {kData + QStringLiteral("q.vcf.gz")};
        o.locus = QStringLiteral("q");
        o.snapshot = outPath(QStringLiteral("whole.svg"));
        QFile::remove(o.snapshot);
        QCOMPARE(runSnapshot(o), 0);
        QFile svg(o.snapshot);
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QByteArray text = svg.readAll();
        QVERIFY(text.contains("<svg"));
        QVERIFY(text.contains("q.vcf.gz"));   // the lane's name is text in the drawing

        // A gene that starts left of the view stays out of the name panel in the SVG too (the
        // generator ignores clipping: its box covered the lane names; found in review).
        {
            LaunchOptions g;
            g.genome = kData + QStringLiteral("q.fa");
            g.annotations = {writeBed()};  // geneA on [1000, 3000)
            g.locus = QStringLiteral("q:1,101-1,300");
            g.snapshot = outPath(QStringLiteral("clipped.svg"));
            g.width = 900;
            QFile::remove(g.snapshot);
            QCOMPARE(runSnapshot(g), 0);
            QSvgRenderer renderer(g.snapshot);
            QVERIFY(renderer.isValid());
            QImage img(renderer.defaultSize(), QImage::Format_ARGB32);
            img.fill(Qt::white);
            {
                QPainter painter(&img);
                renderer.render(&painter);
            }
            const auto isFeature = [](QColor c) { return near(c, QColor(0, 0, 178), 30); };
            QVERIFY(countPixels(img, QRect(kNamePanelWidth + 2, 0, img.width() - kNamePanelWidth - 2, img.height()),
                                isFeature) > 500);
            QCOMPARE(countPixels(img, QRect(0, 0, kNamePanelWidth - 1, img.height()), isFeature), 0);
        }

        o.locus = QStringLiteral("q:20,000-30,000");   // past the end of q
        QCOMPARE(runSnapshot(o), 1);
        o.locus = QStringLiteral("q");
        o.snapshot = outPath(QStringLiteral("picture.gif"));
        QCOMPARE(runSnapshot(o), 1);
        o.snapshot = outPath(QStringLiteral("x.png"));
        o.genome = QStringLiteral("/nonexistent/genome.fa");
        QCOMPARE(runSnapshot(o), 1);
        o.genome.clear();
        o.variants.clear();
        QCOMPARE(runSnapshot(o), 2);   // nothing to show
    }
};

QTEST_MAIN(TestGenomeView)
#include "test_genome_view.moc"

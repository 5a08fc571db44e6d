#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QScrollBar>
#include <QSplitter>
#include <QStatusBar>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrent>
#include <cmath>

#include "app/genome_info.h"
#include "app/version_report.h"
#include "engine/model.h"
#include "ui/app_settings.h"
#include "ui/genome_view.h"
#include "ui/locus_bar.h"
#include "ui/results_workbench.h"
#include "ui/runs_list.h"

namespace ms::ui {

namespace {

// What a worker hands back to the GUI thread: either the data or the error message.
struct FastaResult {
    bool ok = false;
    QString error;
    GenomeSummary summary;
};

struct ModelResult {
    bool ok = false;
    QString text;
};

// Sorts by the number it holds (Qt::UserRole), not by its text: "10,000" before "9,000" as text,
// and "NA" among the numbers.
class NumberItem : public QTableWidgetItem {
public:
    using QTableWidgetItem::QTableWidgetItem;
    bool operator<(const QTableWidgetItem& other) const override {
        const double a = data(Qt::UserRole).toDouble(), b = other.data(Qt::UserRole).toDouble();
        if (std::isnan(a) || std::isnan(b)) return !std::isnan(a) && std::isnan(b);  // NA last
        return a < b;
    }
};

QTableWidgetItem* numberItem(double value, int decimals) {
    // NaN: the GC content of a record of only N.
    // Whole numbers with the locale's group separators (4,639,675), as the rest of the app writes them.
    auto* item = new NumberItem(std::isnan(value) ? QStringLiteral("NA")
                                : decimals == 0   ? QLocale().toString(qlonglong(value))
                                                  : QString::number(value, 'f', decimals));
    item->setData(Qt::UserRole, value);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("MambaScope"));
    resize(1100, 700);

    sequences_ = new QTableWidget(0, 4, this);
    sequences_->setObjectName(QStringLiteral("sequenceTable"));
    sequences_->setHorizontalHeaderLabels({tr("Sequence"), tr("Length (bp)"), tr("GC %"), tr("N %")});
    // The name takes the spare width; the numbers keep just what they need.
    sequences_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    for (int col = 1; col < 4; ++col) sequences_->horizontalHeader()->setSectionResizeMode(col, QHeaderView::ResizeToContents);
    sequences_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    sequences_->setSelectionBehavior(QAbstractItemView::SelectRows);
    sequences_->setSortingEnabled(true);
    sequences_->verticalHeader()->hide();
    buildGenomeView();

    modelText_ = new QPlainTextEdit(this);
    modelText_->setObjectName(QStringLiteral("modelText"));
    modelText_->setReadOnly(true);
    // Jobs run the default model whether or not one is described here ("No model loaded" made a new
    // user think nothing could run).
    const QString bundled = QFileInfo(bundledModelDir()).fileName();
    modelText_->setPlaceholderText(
        bundled.isEmpty()
            ? tr("No model described. Run ▸ Load Model… describes a model directory here.")
            : tr("Jobs run the default model, %1, unless File ▸ Settings… or the Run dialog names another. "
                 "Run ▸ Load Model… describes a model here.")
                  .arg(bundled));
    QFont mono(QStringLiteral("monospace"));
    mono.setStyleHint(QFont::TypeWriter);
    modelText_->setFont(mono);
    modelDock_ = new QDockWidget(tr("Model"), this);
    modelDock_->setObjectName(QStringLiteral("modelDock"));
    modelDock_->setWidget(modelText_);
    addDockWidget(Qt::RightDockWidgetArea, modelDock_);

    status_ = new QLabel(tr("Open a genome with File ▸ Open Genome…, or drop files on the window"), this);
    statusBar()->addWidget(status_, 1);
    buildMenus();
    workbench_ = new ResultsWorkbench(this);   // adds its docks and menu entries to the window
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->setObjectName(QStringLiteral("menuFile"));
    QAction* open = file->addAction(tr("&Open Genome (FASTA)…"), this, &MainWindow::chooseFasta);
    open->setObjectName(QStringLiteral("actionOpenGenome"));
    open->setShortcut(QKeySequence::Open);
    file->addAction(tr("Open &Reads (BAM/CRAM)…"), this, [this] { chooseSource(SourceKind::Reads); });
    file->addAction(tr("Open &Variants (VCF)…"), this, [this] { chooseSource(SourceKind::Variants); });
    file->addAction(tr("Open &Annotations (BED/GFF3/GTF)…"), this, [this] { chooseSource(SourceKind::Annotations); });
    file->addAction(tr("Open Results &Database…"), this, [this] { chooseSource(SourceKind::Database); });
    file->addSeparator();
    QAction* snapshot = file->addAction(tr("Save &Snapshot (PNG/SVG)…"), this, &MainWindow::saveSnapshot);
    snapshot->setObjectName(QStringLiteral("actionSnapshot"));
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->setObjectName(QStringLiteral("menuView"));
    view->addAction(modelDock_->toggleViewAction());

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    run->setObjectName(QStringLiteral("menuRun"));
    run->addAction(tr("Load &Model…"), this, &MainWindow::chooseModel);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->setObjectName(QStringLiteral("menuHelp"));
    QAction* about = help->addAction(tr("&About MambaScope"), this, &MainWindow::showAbout);
    about->setObjectName(QStringLiteral("actionAbout"));
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::chooseFasta() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open FASTA"), QString(),
                                                      tr("FASTA (*.fa *.fasta *.fna *.fa.gz *.fasta.gz *.fna.gz);;All files (*)"));
    if (!path.isEmpty()) openFasta(path);
}

void MainWindow::chooseModel() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open model directory"));
    if (!dir.isEmpty()) openModel(dir);
}

void MainWindow::openFasta(const QString& path) {
    loader_->open(SourceKind::Genome, path);
    const quint64 generation = ++fastaGeneration_;
    status_->setText(tr("Reading %1…").arg(path));
    auto* watcher = new QFutureWatcher<FastaResult>(this);
    connect(watcher, &QFutureWatcher<FastaResult>::finished, this, [this, watcher, generation, path] {
        watcher->deleteLater();
        if (generation != fastaGeneration_) return;   // a newer load superseded this one
        const FastaResult r = watcher->result();
        if (!r.ok) {
            status_->setText(r.error);
            QMessageBox::warning(this, tr("Cannot open FASTA"), r.error);
            emit fastaLoaded(false, r.error);
            return;
        }
        sequences_->setSortingEnabled(false);
        sequences_->setRowCount(int(r.summary.records.size()));
        int row = 0;
        for (const RecordSummary& rec : r.summary.records) {
            auto* name = new QTableWidgetItem(QString::fromStdString(rec.name));
            name->setToolTip(name->text());  // the whole name where the column cuts it
            sequences_->setItem(row, 0, name);
            sequences_->setItem(row, 1, numberItem(double(rec.composition.length), 0));
            sequences_->setItem(row, 2, numberItem(gc_percent(rec.composition), 2));
            sequences_->setItem(row, 3, numberItem(n_percent(rec.composition), 2));
            ++row;
        }
        sequences_->setSortingEnabled(true);
        // Room for the names (they were cut to "NC_…" beside four columns): the left pane grows to
        // what the table needs, up to a third of the window.
        if (auto* split = findChild<QSplitter*>(QStringLiteral("mainSplitter"))) {
            int name = sequences_->horizontalHeader()->sectionSizeHint(0);
            const QFontMetrics fm(sequences_->font());
            for (int r2 = 0; r2 < std::min(sequences_->rowCount(), 2000); ++r2)  // a draft assembly's first contigs
                name = std::max(name, fm.horizontalAdvance(sequences_->item(r2, 0)->text()) + 12);
            int needed = name + sequences_->verticalScrollBar()->sizeHint().width() + 2 * sequences_->frameWidth() + 4;
            for (int col = 1; col < sequences_->columnCount(); ++col) needed += sequences_->columnWidth(col);
            QList<int> sizes = split->sizes();
            const int total = sizes.value(0) + sizes.value(1);
            if (sizes.size() == 2 && needed > sizes[0]) {
                sizes[0] = std::min(needed, total / 3);
                sizes[1] = total - sizes[0];
                split->setSizes(sizes);
            }
        }
        const QString msg = tr("%1: %n sequence(s), %2 bp", nullptr, int(r.summary.records.size()))
                                .arg(path)
                                .arg(QLocale().toString(qlonglong(r.summary.total.length)));
        status_->setText(msg);
        setWindowTitle(tr("MambaScope — %1").arg(QFileInfo(path).fileName()));
        emit fastaLoaded(true, msg);
    });
    watcher->setFuture(QtConcurrent::run([p = path.toStdString()] {
        FastaResult r;
        auto s = summarize_genome(p);
        if (!s) {
            r.error = QString::fromStdString(s.error().message);
            return r;
        }
        r.ok = true;
        r.summary = std::move(*s);
        return r;
    }));
}

void MainWindow::openModel(const QString& dir) {
    const quint64 generation = ++modelGeneration_;
    status_->setText(tr("Loading model %1…").arg(dir));
    auto* watcher = new QFutureWatcher<ModelResult>(this);
    connect(watcher, &QFutureWatcher<ModelResult>::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != modelGeneration_) return;
        const ModelResult r = watcher->result();
        modelText_->setPlainText(r.text);
        modelDock_->show();
        status_->setText(r.ok ? tr("Model loaded") : r.text);
        if (!r.ok) QMessageBox::warning(this, tr("Cannot load model"), r.text);
        emit modelLoaded(r.ok, r.text);
    });
    watcher->setFuture(QtConcurrent::run([d = dir.toStdString()] {
        auto m = Model::load(d);
        if (!m) return ModelResult{false, QString::fromStdString(m.error().message)};
        return ModelResult{true, QString::fromStdString(m->summary())};
    }));
}

void MainWindow::buildGenomeView() {
    loader_ = new TrackLoader(this);
    view_ = new GenomeView;
    locusBar_ = new LocusBar;
    // The view is as tall as its tracks; the scroll area scrolls when they outgrow the window.
    auto* scroll = new QScrollArea;
    scroll->setObjectName(QStringLiteral("genomeScroll"));
    scroll->setWidget(view_);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* centre = new QWidget;
    auto* layout = new QVBoxLayout(centre);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(locusBar_);
    layout->addWidget(scroll, 1);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("mainSplitter"));
    runsList_ = new RunsList;
    auto* left = new QSplitter(Qt::Vertical);
    left->setObjectName(QStringLiteral("leftSplitter"));
    left->addWidget(sequences_);
    left->addWidget(runsList_);
    left->setStretchFactor(0, 3);
    left->setStretchFactor(1, 2);
    splitter->addWidget(left);
    splitter->addWidget(centre);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({260, 840});
    setCentralWidget(splitter);
    setAcceptDrops(true);

    connect(view_, &GenomeView::dataRequested, loader_, &TrackLoader::request);
    connect(loader_, &TrackLoader::loaded, view_, &GenomeView::setData);
    connect(loader_, &TrackLoader::opened, this, &MainWindow::sourceReady);
    connect(view_, &GenomeView::regionChanged, locusBar_, &LocusBar::showRegion);
    connect(view_, &GenomeView::navigated, locusBar_, &LocusBar::recordVisit);
    connect(view_, &GenomeView::copySequenceRequested, this, &MainWindow::copySequence);
    connect(locusBar_, &LocusBar::regionRequested, this, [this](const Region& r) {
        view_->setRegion(r);
        locusBar_->recordVisit(view_->region());
        view_->setFocus();
    });
    connect(locusBar_, &LocusBar::zoomRequested, this, [this](double factor) {
        view_->zoomBy(factor);
        locusBar_->recordVisit(view_->region());
    });
    connect(locusBar_, &LocusBar::locusError, this, [this](const QString& message) { status_->setText(message); });
    connect(loader_, &TrackLoader::sequenceFetched, this, [this](quint64 ticket, bool ok, const QString& text) {
        if (ticket != copyTicket_) return;   // a later copy superseded this one
        if (ok) {
            QGuiApplication::clipboard()->setText(text);
            status_->setText(tr("Copied %n base(s) to the clipboard", nullptr, int(text.size())));
        } else {
            status_->setText(text);
        }
        emit sequenceCopied(ok, text);
    });
    // Clicking a sequence in the list shows it whole.
    connect(sequences_, &QTableWidget::cellClicked, this, [this](int row, int) {
        if (QTableWidgetItem* item = sequences_->item(row, 0)) goTo(item->text());
    });
}

void MainWindow::sourceReady(SourceKind kind, const QString& path, bool ok, const QString& message,
                             const std::shared_ptr<const SourceState>& state) {
    if (!ok) {
        const QString text = tr("Cannot open %1 '%2': %3").arg(sourceKindName(kind), path, message);
        status_->setText(text);
        // A genome's problem is reported by the sequence list's load already: one box, not two.
        if (kind != SourceKind::Genome) QMessageBox::warning(this, tr("Cannot open %1").arg(sourceKindName(kind)), message);
        emit sourceOpened(kind, path, false, message);
        return;
    }
    view_->setContigs(state->contigs);
    locusBar_->setSources(state->contigs, state->annotations);
    view_->reload();
    if (kind != SourceKind::Genome) status_->setText(tr("Opened %1 %2").arg(sourceKindName(kind), QFileInfo(path).fileName()));
    emit sourceOpened(kind, path, true, QString());
}

void MainWindow::openSource(SourceKind kind, const QString& path) {
    if (kind == SourceKind::Genome) {
        openFasta(path);
        return;
    }
    status_->setText(tr("Opening %1…").arg(path));
    loader_->open(kind, path);
}

bool MainWindow::openFile(const QString& path) {
    const auto kind = sourceKindOf(path);
    if (!kind) {
        status_->setText(
            tr("'%1' is not a file MambaScope opens: FASTA, BAM/CRAM, VCF/BCF, BED/GFF3/GTF or a results database")
                .arg(path));
        return false;
    }
    openSource(*kind, path);
    return true;
}

void MainWindow::goTo(const QString& locus) { locusBar_->go(locus); }

void MainWindow::chooseSource(SourceKind kind) {
    QString filter;
    switch (kind) {
    case SourceKind::Reads: filter = tr("Reads (*.bam *.cram *.sam);;All files (*)"); break;
    case SourceKind::Variants: filter = tr("Variants (*.vcf *.vcf.gz *.bcf);;All files (*)"); break;
    case SourceKind::Annotations:
        filter = tr("Annotations (*.bed *.bed.gz *.gff *.gff3 *.gff.gz *.gff3.gz *.gtf *.gtf.gz);;All files (*)");
        break;
    case SourceKind::Database: filter = tr("Results database (*.db *.sqlite);;All files (*)"); break;
    case SourceKind::Genome: chooseFasta(); return;
    }
    const QString path = QFileDialog::getOpenFileName(this, tr("Open %1").arg(sourceKindName(kind)), QString(), filter);
    if (!path.isEmpty()) openSource(kind, path);
}

void MainWindow::saveSnapshot() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save snapshot"), QStringLiteral("snapshot.png"),
                                                      tr("PNG image (*.png);;SVG drawing (*.svg)"));
    if (path.isEmpty()) return;
    const QString error = view_->saveSnapshot(path, QSize(view_->width(), std::max(view_->height(), view_->contentHeight())));
    if (!error.isEmpty()) QMessageBox::warning(this, tr("Cannot save the snapshot"), error);
    else status_->setText(tr("Saved %1").arg(path));
}

void MainWindow::copySequence(const Region& region) {
    // The clipboard is no place for a chromosome; 10 Mbp is already more than editors like.
    constexpr qint64 kMaxCopy = 10'000'000;
    if (region.length() > kMaxCopy) {
        const QString why = tr("%1 is %2 bp long; copy at most %3 bp (select a smaller region with Shift+drag)")
                                .arg(QString::fromStdString(format_locus(region)))
                                .arg(QLocale().toString(qlonglong(region.length())))
                                .arg(QLocale().toString(kMaxCopy));
        status_->setText(why);
        emit sequenceCopied(false, why);
        return;
    }
    loader_->fetchSequence(region, ++copyTicket_);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!event->mimeData()->hasUrls()) return;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile() && sourceKindOf(url.toLocalFile())) {
            event->acceptProposedAction();
            return;
        }
}

void MainWindow::dropEvent(QDropEvent* event) {
    // A genome first (CRAM decodes against it, the others are placed on it), then the rest.
    QStringList paths;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) paths << url.toLocalFile();
    std::stable_sort(paths.begin(), paths.end(), [](const QString& a, const QString& b) {
        return (sourceKindOf(a) == SourceKind::Genome) > (sourceKindOf(b) == SourceKind::Genome);
    });
    for (const QString& p : paths) openFile(p);
    event->acceptProposedAction();
}

void MainWindow::showAbout() {
    // The backend probe (GPU self-test) may take a moment on machines with a GPU; the engine keeps
    // it once every GPU passed (a failed one is tried again at most every 30 s), so later About
    // boxes open at once.
    const QString facts = QString::fromStdString(version_report("MambaScope", qVersion()));
    QMessageBox box(this);
    box.setObjectName(QStringLiteral("aboutBox"));
    box.setWindowTitle(tr("About MambaScope"));
    box.setIconPixmap(QIcon(QStringLiteral(":/icons/mambascope.svg")).pixmap(64, 64));
    box.setText(tr("<b>MambaScope</b><br>Mamba DNA language models over genomes."));
    box.setInformativeText(QStringLiteral("<pre>%1</pre>").arg(facts.toHtmlEscaped()));
    box.exec();
}

}  // namespace ms::ui

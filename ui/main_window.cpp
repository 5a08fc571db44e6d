#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QFileDialog>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QStatusBar>
#include <QTableWidget>
#include <QtConcurrent/QtConcurrent>

#include "app/genome_info.h"
#include "app/version_report.h"
#include "engine/model.h"

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

QTableWidgetItem* numberItem(double value, int decimals) {
    auto* item = new QTableWidgetItem(QString::number(value, 'f', decimals));
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
    setCentralWidget(sequences_);

    modelText_ = new QPlainTextEdit(this);
    modelText_->setObjectName(QStringLiteral("modelText"));
    modelText_->setReadOnly(true);
    modelText_->setPlaceholderText(tr("No model loaded. Run ▸ Load Model… to open a model directory."));
    QFont mono(QStringLiteral("monospace"));
    mono.setStyleHint(QFont::TypeWriter);
    modelText_->setFont(mono);
    modelDock_ = new QDockWidget(tr("Model"), this);
    modelDock_->setObjectName(QStringLiteral("modelDock"));
    modelDock_->setWidget(modelText_);
    addDockWidget(Qt::RightDockWidgetArea, modelDock_);

    status_ = new QLabel(tr("Open a genome with File ▸ Open FASTA…"), this);
    statusBar()->addWidget(status_, 1);
    buildMenus();
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->setObjectName(QStringLiteral("menuFile"));
    QAction* open = file->addAction(tr("&Open FASTA…"), this, &MainWindow::chooseFasta);
    open->setShortcut(QKeySequence::Open);
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
            sequences_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(rec.name)));
            sequences_->setItem(row, 1, numberItem(double(rec.composition.length), 0));
            sequences_->setItem(row, 2, numberItem(gc_percent(rec.composition), 2));
            sequences_->setItem(row, 3, numberItem(n_percent(rec.composition), 2));
            ++row;
        }
        sequences_->setSortingEnabled(true);
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

void MainWindow::showAbout() {
    // The backend probe (GPU self-test) may take a moment on machines with a GPU; it runs once per
    // process (cached in the engine), so later About boxes open at once.
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

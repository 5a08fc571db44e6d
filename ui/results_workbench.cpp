#include "ui/results_workbench.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QSettings>
#include <QStatusBar>
#include <QTableView>
#include <QThread>
#include <memory>

#include "app/delete_run_command.h"
#include "common/warnings.h"
#include "ui/export_dialog.h"
#include "ui/genome_view.h"
#include "ui/job_queue.h"
#include "ui/job_queue_panel.h"
#include "ui/log_panel.h"
#include "ui/main_window.h"
#include "ui/results_models.h"
#include "ui/results_panel.h"
#include "ui/run_dialog.h"
#include "ui/runs_list.h"
#include "ui/settings_dialog.h"
#include "ui/track_loader.h"
#include "ui/track_painters.h"

namespace ms::ui {

namespace {
const QString kSessionFilter = QObject::tr("MambaScope session (*.mambascope.json);;JSON (*.json)");

bool isSession(const QString& path) { return path.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive); }

QString sameFile(const QString& a) { return a.isEmpty() ? QString() : QFileInfo(a).absoluteFilePath(); }
}  // namespace

ResultsWorkbench::ResultsWorkbench(MainWindow* window) : QObject(window), window_(window) {
    QSettings s;
    settings_ = AppSettings::load(s);
    window_->installEventFilter(this);
    buildDocks();
    buildMenus();
    panel_->setPlotColors(settings_.plotColor, settings_.highlightColor);
    setBasePalette(settings_.colorBlindBases ? BasePalette::colorblind : BasePalette::igv);

    connect(panel_, &ResultsPanel::locusRequested, window_, &MainWindow::goTo);
    // The left panel's runs list shows the same runs with the same selection.
    if (RunsList* runs = window_->runsList()) {
        runs->attach(panel_->runsModel(), panel_->runsView()->selectionModel());
        if (GenomeView* v = window_->genomeView()) connect(runs, &RunsList::runFilterChanged, v, &GenomeView::setRunFilter);
        addRunsContextMenu(runs->view());
    }
    addRunsContextMenu(panel_->runsView());
    // The genome view's context menu on a selection: score it, mutate it, export it.
    if (GenomeView* v = window_->genomeView()) {
        auto locus = [](const Region& r) { return QString::fromStdString(format_locus(r)); };
        connect(v, &GenomeView::scoreRegionRequested, this, [this, locus](const Region& r) { showRunDialogFor(RunTask::score, locus(r), true); });
        connect(v, &GenomeView::classifyRegionRequested, this,
                [this, locus](const Region& r) { showRunDialogFor(RunTask::classify, locus(r), true); });
        connect(v, &GenomeView::mutagenesisRequested, this,
                [this, locus](const Region& r) { showRunDialogFor(RunTask::mutagenesis, locus(r), true); });
        connect(v, &GenomeView::exportRegionRequested, this, [this, locus](const Region& r) { showExportDialogFor(locus(r)); });
    }
    connect(panel_, &ResultsPanel::message, log_, &LogPanel::append);
    connect(queue_, &JobQueue::message, log_, &LogPanel::append);
    connect(log_, &LogPanel::errorLogged, this, [this](const QString& text) {
        logDock_->show();
        logDock_->raise();
        window_->statusBar()->showMessage(text, 10000);
    });
    connect(queue_, &JobQueue::jobStarted, this, [this] {
        jobsDock_->show();
        jobsDock_->raise();
    });
    connect(queue_, &JobQueue::resultsChanged, this, [this](const QString& db) { databaseChanged(db, false); });
    connect(queue_, &JobQueue::jobFinished, this, [this](int, JobState state, const QString&, qint64 run, const QString& db) {
        if (db.isEmpty() || (state != JobState::finished && state != JobState::interrupted)) return;
        databaseChanged(db, true);
        if (run > 0 && sameFile(db) == sameFile(panel_->database())) panel_->refresh(run);
    });
    // What the window opens: remembered for sessions and recent files; a database fills the tables.
    connect(window_, &MainWindow::sourceOpened, this, [this](SourceKind kind, const QString& path, bool ok, const QString&) {
        if (!ok) return;
        const QString abs = QFileInfo(path).absoluteFilePath();
        switch (kind) {
            case SourceKind::Genome: open_.genome = abs; break;
            // Every file of these kinds the window shows (a session kept the last one only).
            case SourceKind::Reads:
                if (!open_.reads.contains(abs)) open_.reads.append(abs);
                break;
            case SourceKind::Variants:
                if (!open_.variants.contains(abs)) open_.variants.append(abs);
                break;
            case SourceKind::Annotations:
                if (!open_.annotations.contains(abs)) open_.annotations.append(abs);
                break;
            case SourceKind::Database:
                open_.results = abs;
                if (sameFile(panel_->database()) == abs) panel_->refresh();
                else panel_->setDatabase(abs);
                resultsDock_->show();
                break;
        }
        QSettings settings;
        addRecentFile(settings, abs);
    });
}

void ResultsWorkbench::buildDocks() {
    panel_ = new ResultsPanel;
    resultsDock_ = new QDockWidget(tr("Results"), window_);
    resultsDock_->setObjectName(QStringLiteral("resultsDock"));
    resultsDock_->setWidget(panel_);
    window_->addDockWidget(Qt::BottomDockWidgetArea, resultsDock_);

    queue_ = new JobQueue(this);
    jobs_ = new JobQueuePanel(queue_);
    jobsDock_ = new QDockWidget(tr("Jobs"), window_);
    jobsDock_->setObjectName(QStringLiteral("jobsDock"));
    jobsDock_->setWidget(jobs_);
    log_ = new LogPanel;
    // Warnings of the readers (an index older than its file) go to the log, from any thread.
    ms::set_warning_handler([log = QPointer<LogPanel>(log_)](const std::string& text) {
        QMetaObject::invokeMethod(
            qApp,
            [log, t = QString::fromStdString(text)] {
                if (log) log->append(LogLevel::warning, t);
            },
            Qt::QueuedConnection);
    });
    logDock_ = new QDockWidget(tr("Log"), window_);
    logDock_->setObjectName(QStringLiteral("logDock"));
    logDock_->setWidget(log_);
    window_->splitDockWidget(resultsDock_, jobsDock_, Qt::Horizontal);
    window_->tabifyDockWidget(jobsDock_, logDock_);
    jobsDock_->raise();
    window_->resizeDocks({resultsDock_, jobsDock_}, {900, 300}, Qt::Horizontal);   // the tables need the width
    window_->resizeDocks({resultsDock_}, {300}, Qt::Vertical);
}

void ResultsWorkbench::buildMenus() {
    QMenuBar* bar = window_->menuBar();
    QMenu* file = bar->findChild<QMenu*>(QStringLiteral("menuFile"));
    QMenu* view = bar->findChild<QMenu*>(QStringLiteral("menuView"));
    QMenu* run = bar->findChild<QMenu*>(QStringLiteral("menuRun"));
    if (file) {
        // Before the separator that precedes Quit.
        QAction* before = nullptr;
        const QList<QAction*> actions = file->actions();
        for (int i = int(actions.size()) - 1; i >= 0 && !before; --i)
            if (actions[i]->isSeparator()) before = actions[i];
        recentMenu_ = new QMenu(tr("Open &Recent"), file);
        recentMenu_->setObjectName(QStringLiteral("menuRecent"));
        connect(recentMenu_, &QMenu::aboutToShow, this, &ResultsWorkbench::fillRecentMenu);
        QAction* sep = new QAction(file);
        sep->setSeparator(true);
        QAction* openSession = new QAction(tr("Open Se&ssion…"), file);
        openSession->setObjectName(QStringLiteral("actionOpenSession"));
        connect(openSession, &QAction::triggered, this, [this] {
            const QString p = QFileDialog::getOpenFileName(window_, tr("Open Session"), QString(), kSessionFilter);
            QString error;
            if (!p.isEmpty() && !this->openSession(p, &error)) QMessageBox::warning(window_, tr("Cannot open session"), error);
        });
        QAction* saveSession = new QAction(tr("Save Sess&ion…"), file);
        saveSession->setObjectName(QStringLiteral("actionSaveSession"));
        connect(saveSession, &QAction::triggered, this, [this] {
            QString p = QFileDialog::getSaveFileName(window_, tr("Save Session"), QString(), kSessionFilter);
            if (p.isEmpty()) return;
            if (!isSession(p)) p += QStringLiteral(".mambascope.json");
            QString error;
            if (!this->saveSession(p, &error)) QMessageBox::warning(window_, tr("Cannot save session"), error);
        });
        QAction* exportResults = new QAction(tr("&Export Results…"), file);
        exportResults->setObjectName(QStringLiteral("actionExport"));
        connect(exportResults, &QAction::triggered, this, &ResultsWorkbench::showExportDialog);
        QAction* settings = new QAction(tr("Se&ttings…"), file);
        settings->setObjectName(QStringLiteral("actionSettings"));
        settings->setMenuRole(QAction::PreferencesRole);
        settings->setShortcut(QKeySequence::Preferences);
        connect(settings, &QAction::triggered, this, &ResultsWorkbench::showSettingsDialog);
        QAction* sep2 = new QAction(file);
        sep2->setSeparator(true);
        file->insertMenu(before, recentMenu_);
        file->insertActions(before, {sep, openSession, saveSession, sep2, exportResults, settings});
    }
    if (run) {
        QAction* first = run->actions().isEmpty() ? nullptr : run->actions().first();
        QAction* runModel = new QAction(tr("&Run Model…"), run);
        runModel->setObjectName(QStringLiteral("actionRunModel"));
        runModel->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
        connect(runModel, &QAction::triggered, this, &ResultsWorkbench::showRunDialog);
        QAction* stop = new QAction(tr("&Stop All Jobs"), run);
        stop->setObjectName(QStringLiteral("actionStopJobs"));
        connect(stop, &QAction::triggered, queue_, &JobQueue::cancelAll);
        QAction* sep = new QAction(run);
        sep->setSeparator(true);
        run->insertActions(first, {runModel, stop, sep});
    }
    if (view) {
        view->addSeparator();
        view->addAction(resultsDock_->toggleViewAction());
        view->addAction(jobsDock_->toggleViewAction());
        view->addAction(logDock_->toggleViewAction());
    }
}

bool ResultsWorkbench::eventFilter(QObject* watched, QEvent* event) {
    // A run's deletion is one transaction: the window waits for it rather than leave the thread
    // running past the application (a quit mid-way rolled it back without a word).
    if (watched == window_ && event->type() == QEvent::Close && deleting_) {
        QApplication::setOverrideCursor(Qt::WaitCursor);
        deleting_->wait();
        QApplication::restoreOverrideCursor();
    }
    if (watched != window_ || event->type() != QEvent::Close || !queue_->busy()) return QObject::eventFilter(watched, event);
    const int queued = queue_->pendingCount();
    const auto answer = QMessageBox::question(
        window_, tr("Jobs are running"),
        tr("A job is running%1. Stop it and quit? What it has written is kept and its run is marked interrupted.")
            .arg(queued ? tr(" and %n more wait(s)", nullptr, queued) : QString()),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
    if (answer != QMessageBox::Yes) {
        event->ignore();
        return true;
    }
    queue_->cancelAll();   // the queue's destructor waits for the job to reach its next block
    return QObject::eventFilter(watched, event);
}

void ResultsWorkbench::fillRecentMenu() {
    recentMenu_->clear();
    QSettings s;
    const QStringList files = recentFiles(s);
    if (files.isEmpty()) recentMenu_->addAction(tr("(none yet)"))->setEnabled(false);
    for (const QString& f : files) {
        QAction* a = recentMenu_->addAction(QFileInfo(f).fileName(), this, [this, f] { openRecent(f); });
        a->setToolTip(f);
        a->setStatusTip(f);
        a->setEnabled(QFileInfo::exists(f));   // a network drive may come back: kept, greyed out
    }
}

void ResultsWorkbench::openRecent(const QString& path) {
    if (isSession(path)) {
        QString error;
        if (!openSession(path, &error)) QMessageBox::warning(window_, tr("Cannot open session"), error);
        return;
    }
    window_->openFile(path);
}

void ResultsWorkbench::databaseChanged(const QString& db, bool finished) {
    if (panel_->database().isEmpty()) {
        // The first job's database becomes the open one: tables and view tracks.
        window_->openSource(SourceKind::Database, db);
    } else if (sameFile(db) == sameFile(panel_->database())) {
        panel_->refresh();
        // A finished run may add tracks: the view reopens the database; rows written meanwhile
        // are read by the view's next load.
        if (finished) window_->openSource(SourceKind::Database, db);
        else if (window_->genomeView()) window_->genomeView()->reload();
    }
    emit resultsChanged(db);
}

void ResultsWorkbench::addRunsContextMenu(QTableView* view) {
    view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(view, &QWidget::customContextMenuRequested, this, [this, view](const QPoint& at) {
        const QModelIndex index = view->indexAt(at);
        const RunRecord* run = index.isValid() ? panel_->runsModel()->run(index.row()) : nullptr;
        if (!run) return;
        QMenu menu(view);
        const qint64 id = run->id;
        QAction* remove = menu.addAction(tr("&Delete Run %1…").arg(id));
        remove->setObjectName(QStringLiteral("actionDeleteRun"));
        connect(remove, &QAction::triggered, this, [this, id] { confirmDeleteRun(id); });
        menu.exec(view->viewport()->mapToGlobal(at));
    });
}

void ResultsWorkbench::confirmDeleteRun(qint64 run) {
    const QString db = panel_->database();
    if (db.isEmpty()) return;
    const auto answer = QMessageBox::question(
        window_, tr("Delete Run"),
        tr("Delete run %1 of %2 with everything it holds (tracks, predictions, variants, embeddings)?\n\n"
           "This cannot be undone.")
            .arg(run)
            .arg(QFileInfo(db).fileName()),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer == QMessageBox::Yes) deleteRun(run);
}

void ResultsWorkbench::deleteRun(qint64 run) {
    const QString db = panel_->database();
    if (db.isEmpty()) return;
    if (deleting_) {  // one at a time: a second would find the first's lock and blame "another job"
        const QString why =
            tr("Delete run %1: another run's deletion is under way; try again when it is done").arg(run);
        log_->append(LogLevel::warning, why);
        emit runDeleted(run, why);
        return;
    }
    struct Outcome {
        QString summary, error;
    };
    auto outcome = std::make_shared<Outcome>();
    QThread* worker = QThread::create([db, run, outcome] {
        DeleteRunOptions o;
        o.db = db.toStdString();
        o.run = run;
        o.caller_has_it_open = true;  // the views' own connections
        const Result<std::string> r = run_delete_run(o);
        if (r)
            outcome->summary = QString::fromStdString(*r).trimmed();
        else
            outcome->error = QString::fromStdString(r.error().message);
    });
    deleting_ = worker;
    connect(worker, &QThread::finished, this, [this, worker, db, run, outcome] {
        worker->deleteLater();
        deleting_.clear();
        if (outcome->error.isEmpty()) {
            for (const QString& line : outcome->summary.split('\n')) log_->append(LogLevel::info, line);
            databaseChanged(db, true);  // the tables and the view's tracks without the run
        } else {
            log_->append(LogLevel::error, tr("Delete run %1: %2").arg(run).arg(outcome->error));
        }
        emit runDeleted(run, outcome->error);
    });
    worker->start();
}

void ResultsWorkbench::showRunDialog() {
    const Region& r = window_->genomeView() ? window_->genomeView()->region() : Region{};
    showRunDialogFor(RunTask::score, r.contig.empty() ? QString() : QString::fromStdString(format_locus(r)), false);
}

void ResultsWorkbench::showRunDialogFor(RunTask task, const QString& locus, bool locusIsInput) {
    RunRequest start;
    start.task = task;
    start.locus = locus;
    if (task == RunTask::mutagenesis || locusIsInput) start.input = RunInput::locus;
    start.fasta = open_.genome;
    start.db = open_.results;
    if (start.db.isEmpty() && !start.fasta.isEmpty()) {
        const QFileInfo g(start.fasta);
        start.db = g.absolutePath() + QLatin1Char('/') + g.completeBaseName() + QStringLiteral(".results.db");
    }
    if (!lastModel_.isEmpty()) start.model = lastModel_;
    RunDialog dialog(settings_, start, window_);
    if (dialog.exec() != QDialog::Accepted) return;
    std::optional<JobSpec> job = dialog.takeJob();
    if (!job) return;
    lastModel_ = dialog.request().model;
    queue_->enqueue(std::move(*job));
}

void ResultsWorkbench::showExportDialog() { showExportDialogFor(QString()); }

void ResultsWorkbench::showExportDialogFor(const QString& locus) {
    if (panel_->database().isEmpty()) {
        QMessageBox::information(window_, tr("Export Results"),
                                 tr("Open a results database first (File ▸ Open Results Database…), or run a model."));
        return;
    }
    auto* dialog = new ExportDialog(panel_->database(), panel_->currentRun(), window_);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setRegion(locus);
    connect(dialog, &ExportDialog::message, log_, &LogPanel::append);
    dialog->show();
}

void ResultsWorkbench::showSettingsDialog() {
    SettingsDialog dialog(settings_, window_);
    if (dialog.exec() == QDialog::Accepted) applySettings(dialog.settings());
}

void ResultsWorkbench::applySettings(const AppSettings& s) {
    settings_ = s;
    QSettings store;
    settings_.save(store);
    panel_->setPlotColors(s.plotColor, s.highlightColor);
    setBasePalette(s.colorBlindBases ? BasePalette::colorblind : BasePalette::igv);
    if (window_->genomeView()) window_->genomeView()->update();
}

Session ResultsWorkbench::currentSession() const {
    Session s = open_;
    s.model = lastModel_.isEmpty() ? settings_.modelDir : lastModel_;
    if (window_->genomeView() && !window_->genomeView()->region().contig.empty())
        s.locus = QString::fromStdString(format_locus(window_->genomeView()->region()));
    s.run = panel_->currentRun();
    return s;
}

bool ResultsWorkbench::saveSession(const QString& path, QString* error) {
    if (!ms::ui::saveSession(currentSession(), path, error)) return false;
    QSettings s;
    addRecentFile(s, path);
    log_->append(LogLevel::info, tr("session saved to %1").arg(path));
    return true;
}

bool ResultsWorkbench::openSession(const QString& path, QString* error) {
    const std::optional<Session> s = loadSession(path, error);
    if (!s) return false;
    // Files that went missing are named, and the rest is opened all the same.
    QStringList missing;
    QStringList files{s->genome, s->results};
    files << s->reads << s->variants << s->annotations;
    for (const QString& f : files)
        if (!f.isEmpty() && !QFileInfo::exists(f)) missing << f;
    if (!s->model.isEmpty()) lastModel_ = s->model;
    // Go to the locus and select the run once every file has answered.
    auto pending = std::make_shared<int>(0);
    auto opened = std::make_shared<QMetaObject::Connection>();
    const QString locus = s->locus;
    const qint64 run = s->run;
    *opened = connect(window_, &MainWindow::sourceOpened, this, [this, pending, opened, locus, run, path] {
        if (--*pending > 0) return;
        disconnect(*opened);
        if (!locus.isEmpty()) window_->goTo(locus);
        // The runs table selects it when the runs have arrived.
        if (run > 0) panel_->selectRun(run);
        emit sessionRestored(true, path);
    });
    auto open = [&](SourceKind kind, const QString& f) {
        if (f.isEmpty() || !QFileInfo::exists(f)) return;
        ++*pending;
        if (kind == SourceKind::Genome) window_->openFasta(f);
        else window_->openSource(kind, f);
    };
    open(SourceKind::Genome, s->genome);
    open(SourceKind::Database, s->results);
    for (const QString& f : s->annotations) open(SourceKind::Annotations, f);
    for (const QString& f : s->variants) open(SourceKind::Variants, f);
    for (const QString& f : s->reads) open(SourceKind::Reads, f);
    if (*pending == 0) {
        disconnect(*opened);
        emit sessionRestored(missing.isEmpty(), path);
    }
    QSettings settings;
    addRecentFile(settings, path);
    if (!missing.isEmpty()) {
        const QString text = tr("session '%1': these files are gone and were not opened: %2").arg(path, missing.join(QStringLiteral(", ")));
        log_->append(LogLevel::warning, text);
        if (error) *error = text;
    }
    return true;
}

}  // namespace ms::ui

// The results side of the main window: its docks and menu entries, a prediction row that moves the
// genome view, a job whose new database opens in the window, and a session saved from one window
// and restored in another.
#include <QAction>
#include <QDockWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>
#include <QMenuBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QtTest>

#include "app/run_lock.h"
#include "results_fixture.h"
#include "ui/genome_view.h"
#include "ui/job_queue.h"
#include "ui/log_panel.h"
#include "ui/main_window.h"
#include "ui/results_models.h"
#include "ui/results_panel.h"
#include "ui/results_workbench.h"
#include "ui/run_request.h"

using namespace ms;
using namespace ms::ui;

Q_DECLARE_METATYPE(ms::ui::JobState)

class TestWorkbench : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString db_;
    qint64 classifyRun_ = 0;

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);   // settings and recent files away from the user's own
        qRegisterMetaType<JobState>();
        QVERIFY(dir_.isValid());
        db_ = dir_.filePath(QStringLiteral("w.db"));
        classifyRun_ = test::classify(db_, 50, 25);
        QVERIFY(classifyRun_ > 0);
    }

    void windowHasTheDocksAndMenuEntries() {
        MainWindow w;
        w.show();
        for (const char* name : {"resultsDock", "jobsDock", "logDock"}) QVERIFY2(w.findChild<QDockWidget*>(QLatin1String(name)), name);
        for (const char* name : {"actionRunModel", "actionStopJobs", "actionExport", "actionSettings", "actionOpenSession", "actionSaveSession"})
            QVERIFY2(w.findChild<QAction*>(QLatin1String(name)), name);
        QStringList titles;
        for (QAction* a : w.menuBar()->actions()) titles << a->text().remove('&');
        QCOMPARE(titles, (QStringList{"File", "View", "Run", "Help"}));
    }

    void aPredictionRowMovesTheGenomeView() {
        MainWindow w;
        w.resize(1200, 900);
        w.show();
        QSignalSpy opened(&w, &MainWindow::sourceOpened);
        w.openFasta(test::kFasta);
        w.openSource(SourceKind::Database, db_);
        QVERIFY(QTest::qWaitFor([&] { return opened.count() >= 2; }, 10000));
        ResultsPanel* panel = w.workbench()->resultsPanel();
        QVERIFY(QTest::qWaitFor([&] { return panel->runsModel()->rowCount() == 1; }, 10000));
        QVERIFY(QTest::qWaitFor([&] { return panel->predictionsModel()->rowCount() > 3 && !panel->predictionsModel()->loading(); }, 10000));
        panel->predictionsView()->selectRow(3);   // rec1, window 4: bases 76-125
        QCOMPARE(panel->predictionsModel()->locusAt(3), QStringLiteral("rec1:76-125"));
        const Region r = w.genomeView()->region();
        QCOMPARE(QString::fromStdString(r.contig), QStringLiteral("rec1"));
        QVERIFY(r.begin <= 75 && r.end >= 125);
        if (qEnvironmentVariableIsSet("MS_GUI_SHOTS")) w.grab().save(qEnvironmentVariable("MS_GUI_SHOTS") + QStringLiteral("/main_window.png"));
    }

    // Delete Run… (the runs tables' context menu, confirmed): the run and its rows go, the tables
    // reload without it, the log says what was removed; a run a job writes is refused and stays.
    void deleteRunRemovesTheRunFromTheTables() {
        const QString db = dir_.filePath(QStringLiteral("delete.db"));
        const qint64 first = test::classify(db, 50, 25), second = test::embed(db, 50);
        QVERIFY(first > 0 && second > first);
        MainWindow w;
        w.show();
        QSignalSpy opened(&w, &MainWindow::sourceOpened);
        w.openSource(SourceKind::Database, db);
        ResultsPanel* panel = w.workbench()->resultsPanel();
        QVERIFY(QTest::qWaitFor([&] { return panel->runsModel()->rowCount() == 2; }, 10000));
        QSignalSpy deleted(w.workbench(), &ResultsWorkbench::runDeleted);
        {
            auto lock = ms::RunLock::acquire(db.toStdString(), first);  // as a job writing it holds it
            QVERIFY(lock.ok());
            w.workbench()->deleteRun(first);
            QVERIFY(deleted.wait(10000));
            QVERIFY2(deleted.last().at(1).toString().contains(QStringLiteral("being written by another job")),
                     qPrintable(deleted.last().at(1).toString()));
            QCOMPARE(panel->runsModel()->rowCount(), 2);
        }
        w.workbench()->deleteRun(first);
        QVERIFY(deleted.wait(10000));
        QCOMPARE(deleted.last().at(1).toString(), QString());
        QVERIFY(QTest::qWaitFor([&] { return panel->runsModel()->rowCount() == 1; }, 10000));
        QCOMPARE(panel->runsModel()->run(0)->id, second);
        // Its note speaks of this window's own connections, not of "another program", nor of a
        // command-line option.
        const QString log = w.findChild<LogPanel*>()->plainText();
        QVERIFY2(log.contains(QStringLiteral("removed run %1").arg(first)), qPrintable(log));
        QVERIFY2(!log.contains(QStringLiteral("another program")) && !log.contains(QStringLiteral("--vacuum")),
                 qPrintable(log));
        auto store = ResultsStore::open(db.toStdString(), ResultsStore::Mode::read_only);
        QVERIFY(store.ok());
        QCOMPARE(store->list_runs()->size(), size_t(1));
        QCOMPARE(QString::fromStdString(*store->integrity_check()), QStringLiteral("ok"));
    }

    void aJobsNewDatabaseOpensInTheWindow() {
        MainWindow w;
        w.show();
        const QString db = dir_.filePath(QStringLiteral("fresh.db"));
        RunRequest r;
        r.model = test::kModel;
        r.fasta = test::kFasta;
        r.db = db;
        r.device = QStringLiteral("cpu");
        r.chunk = 100;
        QSignalSpy changed(w.workbench(), &ResultsWorkbench::resultsChanged);
        QSignalSpy finished(w.workbench()->jobQueue(), &JobQueue::jobFinished);
        w.workbench()->jobQueue()->enqueue(*makeJob(r).job);
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.first().at(1).value<JobState>(), JobState::finished);
        QVERIFY(changed.count() >= 1);
        ResultsPanel* panel = w.workbench()->resultsPanel();
        // It may first show the run running (the database opened while the job ran); then finished.
        QVERIFY(QTest::qWaitFor([&] {
            return QFileInfo(panel->database()) == QFileInfo(db) && panel->runsModel()->rowCount() == 1 &&
                   panel->runsModel()->run(0)->status == RunStatus::finished;
        }, 10000));
    }

    void closingWhileAJobRunsAsksFirst() {
        const QString fasta = dir_.filePath(QStringLiteral("long.fa"));
        {
            QFile f(fasta);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QByteArray seq(3'000'000, 'A');
            for (qsizetype i = 0; i < seq.size(); ++i) seq[i] = "ACGT"[(i * 7 + i / 3) % 4];
            f.write(">long\n");
            for (qsizetype i = 0; i < seq.size(); i += 80) f.write(seq.mid(i, 80) + '\n');
        }
        MainWindow w;
        w.show();
        RunRequest r;
        r.model = test::kModel;
        r.fasta = fasta;
        r.db = dir_.filePath(QStringLiteral("closing.db"));
        r.device = QStringLiteral("cpu");
        r.chunk = 4096;
        QSignalSpy progress(w.workbench()->jobQueue(), &JobQueue::jobProgress);
        QSignalSpy finished(w.workbench()->jobQueue(), &JobQueue::jobFinished);
        w.workbench()->jobQueue()->enqueue(*makeJob(r).job);
        QVERIFY(progress.wait(60000));
        // Answer the question box: first No (the window stays), then Yes.
        auto answer = [](QMessageBox::StandardButton b) {
            QTimer::singleShot(50, [b] {
                for (QWidget* top : QApplication::topLevelWidgets())
                    if (auto* box = qobject_cast<QMessageBox*>(top)) box->button(b)->click();
            });
        };
        answer(QMessageBox::No);
        QVERIFY(!w.close());
        QVERIFY(w.isVisible());
        QVERIFY(w.workbench()->jobQueue()->busy() || finished.count() == 1);
        if (finished.count() == 1) QSKIP("the job ended before the window was closed (a very fast machine)");
        answer(QMessageBox::Yes);
        QVERIFY(w.close());
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.first().at(1).value<JobState>(), JobState::interrupted);
    }

    void sessionSavedInOneWindowOpensInAnother() {
        const QString path = dir_.filePath(QStringLiteral("s.mambascope.json"));
        {
            MainWindow w;
            w.show();
            QSignalSpy opened(&w, &MainWindow::sourceOpened);
            w.openFasta(test::kFasta);
            w.openSource(SourceKind::Database, db_);
            // Two annotation files: both come back (a session kept the last one only).
            for (const char* name : {"a.bed", "b.bed"}) {
                QFile bed(dir_.filePath(QLatin1String(name)));
                QVERIFY(bed.open(QIODevice::WriteOnly));
                bed.write("rec2\t10\t50\tfeature\n");
            }
            w.openSource(SourceKind::Annotations, dir_.filePath(QStringLiteral("a.bed")));
            w.openSource(SourceKind::Annotations, dir_.filePath(QStringLiteral("b.bed")));
            QVERIFY(QTest::qWaitFor([&] { return opened.count() >= 4; }, 10000));
            w.goTo(QStringLiteral("rec2:11-60"));
            QString error;
            QVERIFY2(w.workbench()->saveSession(path, &error), qPrintable(error));
        }
        MainWindow w;
        w.show();
        QSignalSpy restored(w.workbench(), &ResultsWorkbench::sessionRestored);
        QString error;
        QVERIFY2(w.workbench()->openSession(path, &error), qPrintable(error));
        QVERIFY(restored.wait(10000));
        QVERIFY(restored.first().at(0).toBool());
        const Session s = w.workbench()->currentSession();
        QCOMPARE(s.genome, QFileInfo(test::kFasta).absoluteFilePath());
        QCOMPARE(s.results, QFileInfo(db_).absoluteFilePath());
        QCOMPARE(s.locus, QStringLiteral("rec2:11-60"));
        QCOMPARE(s.annotations, (QStringList{QFileInfo(dir_.filePath(QStringLiteral("a.bed"))).absoluteFilePath(),
                                             QFileInfo(dir_.filePath(QStringLiteral("b.bed"))).absoluteFilePath()}));
        QVERIFY(QTest::qWaitFor([&] { return w.workbench()->resultsPanel()->currentRun() == classifyRun_; }, 10000));
    }
};

QTEST_MAIN(TestWorkbench)
#include "test_workbench.moc"

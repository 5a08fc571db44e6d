// Everything of the main window around results and jobs (issue 9, part B), kept out of
// main_window.cpp: the Results, Jobs and Log docks; Run ▸ Run Model and Stop All Jobs; File ▸ Open
// Recent, Open/Save Session, Export Results, Settings; and the wiring between them and the
// genome view — a selected row or dot navigates the view, a job's new rows refresh the tables and
// the view's tracks, a newly opened database fills the tables.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>

#include "ui/app_settings.h"
#include "ui/run_request.h"
#include "ui/session_file.h"

class QDockWidget;
class QMenu;
class QSettings;
class QTableView;

namespace ms::ui {

class JobQueue;
class JobQueuePanel;
class LogPanel;
class MainWindow;
class ResultsPanel;

class ResultsWorkbench : public QObject {
    Q_OBJECT
public:
    explicit ResultsWorkbench(MainWindow* window);

    ResultsPanel* resultsPanel() const { return panel_; }
    JobQueue* jobQueue() const { return queue_; }
    const AppSettings& settings() const { return settings_; }
    void applySettings(const AppSettings& s);   // saves them too

    // What is open now, as a session (paths absolute).
    Session currentSession() const;
    bool saveSession(const QString& path, QString* error);
    // Opens every file of the session, then goes to its locus and selects its run.
    bool openSession(const QString& path, QString* error);
    void openRecent(const QString& path);

public slots:
    void showRunDialog();
    // The dialog opens on this task with `locus` offered, or chosen as the input (the genome
    // view's context menu on a selection).
    void showRunDialogFor(ms::ui::RunTask task, const QString& locus, bool locusIsInput);
    void showExportDialog();
    void showExportDialogFor(const QString& locus);
    void showSettingsDialog();
    // Asks, then deletes run `run` of the open results database with everything it holds, as
    // `mambascope-cli delete-run` does (the runs tables' context menu, Delete Run…).
    void confirmDeleteRun(qint64 run);

public:
    // Deletes it without asking, on a worker thread (a large run takes a while); the tables and
    // the view's tracks reload, the log says what was removed, runDeleted tells when it is done.
    void deleteRun(qint64 run);

signals:
    // `error` is empty when the run is gone.
    void runDeleted(qint64 run, const QString& error);
    // A job wrote to this results database (a run began, rows were committed, a run ended).
    void resultsChanged(const QString& db);
    void sessionRestored(bool ok, const QString& message);

protected:
    // Closing the window while jobs run asks first: stopping keeps what they wrote, marked interrupted.
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void buildDocks();
    void buildMenus();
    void fillRecentMenu();
    void databaseChanged(const QString& db, bool finished);
    // Delete Run… on a runs table's context menu (the Results dock's and the left panel's).
    void addRunsContextMenu(QTableView* view);

    MainWindow* window_;
    AppSettings settings_;
    ResultsPanel* panel_ = nullptr;
    JobQueue* queue_ = nullptr;
    JobQueuePanel* jobs_ = nullptr;
    LogPanel* log_ = nullptr;
    QDockWidget* resultsDock_ = nullptr;
    QDockWidget* jobsDock_ = nullptr;
    QDockWidget* logDock_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    Session open_;        // paths of what the window has open
    QString lastModel_;   // the model of the last job run from the dialog
    QPointer<QThread> deleting_;  // a run's deletion under way (deleteRun), waited for on close
};

}  // namespace ms::ui

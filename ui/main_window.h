// The main window: menus File, View, Run, Help; on the left the sequences of the open genome and
// the runs of the open results database (runs_list.h); in
// the centre the locus bar over the genome view; a model panel. Loading happens on worker threads
// (QtConcurrent for the genome summary, the track loader for everything the view shows); results
// come back through signals, and generation counters drop results of loads that were superseded.
#pragma once

#include <QMainWindow>
#include <memory>

#include "genomics/locus.h"
#include "ui/track_loader.h"

class QAction;
class QDragEnterEvent;
class QDropEvent;
class QDockWidget;
class QLabel;
class QPlainTextEdit;
class QTableWidget;

namespace ms::ui {

class GenomeView;
class LocusBar;
class ResultsWorkbench;
class RunsList;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    // Starts loading a FASTA file in the background; the sequence list fills when it is read.
    void openFasta(const QString& path);
    void openModel(const QString& dir);
    // Opens a file into the genome view (a genome also fills the sequence list); the kind is
    // taken from the name when not given. Answered by sourceOpened.
    void openSource(ms::ui::SourceKind kind, const QString& path);
    bool openFile(const QString& path);
    // Goes to a locus, sequence or feature name as the locus box would.
    void goTo(const QString& locus);

    GenomeView* genomeView() const { return view_; }
    LocusBar* locusBar() const { return locusBar_; }
    // The left panel's runs of the open results database, under the sequences.
    RunsList* runsList() const { return runsList_; }
    // Results, jobs, log, exports, settings and sessions (results_workbench.h).
    ResultsWorkbench* workbench() const { return workbench_; }

signals:
    // Emitted once a load finished (ok or not); the tests wait on these.
    void fastaLoaded(bool ok, const QString& message);
    void modelLoaded(bool ok, const QString& message);
    void sourceOpened(ms::ui::SourceKind kind, const QString& path, bool ok, const QString& message);
    // The sequence put on the clipboard (or why not).
    void sequenceCopied(bool ok, const QString& basesOrError);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private slots:
    void chooseFasta();
    void chooseModel();
    void chooseSource(ms::ui::SourceKind kind);
    void saveSnapshot();
    void showAbout();

private:
    void buildMenus();
    void buildGenomeView();
    void sourceReady(ms::ui::SourceKind kind, const QString& path, bool ok, const QString& message,
                     const std::shared_ptr<const ms::ui::SourceState>& state);
    void copySequence(const ms::Region& region);
    TrackLoader* loader_ = nullptr;
    GenomeView* view_ = nullptr;
    LocusBar* locusBar_ = nullptr;
    ResultsWorkbench* workbench_ = nullptr;
    quint64 copyTicket_ = 0;
    QTableWidget* sequences_ = nullptr;
    RunsList* runsList_ = nullptr;
    QPlainTextEdit* modelText_ = nullptr;
    QDockWidget* modelDock_ = nullptr;
    QLabel* status_ = nullptr;
    quint64 fastaGeneration_ = 0;
    quint64 modelGeneration_ = 0;
};

}  // namespace ms::ui

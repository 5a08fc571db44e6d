// The main window: menus File, View, Run, Help; a sequence list of the open genome; a model panel.
// Loading happens on worker threads (QtConcurrent); results come back through QFutureWatcher, and
// a generation counter drops results of loads that were superseded.
#pragma once

#include <QMainWindow>

class QAction;
class QDockWidget;
class QLabel;
class QPlainTextEdit;
class QTableWidget;

namespace ms::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    // Starts loading a FASTA file in the background; the sequence list fills when it is read.
    void openFasta(const QString& path);
    void openModel(const QString& dir);

signals:
    // Emitted once a load finished (ok or not); the tests wait on these.
    void fastaLoaded(bool ok, const QString& message);
    void modelLoaded(bool ok, const QString& message);

private slots:
    void chooseFasta();
    void chooseModel();
    void showAbout();

private:
    void buildMenus();
    QTableWidget* sequences_ = nullptr;
    QPlainTextEdit* modelText_ = nullptr;
    QDockWidget* modelDock_ = nullptr;
    QLabel* status_ = nullptr;
    quint64 fastaGeneration_ = 0;
    quint64 modelGeneration_ = 0;
};

}  // namespace ms::ui

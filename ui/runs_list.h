// The left panel's list of the runs of the open results database (under the sequence list), as the
// issue's layout asks: each run's number, task and status. It shows the Results dock's runs model
// and shares its selection, so there is one selected run in the window: picking one here selects
// it in the Results tables too (their predictions and variants follow), and the other way round.
// Clicking a run here also narrows the genome view to that run's tracks ("only the selected run's
// tracks", a check box under the list); unticking it shows every run's tracks again.
#pragma once

#include <QWidget>

class QCheckBox;
class QItemSelectionModel;
class QLabel;
class QTableView;

namespace ms::ui {

class RunsModel;

class RunsList : public QWidget {
    Q_OBJECT
public:
    explicit RunsList(QWidget* parent = nullptr);

    // The runs model and selection model to show and share (the Results dock's).
    void attach(RunsModel* model, QItemSelectionModel* selection);
    QTableView* view() const { return view_; }
    QCheckBox* onlySelected() const { return only_; }
    // The run whose tracks alone the view shows; 0 while every run's are.
    qint64 runFilter() const;

signals:
    // The genome view shows only `run`'s tracks (0: every run's).
    void runFilterChanged(qint64 run);

private:
    qint64 currentRun() const;
    void updateFilter();

    RunsModel* model_ = nullptr;
    QLabel* title_ = nullptr;
    QTableView* view_ = nullptr;
    QCheckBox* only_ = nullptr;
    qint64 shown_ = 0;   // the filter last announced
};

}  // namespace ms::ui

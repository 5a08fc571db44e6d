#include "ui/runs_list.h"

#include <QCheckBox>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

#include "ui/results_models.h"

namespace ms::ui {

RunsList::RunsList(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("runsList"));
    title_ = new QLabel(tr("Runs — no results database open"), this);
    title_->setObjectName(QStringLiteral("runsListTitle"));
    view_ = new QTableView(this);
    view_->setObjectName(QStringLiteral("leftRunsTable"));
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setSelectionMode(QAbstractItemView::SingleSelection);
    view_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view_->verticalHeader()->hide();
    view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 6);
    view_->horizontalHeader()->setHighlightSections(false);
    view_->horizontalHeader()->setStretchLastSection(true);
    view_->setWordWrap(false);
    only_ = new QCheckBox(tr("Only the selected run's tracks"), this);
    only_->setObjectName(QStringLiteral("runTracksOnly"));
    only_->setToolTip(tr("Show the tracks, predictions and variant scores of the selected run alone in the genome view; "
                         "untick to compare every run's side by side."));
    only_->setEnabled(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(title_);
    layout->addWidget(view_, 1);
    layout->addWidget(only_);
    connect(only_, &QCheckBox::toggled, this, &RunsList::updateFilter);
    // A click is a person choosing a run to look at: its tracks alone. The selection changing by
    // itself (the newest run picked when a database opens) leaves the view as it is.
    connect(view_, &QTableView::clicked, this, [this] {
        if (currentRun() > 0) only_->setChecked(true);
        updateFilter();
    });
}

void RunsList::attach(RunsModel* model, QItemSelectionModel* selection) {
    model_ = model;
    view_->setModel(model);
    view_->setSelectionModel(selection);
    // Number, task and status fit the panel's width; the Results dock has the rest.
    for (int c = 0; c < RunsModel::ColumnCount; ++c)
        view_->setColumnHidden(c, c != RunsModel::Id && c != RunsModel::Task && c != RunsModel::Status);
    connect(selection, &QItemSelectionModel::currentRowChanged, this, &RunsList::updateFilter);
    auto retitle = [this] {
        const QString db = model_->database();
        const int n = model_->rowCount();
        title_->setText(db.isEmpty() ? tr("Runs — no results database open") : tr("Runs (%1)").arg(n));
        only_->setEnabled(n > 0);
        view_->resizeColumnsToContents();
        updateFilter();   // the filtered run may be gone (another database)
    };
    connect(model, &RunsModel::loaded, this, retitle);
    connect(model, &QAbstractItemModel::modelReset, this, retitle);
}

qint64 RunsList::currentRun() const {
    if (!model_ || !view_->selectionModel()) return 0;
    const RunRecord* r = model_->run(view_->selectionModel()->currentIndex().row());
    return r ? r->id : 0;
}

qint64 RunsList::runFilter() const { return shown_; }

void RunsList::updateFilter() {
    const qint64 run = only_->isChecked() ? currentRun() : 0;
    if (run == shown_) return;
    shown_ = run;
    emit runFilterChanged(run);
}

}  // namespace ms::ui

#include "ui/job_queue_panel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "ui/job_queue.h"

namespace ms::ui {

namespace {
enum Col { Title, State, Progress, Eta, Detail };

QString etaText(double s) {
    if (s < 0) return QStringLiteral("–");
    if (s < 90) return QObject::tr("%1 s").arg(qRound(s));
    if (s < 5400) return QObject::tr("%1 min").arg(qRound(s / 60));
    return QObject::tr("%1 h %2 min").arg(int(s / 3600)).arg(qRound(std::fmod(s, 3600) / 60));
}
}  // namespace

JobQueuePanel::JobQueuePanel(JobQueue* queue, QWidget* parent) : QWidget(parent), queue_(queue) {
    list_ = new QTreeWidget(this);
    list_->setObjectName(QStringLiteral("jobList"));
    list_->setRootIsDecorated(false);
    list_->setHeaderLabels({tr("Job"), tr("State"), tr("Progress"), tr("ETA"), tr("Detail")});
    list_->header()->setSectionResizeMode(Title, QHeaderView::ResizeToContents);
    list_->header()->setSectionResizeMode(State, QHeaderView::ResizeToContents);
    list_->setColumnWidth(Progress, 160);
    list_->header()->setSectionResizeMode(Eta, QHeaderView::ResizeToContents);
    stop_ = new QPushButton(tr("Stop"), this);
    stop_->setObjectName(QStringLiteral("jobStop"));
    stop_->setToolTip(tr("Stop the selected job: what it has written is kept and its run is marked interrupted."));
    stop_->setEnabled(false);
    connect(list_, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* i) {
        const QString state = i ? i->text(State) : QString();
        stop_->setEnabled(state == toText(JobState::queued) || state == toText(JobState::running));
    });
    connect(stop_, &QPushButton::clicked, this, [this] {
        if (QTreeWidgetItem* i = list_->currentItem()) queue_->cancel(i->data(Title, Qt::UserRole).toInt());
    });
    auto* row = new QHBoxLayout;
    row->addStretch(1);
    row->addWidget(stop_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(list_, 1);
    layout->addLayout(row);

    connect(queue, &JobQueue::jobQueued, this, [this](int id, const QString& title) {
        auto* i = new QTreeWidgetItem(list_);
        i->setText(Title, title);
        i->setData(Title, Qt::UserRole, id);
        i->setText(State, toText(JobState::queued));
        auto* bar = new QProgressBar(list_);
        bar->setRange(0, 1000);
        bar->setValue(0);
        bar->setTextVisible(true);
        bar->setFormat(QStringLiteral("%p%"));
        list_->setItemWidget(i, Progress, bar);
        items_.insert(id, i);
        if (!list_->currentItem()) list_->setCurrentItem(i);
    });
    connect(queue, &JobQueue::jobStarted, this, [this](int id) {
        if (QTreeWidgetItem* i = item(id)) {
            i->setText(State, toText(JobState::running));
            if (list_->currentItem() == i) stop_->setEnabled(true);
        }
    });
    connect(queue, &JobQueue::jobProgress, this, [this](int id, double fraction, const QString& text, double eta) {
        QTreeWidgetItem* i = item(id);
        if (!i) return;
        auto* bar = qobject_cast<QProgressBar*>(list_->itemWidget(i, Progress));
        if (bar) {
            // An unknown total shows a busy bar rather than a wrong percentage.
            if (fraction < 0) bar->setRange(0, 0);
            else bar->setRange(0, 1000), bar->setValue(int(fraction * 1000));
        }
        i->setText(Eta, etaText(eta));
        i->setText(Detail, text);
        i->setToolTip(Detail, text);
    });
    connect(queue, &JobQueue::jobFinished, this, [this](int id, JobState state, const QString& message, qint64, const QString&) {
        QTreeWidgetItem* i = item(id);
        if (!i) return;
        i->setText(State, toText(state));
        i->setText(Eta, QString());
        i->setText(Detail, message.section(QLatin1Char('\n'), 0, 0));
        i->setToolTip(Detail, message);
        const QColor c = state == JobState::failed ? QColor(0xb0, 0x00, 0x20)
                         : state == JobState::finished ? QColor(0x2e, 0x7d, 0x32) : QColor(0xa0, 0x5a, 0x00);
        i->setForeground(State, c);
        if (auto* bar = qobject_cast<QProgressBar*>(list_->itemWidget(i, Progress))) {
            bar->setRange(0, 1000);
            if (state == JobState::finished) bar->setValue(1000);
            // A failed or stopped job's bar says so rather than a percentage that reads like progress.
            else bar->setFormat(toText(state));
        }
        if (list_->currentItem() == i) stop_->setEnabled(false);
    });
}

}  // namespace ms::ui

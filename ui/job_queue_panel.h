// The jobs dock: every queued, running and ended job with its state, a progress bar, the ETA
// and the progress line; "Stop" stops the selected job (a queued one is dropped).
#pragma once

#include <QHash>
#include <QWidget>

class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace ms::ui {

class JobQueue;

class JobQueuePanel : public QWidget {
    Q_OBJECT
public:
    explicit JobQueuePanel(JobQueue* queue, QWidget* parent = nullptr);
    QTreeWidget* list() const { return list_; }

private:
    QTreeWidgetItem* item(int id) const { return items_.value(id); }
    JobQueue* queue_;
    QTreeWidget* list_ = nullptr;
    QPushButton* stop_ = nullptr;
    QHash<int, QTreeWidgetItem*> items_;
};

}  // namespace ms::ui

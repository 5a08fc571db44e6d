#include "ui/device_list.h"

#include <QComboBox>
#include <QStandardItemModel>

#include "engine/backend_registry.h"

namespace ms::ui {

void fillDeviceBox(QComboBox* box, const QString& current) {
    box->clear();
    box->addItem(QObject::tr("Automatic (a GPU when one is usable, else the CPU)"), QStringLiteral("auto"));
    // The registry scans GPUs once per process (cached), so this is quick after the first call.
    for (const DeviceEntry& d : list_devices()) {
        const QString id = QString::fromStdString(d.id);
        box->addItem(QStringLiteral("%1 — %2").arg(id, QString::fromStdString(d.description)), id);
        if (!d.usable) {
            auto* model = qobject_cast<QStandardItemModel*>(box->model());
            QStandardItem* item = model ? model->item(box->count() - 1) : nullptr;
            if (item) {
                item->setEnabled(false);
                item->setToolTip(QString::fromStdString(d.problem));
            }
        }
    }
    const int at = box->findData(current);
    box->setCurrentIndex(at >= 0 ? at : 0);
}

}  // namespace ms::ui

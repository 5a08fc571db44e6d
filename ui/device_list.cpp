#include "ui/device_list.h"

#include <QComboBox>
#include <QStandardItemModel>
#include <QThread>

#include "engine/backend_registry.h"

namespace ms::ui {

void fillDeviceBox(QComboBox* box, const QString& current) {
    box->clear();
    box->addItem(QObject::tr("Automatic (a GPU when one is usable, else the CPU)"), QStringLiteral("auto"));
    // The registry scans GPUs once per process (cached), so this is quick after the first call.
    for (const DeviceEntry& d : list_devices()) {
        const QString id = QString::fromStdString(d.id);
        const QString description = QString::fromStdString(d.description);
        // The CPU's BLAS build string is long and technical: it goes in the tooltip.
        if (id == QStringLiteral("cpu"))
            box->addItem(QThread::idealThreadCount() == 1 ? QObject::tr("CPU (1 core)")
                                                          : QObject::tr("CPU (%1 cores)").arg(QThread::idealThreadCount()),
                         id);
        else
            box->addItem(QStringLiteral("%1 — %2").arg(id, description), id);
        box->setItemData(box->count() - 1, description, Qt::ToolTipRole);
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

void fillPrecisionBox(QComboBox* box, const QString& current) {
    box->clear();
    box->addItem(QObject::tr("Automatic (bf16 on a GPU, fp32 on the CPU)"), QStringLiteral("auto"));
    box->addItem(QObject::tr("fp32 (exact; CPU and GPU)"), QStringLiteral("fp32"));
    box->addItem(QObject::tr("bf16 (~3× faster; GPU only)"), QStringLiteral("bf16"));
    const int at = box->findData(current);
    box->setCurrentIndex(at >= 0 ? at : 0);
}

}  // namespace ms::ui

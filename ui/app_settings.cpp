#include "ui/app_settings.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSettings>

#include "app/bundled_model.h"

namespace ms::ui {

namespace {
const QStringList kDevices{QStringLiteral("auto"), QStringLiteral("cpu")};
const QStringList kPrecisions{QStringLiteral("auto"), QStringLiteral("fp32"), QStringLiteral("bf16")};

bool validDevice(const QString& d) {
    return kDevices.contains(d) || d == QStringLiteral("cuda") || d.startsWith(QStringLiteral("cuda:"));
}
}  // namespace

AppSettings AppSettings::load(QSettings& s) {
    AppSettings a;
    a.modelDir = s.value(QStringLiteral("jobs/model"), a.modelDir).toString();
    const QString device = s.value(QStringLiteral("jobs/device"), a.device).toString();
    if (validDevice(device)) a.device = device;
    const QString precision = s.value(QStringLiteral("jobs/precision"), a.precision).toString();
    if (kPrecisions.contains(precision)) a.precision = precision;
    bool ok = false;
    const int chunk = s.value(QStringLiteral("jobs/chunk"), a.chunk).toInt(&ok);
    // The engine's --chunk range, or 0 (automatic). 65,536, the fixed default until 2026-12-02, was
    // saved with every other setting, chosen or not: it reads as automatic, which is 65,536 on a GPU
    // still and 2,016 on the CPU (a quarter less time and a tenth of the memory there, docs/performance.md).
    if (ok && chunk >= 0 && chunk <= (1 << 22)) a.chunk = chunk == 65536 ? 0 : chunk;
    const QColor plot(s.value(QStringLiteral("colors/plot"), a.plotColor.name()).toString());
    if (plot.isValid()) a.plotColor = plot;
    const QColor hi(s.value(QStringLiteral("colors/highlight"), a.highlightColor.name()).toString());
    if (hi.isValid()) a.highlightColor = hi;
    a.colorBlindBases = s.value(QStringLiteral("colors/bases")).toString() == QStringLiteral("okabe-ito");
    return a;
}

void AppSettings::save(QSettings& s) const {
    s.setValue(QStringLiteral("jobs/model"), modelDir);
    s.setValue(QStringLiteral("jobs/device"), device);
    s.setValue(QStringLiteral("jobs/precision"), precision);
    s.setValue(QStringLiteral("jobs/chunk"), chunk);
    s.setValue(QStringLiteral("colors/plot"), plotColor.name());
    s.setValue(QStringLiteral("colors/highlight"), highlightColor.name());
    s.setValue(QStringLiteral("colors/bases"), colorBlindBases ? QStringLiteral("okabe-ito") : QStringLiteral("igv"));
}

QStringList recentFiles(QSettings& s) { return s.value(QStringLiteral("recent/files")).toStringList(); }

void addRecentFile(QSettings& s, const QString& path) {
    const QString abs = QFileInfo(path).absoluteFilePath();
    QStringList list = recentFiles(s);
    list.removeAll(abs);
    list.prepend(abs);
    while (list.size() > kMaxRecent) list.removeLast();
    s.setValue(QStringLiteral("recent/files"), list);
}

QString bundledModelDir() {
    // One rule for the CLI and the GUI (app/bundled_model.h): $MAMBASCOPE_MODEL_DIR, installed, source tree.
    return QString::fromStdString(ms::bundled_model_dir());
}

}  // namespace ms::ui

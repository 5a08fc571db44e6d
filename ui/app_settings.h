// What the user chose once and the application remembers (QSettings): the default model, device,
// precision and chunk size of new jobs, the colours of the plots and bases, and the recently opened files.
// One struct so the settings dialog, the run dialog and the session code read the same keys.
#pragma once

#include <QColor>
#include <QString>
#include <QStringList>

class QSettings;

namespace ms::ui {

struct AppSettings {
    QString modelDir;                // empty: the bundled model, when the build has one
    QString device = QStringLiteral("auto");
    QString precision = QStringLiteral("auto");
    int chunk = 0;  // 0: automatic (the jobs' --chunk auto: 65,536 on a GPU, 2,016 on the CPU)
    QColor plotColor = QColor(0x1f, 0x77, 0xb4);       // histogram bars, single-series scatter
    QColor highlightColor = QColor(0xd6, 0x27, 0x28);  // the selected / hovered item
    bool colorBlindBases = false;                      // Okabe–Ito base colours instead of IGV's

    // Missing keys keep the defaults above; values out of range (a hand-edited file) too.
    static AppSettings load(QSettings& s);
    void save(QSettings& s) const;
    bool operator==(const AppSettings&) const = default;
};

// Most recent first, without duplicates, at most kMaxRecent; paths that no longer exist are kept
// (a network drive may come back) — the menu greys them out.
inline constexpr int kMaxRecent = 10;
QStringList recentFiles(QSettings& s);
void addRecentFile(QSettings& s, const QString& path);

// The model shipped with the application (resources/), or an empty string when not installed.
QString bundledModelDir();

}  // namespace ms::ui

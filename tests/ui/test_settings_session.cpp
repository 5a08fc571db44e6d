// Settings (QSettings) and sessions (JSON with relative paths) survive a round trip; values a
// person may have broken by hand fall back to the defaults; a bad session file is refused with a
// message naming it; recent files stay most-recent-first without duplicates.
#include <QComboBox>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

#include "ui/app_settings.h"
#include "ui/session_file.h"
#include "ui/settings_dialog.h"
#include "ui/track_painters.h"

using namespace ms::ui;

class TestSettingsSession : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

    QString ini() const { return dir_.filePath(QStringLiteral("settings.ini")); }

private slots:
    void settingsRoundTrip() {
        AppSettings a;
        a.modelDir = QStringLiteral("/models/caduceus");
        a.device = QStringLiteral("cuda:1");
        a.precision = QStringLiteral("bf16");
        a.chunk = 4096;
        a.plotColor = QColor(QStringLiteral("#123456"));
        a.highlightColor = QColor(QStringLiteral("#abcdef"));
        a.colorBlindBases = true;
        {
            QSettings s(ini(), QSettings::IniFormat);
            a.save(s);
        }
        QSettings s(ini(), QSettings::IniFormat);
        QCOMPARE(AppSettings::load(s), a);
    }

    void brokenValuesFallBackToDefaults() {
        QSettings s(dir_.filePath(QStringLiteral("broken.ini")), QSettings::IniFormat);
        s.setValue(QStringLiteral("jobs/device"), QStringLiteral("quantum"));
        s.setValue(QStringLiteral("jobs/precision"), QStringLiteral("fp8"));
        s.setValue(QStringLiteral("jobs/chunk"), QStringLiteral("-5"));
        s.setValue(QStringLiteral("colors/plot"), QStringLiteral("not a colour"));
        const AppSettings a = AppSettings::load(s);
        QCOMPARE(a, AppSettings{});
    }

    // 65,536, the fixed default until 2026-12-02, was saved with every other setting: it reads as
    // automatic (2,048 on the CPU, 65,536 on a GPU still); any other number is the user's.
    void theOldDefaultChunkReadsAsAutomatic() {
        QSettings s(dir_.filePath(QStringLiteral("old.ini")), QSettings::IniFormat);
        s.setValue(QStringLiteral("jobs/chunk"), 65536);
        QCOMPARE(AppSettings::load(s).chunk, 0);
        s.setValue(QStringLiteral("jobs/chunk"), 8192);
        QCOMPARE(AppSettings::load(s).chunk, 8192);
        QCOMPARE(AppSettings{}.chunk, 0);
        SettingsDialog d(AppSettings{});
        auto* chunk = d.findChild<QSpinBox*>(QStringLiteral("settingsChunk"));
        QCOMPARE(chunk->text(), QStringLiteral("Automatic"));
        QCOMPARE(d.settings().chunk, 0);
    }

    void settingsDialogShowsAndReturnsTheSettings() {
        AppSettings a;
        a.modelDir = QStringLiteral("/models/x");
        a.device = QStringLiteral("cpu");
        a.chunk = 12345;
        a.plotColor = QColor(QStringLiteral("#00ff00"));
        SettingsDialog d(a);
        QCOMPARE(d.settings(), a);
        d.findChild<QSpinBox*>(QStringLiteral("settingsChunk"))->setValue(2048);
        d.findChild<QLineEdit*>(QStringLiteral("settingsModel"))->setText(QStringLiteral("  /models/y "));
        auto* precision = d.findChild<QComboBox*>(QStringLiteral("settingsPrecision"));
        precision->setCurrentIndex(precision->findData(QStringLiteral("bf16")));
        const AppSettings b = d.settings();
        QCOMPARE(b.chunk, 2048);
        QCOMPARE(b.modelDir, QStringLiteral("/models/y"));
        QCOMPARE(b.precision, QStringLiteral("bf16"));
        QCOMPARE(b.device, QStringLiteral("cpu"));
        // Colour-blind safe base colours (IGV's green A and red T look alike to many readers).
        QVERIFY(!b.colorBlindBases);
        auto* bases = d.findChild<QComboBox*>(QStringLiteral("settingsBaseColours"));
        bases->setCurrentIndex(1);
        QVERIFY(d.settings().colorBlindBases);
        const QColor igvA = baseColor('A'), igvT = baseColor('T');
        setBasePalette(BasePalette::colorblind);
        QCOMPARE(baseColor('A'), QColor(0, 158, 115));
        QCOMPARE(baseColor('T'), QColor(204, 121, 167));
        setBasePalette(BasePalette::igv);
        QCOMPARE(baseColor('A'), igvA);
        QCOMPARE(baseColor('T'), igvT);
        if (qEnvironmentVariableIsSet("MS_GUI_SHOTS")) {
            d.show();
            d.grab().save(qEnvironmentVariable("MS_GUI_SHOTS") + QStringLiteral("/settings_dialog.png"));
        }
    }

    void recentFilesAreMostRecentFirstWithoutDuplicates() {
        QSettings s(dir_.filePath(QStringLiteral("recent.ini")), QSettings::IniFormat);
        for (int i = 0; i < kMaxRecent + 3; ++i) addRecentFile(s, dir_.filePath(QStringLiteral("f%1.fa").arg(i)));
        addRecentFile(s, dir_.filePath(QStringLiteral("f5.fa")));
        const QStringList r = recentFiles(s);
        QCOMPARE(r.size(), kMaxRecent);
        QCOMPARE(r.first(), dir_.filePath(QStringLiteral("f5.fa")));
        QCOMPARE(r.count(dir_.filePath(QStringLiteral("f5.fa"))), 1);
        QCOMPARE(r.at(1), dir_.filePath(QStringLiteral("f%1.fa").arg(kMaxRecent + 2)));
    }

    void sessionRoundTripWithRelativePaths() {
        // data/ holds the files, the session sits beside it; moving the whole folder keeps it working.
        QDir root(dir_.path());
        QVERIFY(root.mkpath(QStringLiteral("project/data")));
        Session s;
        s.genome = root.filePath(QStringLiteral("project/data/genome.fa"));
        s.results = root.filePath(QStringLiteral("project/results.db"));
        s.model = root.filePath(QStringLiteral("models/tiny"));   // outside the project: ../models/tiny
        s.locus = QStringLiteral("chr1:1,001-2,000");
        s.run = 3;
        s.reads = {root.filePath(QStringLiteral("project/data/a.bam")),
                   root.filePath(QStringLiteral("project/data/b.bam"))};
        s.annotations = {root.filePath(QStringLiteral("project/data/genes.gff3"))};
        const QString path = root.filePath(QStringLiteral("project/analysis.mambascope.json"));
        QString error;
        QVERIFY2(saveSession(s, path, &error), qPrintable(error));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        f.close();
        QCOMPARE(o.value(QStringLiteral("genome")).toString(), QStringLiteral("data/genome.fa"));
        QCOMPARE(o.value(QStringLiteral("results")).toString(), QStringLiteral("results.db"));
        QCOMPARE(o.value(QStringLiteral("model")).toString(), QStringLiteral("../models/tiny"));
        QCOMPARE(o.value(QStringLiteral("mambascope_session")).toInt(), kSessionVersion);
        // Every reads file, not the last one only (found in review).
        QCOMPARE(o.value(QStringLiteral("reads")).toArray().size(), 2);
        QCOMPARE(o.value(QStringLiteral("reads")).toArray().at(1).toString(), QStringLiteral("data/b.bam"));
        const auto back = loadSession(path, &error);
        QVERIFY2(back, qPrintable(error));
        QCOMPARE(*back, s);

        QVERIFY(root.rename(QStringLiteral("project"), QStringLiteral("moved")));
        const auto moved = loadSession(root.filePath(QStringLiteral("moved/analysis.mambascope.json")), &error);
        QVERIFY2(moved, qPrintable(error));
        QCOMPARE(moved->genome, root.filePath(QStringLiteral("moved/data/genome.fa")));
        QCOMPARE(moved->locus, s.locus);
        QCOMPARE(moved->run, s.run);

        // A version-1 session names one file of a kind; it still opens.
        const QString old = root.filePath(QStringLiteral("moved/old.mambascope.json"));
        QFile v1(old);
        QVERIFY(v1.open(QIODevice::WriteOnly));
        v1.write(R"({"mambascope_session": 1, "genome": "data/genome.fa", "reads": "data/a.bam"})");
        v1.close();
        const auto first = loadSession(old, &error);
        QVERIFY2(first, qPrintable(error));
        QCOMPARE(first->reads, QStringList{root.filePath(QStringLiteral("moved/data/a.bam"))});
    }

    void badSessionsAreRefusedInWords() {
        const struct {
            const char* text;
            const char* expected;
        } cases[] = {
            {"{\"mambascope_session\": 1, \"genome\": ", "not valid JSON at byte"},
            {"[1, 2]", "expected a JSON object"},
            {"{\"genome\": \"a.fa\"}", "not a MambaScope session"},
            {"{\"mambascope_session\": 99}", "session version 99"},
            {"{\"mambascope_session\": 1, \"genome\": 5}", "\"genome\" must be a path"},
            {"{\"mambascope_session\": 1, \"run\": \"three\"}", "\"run\" must be a run number"},
            {"{\"mambascope_session\": 2, \"reads\": [\"a.bam\", 3]}", "\"reads\" must be a path or a list of paths"},
        };
        for (const auto& c : cases) {
            const QString path = dir_.filePath(QStringLiteral("bad.json"));
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(c.text);
            f.close();
            QString error;
            QVERIFY(!loadSession(path, &error));
            QVERIFY2(error.contains(QLatin1String(c.expected)) && error.contains(path), qPrintable(error));
        }
        QString error;
        QVERIFY(!loadSession(dir_.filePath(QStringLiteral("missing.json")), &error));
        QVERIFY(error.contains(QStringLiteral("missing.json")));
    }
};

QTEST_MAIN(TestSettingsSession)
#include "test_settings_session.moc"

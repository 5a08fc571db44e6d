// The main window: its menus, loading a genome in the background, and the About box's facts.
#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTimer>
#include <QtTest>

#include "ui/app_settings.h"
#include "ui/main_window.h"

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }   // settings and recent files away from the user's own

    void hasTheFourMenus() {
        ms::ui::MainWindow w;
        w.show();
        QStringList titles;
        for (QAction* a : w.menuBar()->actions()) titles << a->text().remove('&');
        QCOMPARE(titles, (QStringList{"File", "View", "Run", "Help"}));
    }

    // The Model panel, before a model is described, says that jobs run the default model (it said
    // "No model loaded", as if nothing could run; found in review).
    void modelPanelNamesTheDefaultModel() {
        ms::ui::MainWindow w;
        auto* text = w.findChild<QPlainTextEdit*>(QStringLiteral("modelText"));
        QVERIFY(text);
        const QString bundled = QFileInfo(ms::ui::bundledModelDir()).fileName();
        if (bundled.isEmpty()) QSKIP("no bundled model in this build");
        QVERIFY2(text->placeholderText().contains(QStringLiteral("default model, ") + bundled),
                 qPrintable(text->placeholderText()));
    }

    void opensTheDemoGenomeInTheBackground() {
        ms::ui::MainWindow w;
        w.show();
        QSignalSpy spy(&w, &ms::ui::MainWindow::fastaLoaded);
        w.openFasta(QStringLiteral(MS_TEST_DATA_DIR "/../../resources/demo/lambda_virus.fa"));
        QVERIFY(spy.wait(10000));
        QCOMPARE(spy.first().at(0).toBool(), true);
        auto* table = w.findChild<QTableWidget*>(QStringLiteral("sequenceTable"));
        QVERIFY(table);
        QCOMPARE(table->rowCount(), 1);
        QCOMPARE(table->item(0, 0)->text(), QStringLiteral("NC_001416.1"));
        QCOMPARE(table->item(0, 1)->data(Qt::UserRole).toDouble(), 48502.0);
        QCOMPARE(table->item(0, 1)->text(), QLocale().toString(48502));
    }

    // Lengths sort as numbers, not as their text ("10,000" came before "9,000"), and a GC of NA last.
    void sequenceTableSortsNumbers() {
        const QString fa = QDir::temp().filePath(QStringLiteral("ms_sort_test.fa"));
        {
            QFile f(fa);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(">nine\n" + QByteArray(9000, 'A') + "\n>ten\n" + QByteArray(10000, 'C') + "\n>gap\n" +
                    QByteArray(100, 'N') + "\n");
        }
        ms::ui::MainWindow w;
        w.show();
        QSignalSpy spy(&w, &ms::ui::MainWindow::fastaLoaded);
        w.openFasta(fa);
        QVERIFY(spy.wait(10000));
        auto* table = w.findChild<QTableWidget*>(QStringLiteral("sequenceTable"));
        QVERIFY(table && table->rowCount() == 3);
        table->sortItems(1, Qt::AscendingOrder);
        QCOMPARE(table->item(0, 0)->text(), QStringLiteral("gap"));
        QCOMPARE(table->item(1, 0)->text(), QStringLiteral("nine"));
        QCOMPARE(table->item(2, 0)->text(), QStringLiteral("ten"));
        table->sortItems(2, Qt::AscendingOrder);  // GC: ten (100 %), nine (0 %), gap (NA) last
        QCOMPARE(table->item(0, 0)->text(), QStringLiteral("nine"));
        QCOMPARE(table->item(2, 0)->text(), QStringLiteral("gap"));
        QCOMPARE(table->item(2, 2)->text(), QStringLiteral("NA"));
        QFile::remove(fa);
        QFile::remove(fa + QStringLiteral(".fai"));
    }

    void reportsABadFastaWithoutCrashing() {
        ms::ui::MainWindow w;
        QSignalSpy spy(&w, &ms::ui::MainWindow::fastaLoaded);
        // The warning box is modal: close it as soon as it shows.
        QTimer closer;
        connect(&closer, &QTimer::timeout, [] {
            for (QWidget* top : QApplication::topLevelWidgets())
                if (auto* box = qobject_cast<QMessageBox*>(top)) box->accept();
        });
        closer.start(20);
        w.openFasta(QStringLiteral("/nonexistent/genome.fa"));
        QVERIFY(spy.wait(10000));
        QCOMPARE(spy.first().at(0).toBool(), false);
        QVERIFY(spy.first().at(1).toString().contains(QStringLiteral("/nonexistent/genome.fa")));
    }

    void aboutBoxShowsVersionFacts() {
        ms::ui::MainWindow w;
        w.show();
        QString seen;
        QTimer::singleShot(0, [&] {
            for (QWidget* top : QApplication::topLevelWidgets())
                if (auto* box = qobject_cast<QMessageBox*>(top)) {
                    seen = box->informativeText();
                    box->accept();
                }
        });
        QAction* about = w.findChild<QAction*>(QStringLiteral("actionAbout"));
        QVERIFY(about);
        about->trigger();
        QVERIFY(seen.contains(QStringLiteral("htslib")));
        QVERIFY(seen.contains(QStringLiteral("SQLite")));
        QVERIFY(seen.contains(QString::fromLatin1(qVersion())));
        QVERIFY(seen.contains(QStringLiteral("cpu")));
        QVERIFY(seen.contains(QStringLiteral("cuda")));
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"

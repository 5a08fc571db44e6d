// mambascope: the desktop application's entry point; everything it shows lives in ui/. With
// --snapshot it renders the genome view to a file (batch_mode.h) and, without a display, does so
// on Qt's offscreen platform, so figures can be made on a server; --snapshot-window does the same
// with the whole main window once its files are open and the view has painted the locus.
#include <QApplication>
#include <QSettings>
#include <QTimer>
#include <cstdio>

#include "genomics/alignments.h"
#include "genomics/file_kind.h"
#include "ui/app_settings.h"
#include "ui/batch_mode.h"
#include "ui/genome_view.h"
#include "ui/main_window.h"
#include "ui/track_painters.h"

int main(int argc, char** argv) {
    ms::keep_htslib_offline();  // before any thread reads the environment
    // Every reader turns an htslib failure into one message naming the file and record; htslib's
    // own lines before it named temporary files ('out.vcf.gz.partial-PID') and the paths of the
    // machine a CRAM was made on (found in review).
    ms::silence_htslib_messages();
    if (ms::ui::wantsSnapshot(argc, argv) && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") &&
        qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("MambaScope"));
    QApplication::setOrganizationName(QStringLiteral("MambaScope"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/mambascope.svg")));
    {
        // The base colours of figures too (--snapshot draws no workbench): the user's setting.
        QSettings s;
        ms::ui::setBasePalette(ms::ui::AppSettings::load(s).colorBlindBases ? ms::ui::BasePalette::colorblind
                                                                            : ms::ui::BasePalette::igv);
    }
    int code = 0;
    const auto options = ms::ui::parseLaunchOptions(QApplication::arguments(), code);
    if (!options) return code;
    if (!options->snapshot.isEmpty()) {
        code = ms::ui::runSnapshot(*options);
        if (code != 0 || options->quit || QGuiApplication::platformName() == QLatin1String("offscreen")) return code;
    }
    const bool grabWindow = !options->windowSnapshot.isEmpty();
    if (grabWindow && options->locus.isEmpty()) {
        std::fprintf(stderr, "mambascope: --snapshot-window needs --goto LOCUS (the picture is taken once the view shows it)\n");
        return 2;
    }
    ms::ui::MainWindow window;
    if (grabWindow) window.resize(options->width, options->height > 0 ? options->height : 800);
    window.show();
    // The genome first: the other files are placed on it (CRAM decodes against it).
    if (!options->genome.isEmpty()) window.openFasta(options->genome);
    int filesOpened = 0;
    for (const QString& f : options->files) filesOpened += window.openFile(f) ? 1 : 0;
    if (!options->database.isEmpty()) window.openSource(ms::ui::SourceKind::Database, options->database);
    for (const QString& f : options->annotations) window.openSource(ms::ui::SourceKind::Annotations, f);
    for (const QString& f : options->variants) window.openSource(ms::ui::SourceKind::Variants, f);
    for (const QString& f : options->reads) window.openSource(ms::ui::SourceKind::Reads, f);
    if (!options->locus.isEmpty()) {
        // Go there once the files that name it are open: after the last open is answered.
        const QString locus = options->locus;
        auto pending = std::make_shared<int>(int(!options->genome.isEmpty()) + filesOpened +
                                             int(!options->database.isEmpty()) + int(options->annotations.size()) +
                                             int(options->variants.size()) + int(options->reads.size()));
        QObject::connect(&window, &ms::ui::MainWindow::sourceOpened, &window,
                         [&window, &options, locus, pending, grabWindow](ms::ui::SourceKind, const QString& path, bool ok,
                                                                          const QString& message) {
            if (grabWindow && !ok) {
                std::fprintf(stderr, "mambascope: cannot open '%s': %s\n", path.toLocal8Bit().constData(),
                             message.toLocal8Bit().constData());
                QCoreApplication::exit(1);
                return;
            }
            if (--*pending != 0) return;
            if (grabWindow) {
                // Once the view has painted the locus, the docks get a moment for their database reads
                // (thread pool, queued back), then the window is grabbed.
                auto* view = window.findChild<ms::ui::GenomeView*>();
                QObject::connect(view, &ms::ui::GenomeView::dataShown, &window, [&window, &options] {
                    QTimer::singleShot(1500, &window, [&window, &options] {
                        QCoreApplication::exit(ms::ui::saveWindowSnapshot(window, *options));
                    });
                }, Qt::SingleShotConnection);
            }
            window.goTo(locus);
        });
    }
    if (grabWindow)
        QTimer::singleShot(120000, &window, [] {
            std::fprintf(stderr, "mambascope: --snapshot-window: the view did not show the locus within 120 s\n");
            QCoreApplication::exit(1);
        });
    return QApplication::exec();
}

// mambascope: the desktop application's entry point; everything it shows lives in ui/. With
// --snapshot it renders the genome view to a file (batch_mode.h) and, without a display, does so
// on Qt's offscreen platform, so figures can be made on a server.
#include <QApplication>

#include "ui/batch_mode.h"
#include "ui/genome_view.h"
#include "ui/main_window.h"

int main(int argc, char** argv) {
    if (ms::ui::wantsSnapshot(argc, argv) && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") &&
        qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("MambaScope"));
    QApplication::setOrganizationName(QStringLiteral("MambaScope"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/mambascope.svg")));
    int code = 0;
    const auto options = ms::ui::parseLaunchOptions(QApplication::arguments(), code);
    if (!options) return code;
    if (!options->snapshot.isEmpty()) {
        code = ms::ui::runSnapshot(*options);
        if (code != 0 || options->quit || QGuiApplication::platformName() == QLatin1String("offscreen")) return code;
    }
    ms::ui::MainWindow window;
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
        QObject::connect(&window, &ms::ui::MainWindow::sourceOpened, &window, [&window, locus, pending] {
            if (--*pending == 0) window.goTo(locus);
        });
    }
    return QApplication::exec();
}

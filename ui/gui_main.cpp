// mambascope: the desktop application's entry point; everything it shows lives in ui/.
#include <QApplication>

#include "ui/main_window.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("MambaScope"));
    QApplication::setOrganizationName(QStringLiteral("MambaScope"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/mambascope.svg")));
    ms::ui::MainWindow window;
    window.show();
    for (int i = 1; i < argc; ++i) window.openFasta(QString::fromLocal8Bit(argv[i]));
    return QApplication::exec();
}

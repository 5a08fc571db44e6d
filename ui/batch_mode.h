// The command line of the desktop application, and its headless batch mode as IGV's:
//   mambascope --genome G.fa [--db R.db] [--bam B.bam] [--vcf V.vcf] [--annotations A.gff3]
//              --goto LOCUS --snapshot OUT.png|OUT.svg [--width W] [--height H] --quit
// renders the genome view into a file without a window; without --snapshot the same options
// open the files in the window. Bad input exits non-zero with a message naming what was wrong.
// --snapshot-window OUT.png does the same with the whole main window (menus, docks, the view), for
// the user guide's pictures: the files open as in the window, then it is grabbed and the program exits.
#pragma once

#include <QSize>
#include <QString>
#include <QStringList>
#include <optional>

class QWidget;

namespace ms::ui {

struct LaunchOptions {
    QString genome, database, locus, snapshot;
    QString windowSnapshot;   // --snapshot-window: a picture of the whole main window
    QStringList reads, variants, annotations;
    QStringList files;   // positional: opened by their kind (the file manager's "Open with")
    int width = 1200;
    int height = 0;      // 0: as tall as the tracks need
    bool quit = false;
};

// True when the arguments ask for a snapshot, or only --help/--version: no window is needed, so
// main() picks the offscreen platform when no display is there, before the QApplication exists.
bool wantsSnapshot(int argc, char** argv);

// Parses the application's arguments; nullopt after printing the problem (or --help) to stderr,
// with the exit code in `exitCode`.
std::optional<LaunchOptions> parseLaunchOptions(const QStringList& arguments, int& exitCode);

// Opens the files, goes to the locus and writes the snapshot; the process's exit code (0 when
// written). Messages go to stderr.
int runSnapshot(const LaunchOptions& options);

// Writes a picture of `window` (the whole main window, docks included) to the options' windowSnapshot;
// the process's exit code. Called once the files are open and the view has shown its data.
int saveWindowSnapshot(QWidget& window, const LaunchOptions& options);

}  // namespace ms::ui

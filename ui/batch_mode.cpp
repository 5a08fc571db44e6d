#include "ui/batch_mode.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QPixmap>
#include <QWidget>
#include <cstdio>
#include <cstring>

#include "ui/genome_view.h"
#include "ui/locus_search.h"
#include "ui/track_painters.h"
#include "ui/view_source.h"

namespace ms::ui {

namespace {

void complain(const QString& message) { std::fprintf(stderr, "mambascope: %s\n", message.toLocal8Bit().constData()); }

}  // namespace

bool wantsSnapshot(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--snapshot") == 0 || std::strncmp(argv[i], "--snapshot=", 11) == 0 ||
            std::strcmp(argv[i], "--snapshot-window") == 0 || std::strncmp(argv[i], "--snapshot-window=", 18) == 0 ||
            // --help and --version only print: they must work over ssh without a display too.
            std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--version") == 0)
            return true;
    return false;
}

std::optional<LaunchOptions> parseLaunchOptions(const QStringList& arguments, int& exitCode) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("MambaScope: a genome browser for Mamba DNA language model outputs."));
    parser.addHelpOption();
    const QCommandLineOption genome(QStringLiteral("genome"), QStringLiteral("Reference FASTA (indexed or indexable)."), QStringLiteral("FASTA"));
    const QCommandLineOption db(QStringLiteral("db"), QStringLiteral("Results database of mambascope-cli."), QStringLiteral("DB"));
    const QCommandLineOption bam(QStringLiteral("bam"), QStringLiteral("Reads (BAM/CRAM, indexed); repeatable."), QStringLiteral("BAM"));
    const QCommandLineOption vcf(QStringLiteral("vcf"), QStringLiteral("Variants (VCF/BCF); repeatable."), QStringLiteral("VCF"));
    const QCommandLineOption ann(QStringLiteral("annotations"),
                                 QStringLiteral("Annotations (BED/GFF3/GTF); repeatable."), QStringLiteral("FILE"));
    const QCommandLineOption go(QStringLiteral("goto"), QStringLiteral("Locus: chr:start-end, a sequence or a feature name."), QStringLiteral("LOCUS"));
    const QCommandLineOption snap(QStringLiteral("snapshot"), QStringLiteral("Write the view to this .png or .svg file."), QStringLiteral("FILE"));
    const QCommandLineOption window(QStringLiteral("snapshot-window"),
                                    QStringLiteral("Open the files in the main window, then write a PNG of the whole window (menus, docks) and exit."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption width(QStringLiteral("width"), QStringLiteral("Snapshot width in pixels (default 1200)."), QStringLiteral("W"));
    const QCommandLineOption height(QStringLiteral("height"), QStringLiteral("Snapshot height (default: what the tracks need)."), QStringLiteral("H"));
    const QCommandLineOption quit(QStringLiteral("quit"), QStringLiteral("Exit after the snapshot."));
    parser.addOptions({genome, db, bam, vcf, ann, go, snap, window, width, height, quit});
    parser.addPositionalArgument(QStringLiteral("files"), QStringLiteral("Files to open, by their kind."), QStringLiteral("[files...]"));
    if (!parser.parse(arguments)) {
        complain(parser.errorText() + QStringLiteral(" (see --help)"));
        exitCode = 2;
        return std::nullopt;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        std::fprintf(stdout, "%s", parser.helpText().toLocal8Bit().constData());
        exitCode = 0;
        return std::nullopt;
    }
    LaunchOptions o;
    o.genome = parser.value(genome);
    o.database = parser.value(db);
    o.reads = parser.values(bam);
    o.variants = parser.values(vcf);
    o.annotations = parser.values(ann);
    o.locus = parser.value(go);
    o.snapshot = parser.value(snap);
    o.windowSnapshot = parser.value(window);
    if (!o.snapshot.isEmpty() && !o.windowSnapshot.isEmpty()) {
        complain(QStringLiteral("--snapshot and --snapshot-window: give one of them (see --help)"));
        exitCode = 2;
        return std::nullopt;
    }
    o.quit = parser.isSet(quit);
    o.files = parser.positionalArguments();
    auto size = [&](const QCommandLineOption& opt, int& out, int lo) {
        if (!parser.isSet(opt)) return true;
        bool ok = false;
        const int v = parser.value(opt).toInt(&ok);
        if (!ok || v < lo || v > 20000) {
            complain(QStringLiteral("--%1 '%2' is not a size in pixels between %3 and 20000")
                         .arg(opt.names().front(), parser.value(opt)).arg(lo));
            return false;
        }
        out = v;
        return true;
    };
    if (!size(width, o.width, kNamePanelWidth + 100) || !size(height, o.height, 60)) {
        exitCode = 2;
        return std::nullopt;
    }
    exitCode = 0;
    return o;
}

int runSnapshot(const LaunchOptions& o) {
    ViewSource source;
    auto open = [&](const QString& what, const QString& path, auto&& fn) {
        auto r = fn(path.toStdString());
        if (!r) complain(QStringLiteral("cannot open %1 '%2': %3").arg(what, path, QString::fromStdString(r.error().message)));
        return r.ok();
    };
    bool ok = true;
    if (!o.genome.isEmpty()) ok &= open(QStringLiteral("the genome"), o.genome, [&](const std::string& p) { return source.openGenome(p); });
    if (!o.database.isEmpty()) ok &= open(QStringLiteral("the results database"), o.database, [&](const std::string& p) { return source.openDatabase(p); });
    for (const QString& a : o.annotations)
        ok &= open(QStringLiteral("annotations"), a, [&](const std::string& p) -> Result<void> {
            auto r = source.openAnnotations(p);
            if (!r) return r.error();
            return {};
        });
    for (const QString& v : o.variants) ok &= open(QStringLiteral("variants"), v, [&](const std::string& p) { return source.openVariants(p); });
    for (const QString& b : o.reads) ok &= open(QStringLiteral("reads"), b, [&](const std::string& p) { return source.openReads(p); });
    if (!ok) return 1;
    const ContigList contigs = source.contigs();
    if (contigs.empty()) {
        complain(QStringLiteral("nothing to show: give --genome FASTA (or --db with scored sequences)"));
        return 2;
    }
    Region region{contigs.contigs().front().name, 0, contigs.contigs().front().length};
    if (!o.locus.isEmpty()) {
        auto r = resolveLocus(o.locus.toStdString(), contigs, source.annotations());
        if (!r) {
            complain(QStringLiteral("--goto: %1").arg(QString::fromStdString(r.error().message)));
            return 1;
        }
        region = *r;
    }
    GenomeView view;
    view.resize(o.width, std::max(o.height, 300));
    // Loads run here, synchronously: there is no window to keep responsive.
    QObject::connect(&view, &GenomeView::dataRequested, &view, [&](const ViewRequest& q) {
        view.setData(std::make_shared<ViewData>(source.load(q)));
    });
    view.setContigs(contigs);
    view.setRegion(region);
    if (view.data())
        for (const std::string& e : view.data()->errors) complain(QString::fromStdString(e));
    const QSize size(o.width, o.height > 0 ? o.height : std::max(120, view.contentHeight() + 4));
    if (o.height > 0 && o.height < view.contentHeight())  // the lanes below it were left out without a word
        complain(
            QStringLiteral("--height %1 cuts the view: its lanes need %2 px, the last ones are left out of the picture")
                .arg(o.height)
                .arg(view.contentHeight()));
    const QString error = view.saveSnapshot(o.snapshot, size);
    if (!error.isEmpty()) {
        complain(error);
        return 1;
    }
    std::fprintf(stderr, "mambascope: wrote %s (%dx%d, %s)\n", o.snapshot.toLocal8Bit().constData(), size.width(), size.height(),
                 format_locus(view.region()).c_str());
    return 0;
}

int saveWindowSnapshot(QWidget& window, const LaunchOptions& o) {
    const QPixmap picture = window.grab();
    if (picture.isNull() || !picture.save(o.windowSnapshot, "PNG")) {
        complain(QStringLiteral("cannot write the window to '%1' (a PNG file in a writable folder?)").arg(o.windowSnapshot));
        return 1;
    }
    std::fprintf(stderr, "mambascope: wrote %s (%dx%d, the main window)\n", o.windowSnapshot.toLocal8Bit().constData(),
                 picture.width(), picture.height());
    return 0;
}

}  // namespace ms::ui

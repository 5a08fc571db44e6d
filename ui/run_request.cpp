#include "ui/run_request.h"

#include <QFileInfo>
#include <QStringList>

#include "app/item_command.h"
#include "app/mutagenesis_command.h"
#include "app/score_command.h"
#include "app/variants_command.h"

namespace ms::ui {

QString toText(RunTask t) {
    switch (t) {
        case RunTask::score: return QStringLiteral("score");
        case RunTask::classify: return QStringLiteral("classify");
        case RunTask::embed: return QStringLiteral("embed");
        case RunTask::variants: return QStringLiteral("variants");
        case RunTask::mutagenesis: return QStringLiteral("mutagenesis");
    }
    return {};
}

namespace {

// A word of a shell command line, quoted when it needs to be.
QString shellWord(const QString& w) {
    static const QString safe = QStringLiteral("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,+@");
    bool plain = !w.isEmpty();
    for (QChar c : w) plain = plain && safe.contains(c);
    if (plain) return w;
    QString q = w;
    q.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + q + QLatin1Char('\'');
}

QString quotedLine(const QStringList& words) {
    QStringList quoted;
    for (const QString& w : words) quoted << shellWord(w);
    return quoted.join(QLatin1Char(' '));
}

QString needFile(const QString& what, const QString& path) {
    if (path.trimmed().isEmpty()) return QObject::tr("Choose %1.").arg(what);
    if (!QFileInfo(path).exists()) return QObject::tr("%1 '%2' does not exist.").arg(what, path);
    return {};
}

template <class Options>
void engineOptions(Options& o, const RunRequest& r, QStringList& cmd) {
    o.device = r.device.toStdString();
    o.precision = r.precision.toStdString();
    o.chunk = r.chunk;
    o.quiet = true;
    cmd << QStringLiteral("--device") << r.device << QStringLiteral("--precision") << r.precision;
    if (r.chunk > 0 && (r.task == RunTask::score || r.task == RunTask::classify || r.task == RunTask::embed))
        cmd << QStringLiteral("--chunk") << QString::number(r.chunk);
}

}  // namespace

MadeJob makeJob(const RunRequest& r) {
    MadeJob m;
    const QString task = toText(r.task);
    if (QString p = needFile(QObject::tr("a model directory"), r.model); !p.isEmpty()) return {{}, p};
    if (!QFileInfo::exists(r.model + QStringLiteral("/config.json")))
        return {{}, QObject::tr("'%1' is not a model directory: it has no config.json.").arg(r.model)};
    const bool readsInput = (r.task == RunTask::classify || r.task == RunTask::embed) && r.input == RunInput::reads;
    if (!readsInput)
        if (QString p = needFile(QObject::tr("a genome (FASTA)"), r.fasta); !p.isEmpty()) return {{}, p};
    if (r.db.trimmed().isEmpty() && r.task != RunTask::variants)
        return {{}, QObject::tr("Choose a results database to write the run into.")};

    QStringList cmd{QStringLiteral("mambascope-cli"), task, QStringLiteral("--model"), r.model};
    JobSpec spec;
    spec.db = r.db;
    const QString inputName = QFileInfo(readsInput ? r.reads : r.fasta).fileName();
    spec.title = QStringLiteral("%1 %2").arg(task, inputName);

    switch (r.task) {
        case RunTask::score: {
            ScoreOptions o;
            o.model = r.model.toStdString();
            o.fasta = r.fasta.toStdString();
            o.db = r.db.toStdString();
            o.strand = r.strand.toStdString();
            cmd << QStringLiteral("--fasta") << r.fasta << QStringLiteral("--db") << r.db;
            if (r.input == RunInput::locus) {
                if (r.locus.trimmed().isEmpty()) return {{}, QObject::tr("Type the locus to score, e.g. chr1:1,000-2,000.")};
                o.regions = {r.locus.trimmed().toStdString()};
                cmd << QStringLiteral("--region") << r.locus.trimmed();
                spec.title += QStringLiteral(" (%1)").arg(r.locus.trimmed());
            } else if (r.input == RunInput::bed) {
                if (QString p = needFile(QObject::tr("a BED file"), r.bed); !p.isEmpty()) return {{}, p};
                o.bed = r.bed.toStdString();
                cmd << QStringLiteral("--bed") << r.bed;
            } else if (r.input != RunInput::wholeGenome) {
                return {{}, QObject::tr("score reads a genome: the whole genome, a locus or the regions of a BED file.")};
            }
            if (r.strand != QStringLiteral("fwd")) cmd << QStringLiteral("--strand") << r.strand;
            engineOptions(o, r, cmd);
            const std::string line = quotedLine(cmd).toStdString();
            spec.run = [o, line](const JobControl& c) { return run_score(o, line, c); };
            break;
        }
        case RunTask::classify:
        case RunTask::embed: {
            ItemJobOptions o;
            o.model = r.model.toStdString();
            o.db = r.db.toStdString();
            if (r.input == RunInput::reads) {
                if (QString p = needFile(QObject::tr("a reads file (BAM, CRAM or FASTQ)"), r.reads); !p.isEmpty())
                    return {{}, p};
                o.reads = r.reads.toStdString();
                cmd << QStringLiteral("--reads") << r.reads;
                if (r.reads.endsWith(QStringLiteral(".cram"), Qt::CaseInsensitive) && !r.fasta.isEmpty()) {
                    o.reference = r.fasta.toStdString();
                    cmd << QStringLiteral("--reference") << r.fasta;
                }
            } else if (r.input == RunInput::wholeGenome || r.input == RunInput::locus) {
                o.fasta = r.fasta.toStdString();
                cmd << QStringLiteral("--fasta") << r.fasta;
                if (r.input == RunInput::locus) {
                    if (r.locus.trimmed().isEmpty())
                        return {{}, QObject::tr("Type the locus to %1, e.g. chr1:1,000-2,000.").arg(task)};
                    o.region = r.locus.trimmed().toStdString();
                    cmd << QStringLiteral("--region") << r.locus.trimmed();
                    spec.title += QStringLiteral(" (%1)").arg(r.locus.trimmed());
                }
            } else {
                return {{}, QObject::tr("%1 reads the genome (or a locus of it), or the reads of a BAM, CRAM or FASTQ file.").arg(task)};
            }
            // Windows of records or of reads (long reads cut as the CLI's --reads --window cuts them).
            if (r.window > 0) {
                o.window = r.window;
                o.stride = r.stride;
                cmd << QStringLiteral("--window") << QString::number(r.window);
                if (r.stride > 0) cmd << QStringLiteral("--stride") << QString::number(r.stride);
            }
            if (r.task == RunTask::classify && r.withEmbeddings) {
                o.with_embeddings = true;  // one pass for both (docs/performance.md)
                cmd << QStringLiteral("--embeddings");
            }
            cmd << QStringLiteral("--db") << r.db;
            engineOptions(o, r, cmd);
            const std::string line = quotedLine(cmd).toStdString();
            const ItemJob which = r.task == RunTask::classify ? ItemJob::classify : ItemJob::embed;
            spec.run = [o, line, which](const JobControl& c) { return run_items(o, which, line, c); };
            break;
        }
        case RunTask::variants: {
            if (QString p = needFile(QObject::tr("a VCF file"), r.vcf); !p.isEmpty()) return {{}, p};
            if (r.vcfOut.trimmed().isEmpty()) return {{}, QObject::tr("Choose where to write the annotated VCF.")};
            if (QFileInfo(r.vcfOut).absoluteFilePath() == QFileInfo(r.vcf).absoluteFilePath())
                return {{}, QObject::tr("The annotated VCF must be a new file, not the input '%1'.").arg(r.vcf)};
            VariantsOptions o;
            o.model = r.model.toStdString();
            o.fasta = r.fasta.toStdString();
            o.vcf = r.vcf.toStdString();
            o.out = r.vcfOut.toStdString();
            o.db = r.db.toStdString();
            o.strand = r.strand.toStdString();
            cmd << QStringLiteral("--fasta") << r.fasta << QStringLiteral("--vcf") << r.vcf << QStringLiteral("--out") << r.vcfOut;
            if (!r.db.isEmpty()) cmd << QStringLiteral("--db") << r.db;
            if (r.strand != QStringLiteral("fwd")) cmd << QStringLiteral("--strand") << r.strand;
            engineOptions(o, r, cmd);
            spec.title = QStringLiteral("variants %1").arg(QFileInfo(r.vcf).fileName());
            const std::string line = quotedLine(cmd).toStdString();
            spec.run = [o, line](const JobControl& c) { return run_variants(o, line, c); };
            break;
        }
        case RunTask::mutagenesis: {
            if (r.input != RunInput::locus || r.locus.trimmed().isEmpty())
                return {{}, QObject::tr("Mutagenesis needs a locus of at most %1 bases, e.g. chr1:1,000-1,200.")
                                .arg(QLocale().toString(qlonglong(kMaxMutagenesisRegion)))};
            MutagenesisOptions o;
            o.model = r.model.toStdString();
            o.fasta = r.fasta.toStdString();
            o.region = r.locus.trimmed().toStdString();
            o.db = r.db.toStdString();
            cmd << QStringLiteral("--fasta") << r.fasta << QStringLiteral("--region") << r.locus.trimmed()
                << QStringLiteral("--db") << r.db;
            engineOptions(o, r, cmd);
            spec.title += QStringLiteral(" (%1)").arg(r.locus.trimmed());
            const std::string line = quotedLine(cmd).toStdString();
            spec.run = [o, line](const JobControl& c) { return run_mutagenesis(o, line, c); };
            break;
        }
    }
    spec.command = quotedLine(cmd);
    m.job = std::move(spec);
    return m;
}

}  // namespace ms::ui

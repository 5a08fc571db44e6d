// Results databases the GUI tests browse, made through the app layer's own jobs with the tiny
// test models: classify and embed (windows of the fixture FASTA), score, and variants (a VCF of
// SNVs written from the FASTA's own bases, so every REF matches).
#pragma once

#include <QDir>
#include <QFile>
#include <QString>
#include <QTemporaryDir>
#include <QTest>

#include "app/item_command.h"
#include "app/score_command.h"
#include "app/variants_command.h"
#include "genomics/fasta.h"

namespace ms::ui::test {

// A copy of the fixture FASTA in a temporary folder: opening it writes its .fai beside it, and the
// source tree stays as checked out.
inline const QString kFasta = [] {
    static QTemporaryDir dir;
    const QString copy = dir.filePath(QStringLiteral("input.fa"));
    QFile::copy(QStringLiteral(MS_TEST_DATA_DIR "/fixtures/input.fa"), copy);
    return copy;
}();
inline const QString kModel = QStringLiteral(MS_TEST_DATA_DIR "/fixtures/tied_k4_s16/hf");
inline const QString kHeadModel = QStringLiteral(MS_TEST_DATA_DIR "/fixtures/tied_k4_s16_head");

inline JobControl quiet() { return {}; }

// classify over windows of `window` every `stride` bases; returns the run id (0 on failure, with a QTest failure).
inline qint64 classify(const QString& db, int64_t window, int64_t stride) {
    ItemJobOptions o;
    o.model = kHeadModel.toStdString();
    o.fasta = kFasta.toStdString();
    o.db = db.toStdString();
    o.window = window;
    o.stride = stride;
    o.device = "cpu";
    o.quiet = true;
    auto r = run_items(o, ItemJob::classify, "test classify", quiet());
    if (!r) qWarning("classify: %s", r.error().message.c_str());
    return r ? r->run_id : 0;
}

inline qint64 embed(const QString& db, int64_t window) {
    ItemJobOptions o;
    o.model = kModel.toStdString();
    o.fasta = kFasta.toStdString();
    o.db = db.toStdString();
    o.window = window;
    o.device = "cpu";
    o.quiet = true;
    auto r = run_items(o, ItemJob::embed, "test embed", quiet());
    if (!r) qWarning("embed: %s", r.error().message.c_str());
    return r ? r->run_id : 0;
}

inline qint64 score(const QString& db) {
    ScoreOptions o;
    o.model = kModel.toStdString();
    o.fasta = kFasta.toStdString();
    o.db = db.toStdString();
    o.device = "cpu";
    o.chunk = 128;
    o.quiet = true;
    auto r = run_score(o, "test score", quiet());
    if (!r) qWarning("score: %s", r.error().message.c_str());
    return r ? r->run_id : 0;
}

// Three SNVs on rec1 at 1-based positions 11, 21, 31, each to the next base of ACGT.
inline qint64 variants(const QString& db, const QString& dir) {
    auto fa = FastaFile::open(kFasta.toStdString());
    if (!fa) return 0;
    auto bases = fa->fetch("rec1", 0, 40);
    if (!bases) return 0;
    QString vcf = QStringLiteral("##fileformat=VCFv4.2\n##contig=<ID=rec1,length=%1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
                      .arg(fa->find("rec1")->length);
    for (int pos : {11, 21, 31}) {
        const char ref = char(std::toupper((*bases)[size_t(pos - 1)]));
        const char alt = ref == 'A' ? 'C' : ref == 'C' ? 'G' : ref == 'G' ? 'T' : 'A';
        vcf += QStringLiteral("rec1\t%1\tsnv%1\t%2\t%3\t.\tPASS\t.\n").arg(pos).arg(QChar(ref)).arg(QChar(alt));
    }
    QFile f(dir + QStringLiteral("/in.vcf"));
    if (!f.open(QIODevice::WriteOnly)) return 0;
    f.write(vcf.toUtf8());
    f.close();
    VariantsOptions o;
    o.model = kModel.toStdString();
    o.fasta = kFasta.toStdString();
    o.vcf = f.fileName().toStdString();
    o.out = (dir + QStringLiteral("/out.vcf")).toStdString();
    o.db = db.toStdString();
    o.context = 16;
    o.downstream = 4;
    o.device = "cpu";
    o.quiet = true;
    auto r = run_variants(o, "test variants", quiet());
    if (!r) qWarning("variants: %s", r.error().message.c_str());
    return r ? r->run_id : 0;
}

}  // namespace ms::ui::test

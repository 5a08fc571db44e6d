#include "ui/lane_tooltips.h"

#include <QLocale>
#include <QStringList>
#include <algorithm>
#include <cmath>

namespace ms::ui {

namespace {

QString locus(const std::string& contig, int64_t begin, int64_t end) {
    const QLocale loc(QLocale::English);
    return QStringLiteral("%1:%2-%3").arg(QString::fromStdString(contig), loc.toString(qlonglong(begin + 1)), loc.toString(qlonglong(end)));
}

QString esc(const std::string& s) { return QString::fromStdString(s).toHtmlEscaped(); }

// The position under x, and the positions one pixel either side cover (a 1 bp mark is hard to hit).
int64_t positionAt(const ViewMapping& m, double x) { return int64_t(std::floor(m.pos(x))); }

}  // namespace

QString predictionTip(const PredictionSet& set, const ViewMapping& m, double x) {
    const int64_t pos = positionAt(m, x);
    const int64_t slack = int64_t(std::ceil(m.bpPerPx()));
    // Overlapping windows: all of them, the latest drawn (top-most) first.
    std::vector<const PredictionSpan*> hits;
    for (const PredictionSpan& s : set.spans)
        if (s.begin <= pos + slack && s.end > pos - slack + 1) hits.push_back(&s);
    if (hits.empty()) return {};
    std::stable_sort(hits.begin(), hits.end(), [](const PredictionSpan* a, const PredictionSpan* b) { return a->begin > b->begin; });
    QStringList lines;
    constexpr size_t kMax = 6;
    for (size_t i = 0; i < std::min(hits.size(), kMax); ++i) {
        const PredictionSpan& s = *hits[i];
        QString line = QStringLiteral("<b>%1</b>").arg(esc(s.label));
        if (s.score) line += QStringLiteral(" %1").arg(*s.score, 0, 'f', 3);
        line += QStringLiteral(" · %1").arg(locus(m.visible.contig, s.begin, s.end));
        if (!s.item.empty()) line += QStringLiteral(" · %1").arg(esc(s.item));
        lines << line;
    }
    if (hits.size() > kMax) lines << QObject::tr("and %n more here", nullptr, int(hits.size() - kMax));
    return QStringLiteral("%1<br>%2").arg(esc(set.label), lines.join(QStringLiteral("<br>")));
}

QString variantTip(const VariantSet& set, const ViewMapping& m, double x) {
    for (const VariantColumn& c : variantColumns(set, m)) {
        if (x < c.x0 - 1 || x > c.x0 + c.width + 1) continue;
        const VariantMark& v = set.marks[c.mark];
        QString text = QStringLiteral("<b>%1 %2&gt;%3</b>")
                           .arg(locus(m.visible.contig, v.begin, v.end), esc(v.ref), esc(v.alt));
        if (!v.name.empty()) text += QStringLiteral(" %1").arg(esc(v.name));
        if (v.score) text += QStringLiteral("<br>%1 = %2").arg(esc(v.score_name)).arg(*v.score, 0, 'g', 4);
        if (c.count > 1)
            text += QStringLiteral("<br>") +
                    (set.from_store ? QObject::tr("the largest |%1| of %2 variants in this pixel column; zoom in to see each")
                                          .arg(esc(v.score_name))
                                          .arg(c.count)
                                    : QObject::tr("the first of %1 variants in this pixel column; zoom in to see each").arg(c.count));
        return QStringLiteral("%1<br>%2").arg(esc(set.label), text);
    }
    return {};
}

QString coverageTip(const ViewData& d, const ReadSet& set, const ViewMapping& m, double x) {
    if (!set.coverage_shown || set.coverage.empty() || d.span.length() <= 0) return {};
    const int64_t pos = positionAt(m, x);
    if (pos < d.span.begin || pos >= d.span.end) return {};
    const int64_t n = int64_t(set.coverage.size());
    const int64_t bin = std::min(n - 1, (pos - d.span.begin) * n / d.span.length());
    const int64_t b0 = d.span.begin + bin * d.span.length() / n, b1 = d.span.begin + (bin + 1) * d.span.length() / n;
    QString text = QStringLiteral("%1<br>").arg(esc(set.label));
    if (b1 - b0 <= 1)
        text += QObject::tr("%1 depth %2").arg(locus(m.visible.contig, b0, b1)).arg(set.coverage[size_t(bin)], 0, 'f', 0);
    else
        text += QObject::tr("%1 mean depth %2").arg(locus(m.visible.contig, b0, b1)).arg(set.coverage[size_t(bin)], 0, 'f', 1);
    auto it = std::lower_bound(set.alleles.begin(), set.alleles.end(), pos, [](const AlleleColumn& a, int64_t p) { return a.pos < p; });
    if (it != set.alleles.end() && it->pos == pos) {
        static const char kBases[4] = {'A', 'C', 'G', 'T'};
        text += QObject::tr("<br>reference %1; reads:").arg(QChar::fromLatin1(it->ref));
        for (int b = 0; b < 4; ++b)
            if (it->count[b] > 0)
                text += QStringLiteral(" %1 %2 (%3%)").arg(QChar::fromLatin1(kBases[b])).arg(it->count[b])
                            .arg(100.0 * it->count[b] / it->depth, 0, 'f', 0);
    }
    return text;
}

QString readTip(const ReadSet& set, const ViewMapping& m, double x, double y, int pitch) {
    if (!set.reads_shown || pitch <= 0 || y < 0) return {};
    const int row = int(y / pitch);
    const int64_t pos = positionAt(m, x);
    for (const ReadPlacement& r : set.reads) {
        if (r.row != row || pos < r.begin || pos >= r.end) continue;
        QString text = QStringLiteral("<b>%1</b><br>%2 · %3 strand")
                           .arg(esc(r.name), locus(m.visible.contig, r.begin, r.end),
                                r.reverse ? QObject::tr("reverse") : QObject::tr("forward"));
        for (const ReadDifference& d : r.differences) {
            const bool here = d.kind == ReadDifference::Kind::insertion ? std::abs(m.x(double(d.pos)) - x) <= 2
                                                                         : pos >= d.pos && pos < d.pos + d.length;
            if (!here) continue;
            const QLocale loc(QLocale::English);
            switch (d.kind) {
            case ReadDifference::Kind::mismatch:
                text += QObject::tr("<br>%1: read %2 (quality %3)")
                            .arg(loc.toString(qlonglong(d.pos + 1)), QString(QChar::fromLatin1(d.base)),
                                 d.quality == 255 ? QObject::tr("not stored") : QString::number(d.quality));
                break;
            case ReadDifference::Kind::insertion:
                text += QObject::tr("<br>%n base(s) inserted before %1", nullptr, int(d.length)).arg(loc.toString(qlonglong(d.pos + 1)));
                break;
            case ReadDifference::Kind::deletion:
                text += QObject::tr("<br>%n base(s) deleted from %1", nullptr, int(d.length)).arg(loc.toString(qlonglong(d.pos + 1)));
                break;
            }
        }
        return text;
    }
    return {};
}

}  // namespace ms::ui

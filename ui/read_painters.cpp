// The reads lanes of the genome view: coverage with its allele bars, and the reads with their
// differences from the reference, as IGV draws them.
#include <QLineF>
#include <QObject>
#include <algorithm>
#include <cmath>
#include <limits>

#include "ui/paint_helpers.h"
#include "ui/track_painters.h"

namespace ms::ui {

namespace {
const QColor kCoverage(175, 175, 175);
}  // namespace

void paintCoverage(QPainter& p, const QRect& lane, const ViewMapping& m, const ViewData& d, const ReadSet& set) {
    if (!set.coverage_shown || set.coverage.empty()) {
        paintLaneName(p, lane, kNamePanelWidth, QString::fromStdString(set.label), QObject::tr("coverage"));
        paintNote(p, lane, m, QString::fromStdString(set.note));
        return;
    }
    // Coverage bins are the request's equal bins over the loaded span.
    std::vector<TrackBin> bins(set.coverage.size());
    const int64_t len = d.span.length();
    const int64_t n = int64_t(set.coverage.size());
    for (int64_t i = 0; i < n; ++i) {
        const float v = float(set.coverage[size_t(i)]);
        bins[size_t(i)] = {d.span.begin + i * len / n, d.span.begin + (i + 1) * len / n, v, v, v};
    }
    const Columns c = columnize(bins, m);
    double hi = 0;
    for (float v : c.hi)
        if (!std::isnan(v)) hi = std::max(hi, double(v));
    hi = std::max(1.0, std::ceil(hi));
    paintLaneName(p, lane, kNamePanelWidth, QString::fromStdString(set.label), QObject::tr("coverage"));
    const QRect area = dataArea(lane, m).adjusted(0, 14, 0, -1);
    std::vector<QLineF> bars;
    bars.reserve(c.size());
    for (size_t col = 0; col < c.size(); ++col) {
        if (std::isnan(c.mean[col]) || c.mean[col] <= 0) continue;
        const double x = c.first + double(col) + 0.5;
        bars.emplace_back(x, area.bottom() + 1, x, area.bottom() + 1 - c.mean[col] / hi * area.height());
    }
    p.save();
    p.setClipRect(area);
    p.setPen(QPen(kCoverage, 1));
    p.drawLines(bars.data(), int(bars.size()));
    // Positions where over a fifth of the reads disagree with the reference: the bar in the colours
    // of the bases read there (A, C, G, T from the bottom), as IGV marks a likely variant.
    static const char kBases[4] = {'A', 'C', 'G', 'T'};
    for (const AlleleColumn& a : set.alleles) {
        if (a.pos < m.visible.begin || a.pos >= m.visible.end || a.depth <= 0) continue;
        const double x0 = m.x(double(a.pos)), w = std::max(1.0, m.x(double(a.pos + 1)) - x0);
        const double height = double(a.depth) / hi * area.height();
        double y = area.bottom() + 1;
        for (int b = 0; b < 4; ++b) {
            if (a.count[b] <= 0) continue;
            const double h = height * a.count[b] / a.depth;
            p.fillRect(QRectF(x0, y - h, w, h), baseColor(kBases[b]));
            y -= h;
        }
    }
    p.restore();
    paintScale(p, dataArea(lane, m), scaleText(0, hi) + QObject::tr(" reads"));  // depth: reads over a base
}

namespace {

// Where a read differs from the reference, in IGV's marks: a mismatch as a box in the colour of the
// read's base (faded when the base's quality is under 20, so sequencing noise reads as noise), a
// deletion as a black line across the deleted bases, an insertion as a purple I between bases.
// At most one mark per pixel column and kind on a read, so a long noisy read costs its width.
void paintDifferences(QPainter& p, const ViewMapping& m, const ReadPlacement& r, double top, int readHeight,
                      const QFont* letters) {
    const QColor insertion(138, 94, 161), deletion(30, 30, 30);
    int lastMismatch = std::numeric_limits<int>::min(), lastInsertion = lastMismatch;
    const double pxPerBase = 1.0 / m.bpPerPx();
    for (const ReadDifference& d : r.differences) {
        if (d.pos + std::max<int64_t>(1, d.length) <= m.visible.begin || d.pos > m.visible.end) continue;
        const double x0 = m.x(double(d.pos));
        switch (d.kind) {
            case ReadDifference::Kind::mismatch: {
                const double w = std::max(1.0, pxPerBase);
                if (w < 2 && int(x0) == lastMismatch) continue;
                lastMismatch = int(x0);
                QColor c = baseColor(d.base);
                if (d.quality < 20) c.setAlpha(70 + int(d.quality) * 9);  // 70 at quality 0, near opaque at 20
                const QRectF box(x0, top, w, readHeight);
                p.fillRect(box, c);
                if (letters) {
                    p.save();
                    p.setFont(*letters);
                    p.setPen(Qt::white);
                    p.drawText(box, Qt::AlignCenter, QString(QChar::fromLatin1(d.base)));
                    p.restore();
                }
                break;
            }
            case ReadDifference::Kind::deletion: {
                const double x1 = m.x(double(d.pos + d.length));
                p.fillRect(QRectF(x0, top + readHeight / 2.0 - 1, std::max(1.0, x1 - x0), readHeight >= 6 ? 2 : 1),
                           deletion);
                break;
            }
            case ReadDifference::Kind::insertion: {
                if (int(x0) == lastInsertion) continue;
                lastInsertion = int(x0);
                const double w = pxPerBase >= 6 ? 2 : 1;
                p.fillRect(QRectF(x0 - w / 2, top, w, readHeight), insertion);
                if (readHeight >= 6 && pxPerBase >= 6) {  // serifs, as IGV's I
                    p.fillRect(QRectF(x0 - 2, top, 4, 1), insertion);
                    p.fillRect(QRectF(x0 - 2, top + readHeight - 1, 4, 1), insertion);
                }
                break;
            }
        }
    }
}

}  // namespace

void paintReads(QPainter& p, const QRect& lane, const ViewMapping& m, const ReadSet& set, int readHeight) {
    paintLaneName(p, lane, kNamePanelWidth, QString::fromStdString(set.label),
                  set.reads_shown ? QObject::tr("%n read(s)", nullptr, int(set.reads.size())) : QString());
    if (!set.reads_shown) {
        paintNote(p, lane, m, QString::fromStdString(set.note));
        return;
    }
    const QRect area = dataArea(lane, m).adjusted(0, 2, 0, -2);
    p.save();
    p.setClipRect(area);
    // Strand colours as IGV's "colour by read strand": forward reddish, reverse bluish.
    const QColor fwd(215, 155, 155), rev(150, 165, 215), gap(120, 120, 120);
    const int pitch = readHeight + (readHeight >= 6 ? 2 : 1);
    const double pxPerBase = 1.0 / m.bpPerPx();
    const bool letters = pxPerBase >= 10 && readHeight >= 8;
    QFont bold = p.font();
    bold.setBold(true);
    bold.setPixelSize(std::max(6, readHeight));
    for (const ReadPlacement& r : set.reads) {
        if (r.end <= m.visible.begin || r.begin >= m.visible.end) continue;
        const double top = area.top() + r.row * pitch;
        if (top > area.bottom()) continue;
        const QColor col = r.reverse ? rev : fwd;
        // Gaps (deletions, spliced introns) as a thin line under the aligned blocks.
        p.setPen(gap);
        p.drawLine(QLineF(m.x(double(r.begin)), top + readHeight / 2.0, m.x(double(r.end)), top + readHeight / 2.0));
        for (const Interval& b : r.blocks) {
            const double x0 = m.x(double(b.begin));
            p.fillRect(QRectF(x0, top, std::max(1.0, m.x(double(b.end)) - x0), readHeight), col);
        }
        paintDifferences(p, m, r, top, readHeight, letters ? &bold : nullptr);
    }
    p.restore();
    if (!set.note.empty()) paintScale(p, dataArea(lane, m), QString::fromStdString(set.note));
}

}  // namespace ms::ui

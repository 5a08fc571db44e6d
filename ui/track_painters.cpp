#include "ui/track_painters.h"

#include "ui/paint_helpers.h"

#include <QFontMetrics>
#include <QLineF>
#include <QLocale>
#include <QPainterPath>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ms::ui {

namespace {

const QColor kPanel(247, 247, 247);
const QColor kRule(224, 224, 224);
const QColor kText(40, 40, 40);
const QColor kFeature(0, 0, 178);
const QColor kVariant(31, 78, 153);

// A "nice" ruler step (1, 2 or 5 times a power of ten) giving ticks at least minPx apart.
double niceStep(double bpPerPx, double minPx) {
    const double raw = bpPerPx * minPx;
    const double p10 = std::pow(10.0, std::floor(std::log10(std::max(raw, 1.0))));
    for (double k : {1.0, 2.0, 5.0, 10.0})
        if (k * p10 >= raw) return std::max(1.0, k * p10);
    return 10 * p10;
}

QString formatPosition(double pos, double step) {
    QLocale loc(QLocale::English);
    if (step >= 1e6) return loc.toString(pos / 1e6, 'f', step >= 1e7 ? 0 : 1) + QStringLiteral(" Mb");
    if (step >= 1e3) return loc.toString(pos / 1e3, 'f', step >= 1e4 ? 0 : 1) + QStringLiteral(" kb");
    return loc.toString(qlonglong(pos));
}

QString formatLength(int64_t bp) {
    QLocale loc(QLocale::English);
    if (bp >= 10'000'000) return loc.toString(double(bp) / 1e6, 'f', 1) + QStringLiteral(" Mb");
    if (bp >= 10'000) return loc.toString(double(bp) / 1e3, 'f', 1) + QStringLiteral(" kb");
    return loc.toString(qlonglong(bp)) + QStringLiteral(" bp");
}

}  // namespace

namespace {
BasePalette g_palette = BasePalette::igv;
}  // namespace

void setBasePalette(BasePalette palette) { g_palette = palette; }

QColor baseColor(char base) {
    const bool cb = g_palette == BasePalette::colorblind;
    switch (base) {
        case 'A':
        case 'a':
            return cb ? QColor(0, 158, 115) : QColor(0, 150, 0);
        case 'C':
        case 'c':
            return cb ? QColor(0, 114, 178) : QColor(0, 0, 255);
        case 'G':
        case 'g':
            return cb ? QColor(230, 159, 0) : QColor(209, 113, 5);
        case 'T':
        case 't':
            return cb ? QColor(204, 121, 167) : QColor(255, 0, 0);
        default:
            return QColor(150, 150, 150);
    }
}

QColor labelColor(const std::vector<std::string>& classes, const std::string& label) {
    // Tableau 10: distinct, readable on white, colour-blind-aware ordering.
    static const QColor kPalette[] = {QColor(78, 121, 167), QColor(242, 142, 43), QColor(225, 87, 89), QColor(118, 183, 178),
                                      QColor(89, 161, 79),  QColor(237, 201, 72), QColor(176, 122, 161), QColor(255, 157, 167),
                                      QColor(156, 117, 95), QColor(186, 176, 172)};
    constexpr size_t n = sizeof(kPalette) / sizeof(kPalette[0]);
    auto it = std::find(classes.begin(), classes.end(), label);
    if (it != classes.end()) return kPalette[size_t(it - classes.begin()) % n];
    return kPalette[std::hash<std::string>{}(label) % n];
}

namespace {
thread_local std::vector<LaneName>* g_laneNames = nullptr;
}  // namespace

void recordLaneNames(std::vector<LaneName>* into) { g_laneNames = into; }

void paintLaneName(QPainter& p, const QRect& lane, int panelWidth, const QString& title, const QString& detail) {
    if (g_laneNames) g_laneNames->push_back({lane, panelWidth, title, detail});
    const QRect panel(lane.left(), lane.top(), panelWidth, lane.height());
    p.fillRect(panel, kPanel);
    p.setPen(kRule);
    p.drawLine(panel.topRight(), panel.bottomRight());
    p.drawLine(lane.bottomLeft(), lane.bottomRight());
    const QFontMetrics fm(p.font());
    p.setPen(kText);
    const QRect text = panel.adjusted(6, 2, -6, -2);
    const int lines = detail.isEmpty() ? 1 : 2;
    const int top = lane.height() < fm.height() * lines + 4 ? text.top() : text.top() + 2;
    p.drawText(QRect(text.left(), top, text.width(), fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
               fm.elidedText(title, Qt::ElideMiddle, text.width()));
    if (!detail.isEmpty() && lane.height() >= fm.height() * 2 + 4) {
        p.setPen(kMuted);
        p.drawText(QRect(text.left(), top + fm.height(), text.width(), fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                   fm.elidedText(detail, Qt::ElideRight, text.width()));
    }
}

void paintNote(QPainter& p, const QRect& lane, const ViewMapping& m, const QString& note) {
    p.save();
    QFont f = p.font();
    f.setItalic(true);
    p.setFont(f);
    p.setPen(kMuted);
    p.drawText(dataArea(lane, m), Qt::AlignCenter, note);
    p.restore();
}

void paintRuler(QPainter& p, const QRect& lane, const ViewMapping& m, int64_t contigLength) {
    const QRect area = dataArea(lane, m);
    p.save();
    p.setClipRect(lane);
    const QFontMetrics fm(p.font());
    // The contig as a thin bar with the visible part boxed in red, as IGV's ideogram shows it.
    const int barTop = lane.top() + 4, barH = 8;
    const QRectF bar(area.left(), barTop, area.width() - 1, barH);
    p.setPen(QColor(160, 160, 160));
    p.setBrush(QColor(235, 235, 235));
    p.drawRoundedRect(bar, 3, 3);
    if (contigLength > 0) {
        const double s = bar.width() / double(contigLength);
        QRectF box(bar.left() + double(m.visible.begin) * s, barTop - 2, std::max(2.0, double(m.visible.length()) * s), barH + 4);
        p.setPen(QPen(QColor(220, 0, 0), 1.5));
        p.setBrush(Qt::NoBrush);
        p.drawRect(box);
    }
    // The locus in words, centred.
    QLocale loc(QLocale::English);
    const QString where = QStringLiteral("%1:%2-%3  (%4)")
                              .arg(QString::fromStdString(m.visible.contig), loc.toString(qlonglong(m.visible.begin + 1)),
                                   loc.toString(qlonglong(m.visible.end)), formatLength(m.visible.length()));
    const int textTop = barTop + barH + 3;
    p.setPen(kText);
    p.drawText(QRect(area.left(), textTop, area.width(), fm.height()), Qt::AlignHCenter | Qt::AlignTop, where);
    // Ticks with labels on a nice step, each on the middle of the 1-based base it names, as IGV puts
    // them (on the boundary after it, "2,337,185" read as the base right of it, one off at base zoom).
    const double step = niceStep(m.bpPerPx(), fm.horizontalAdvance(QStringLiteral("000,000,000")) + 16);
    const int axis = lane.bottom() - 2;
    p.setPen(QColor(90, 90, 90));
    p.drawLine(area.left(), axis, area.right(), axis);
    const double first = std::ceil(double(m.visible.begin) / step) * step;
    for (double pos = first; pos <= double(m.visible.end); pos += step) {
        const double x = m.x(pos - 0.5);  // base `pos` (1-based) spans [pos - 1, pos) 0-based
        if (x < area.left()) continue;
        p.drawLine(QLineF(x, axis - 6, x, axis));
        if (pos == 0) continue;   // people count from 1: a "0" label reads as a base that is not there
        const QString label = formatPosition(pos, step);
        const double half = fm.horizontalAdvance(label) / 2.0 + 1;
        if (x - half < area.left() || x + half > area.right()) continue;   // a cut label misleads
        p.drawText(QRectF(x - half, axis - 7 - fm.height(), 2 * half, fm.height()), Qt::AlignHCenter | Qt::AlignBottom, label);
    }
    p.restore();
    paintLaneName(p, lane, kNamePanelWidth, QString::fromStdString(m.visible.contig), formatLength(contigLength));
}

void paintSequence(QPainter& p, const QRect& lane, const ViewMapping& m, const ViewData& d) {
    paintLaneName(p, lane, kNamePanelWidth, QObject::tr("Sequence"));
    const double pxPerBase = 1.0 / m.bpPerPx();
    const int64_t from = std::max(m.visible.begin, d.span.begin), to = std::min(m.visible.end, d.span.end);
    if (d.bases.empty() || pxPerBase < 1 || from >= to || d.span.contig != m.visible.contig) {
        paintNote(p, lane, m, pxPerBase < 1 ? QObject::tr("zoom in to see the bases") : QObject::tr("loading…"));
        return;
    }
    p.save();
    p.setClipRect(dataArea(lane, m));
    const bool letters = pxPerBase >= 8;
    QFont f = p.font();
    f.setBold(true);
    p.setFont(f);
    for (int64_t pos = from; pos < to; ++pos) {
        const size_t i = size_t(pos - d.span.begin);
        if (i >= d.bases.size()) break;
        const char b = d.bases[i];
        const QRectF r(m.x(double(pos)), lane.top() + 3, pxPerBase, lane.height() - 6);
        if (letters) {
            p.setPen(baseColor(b));
            p.drawText(r, Qt::AlignCenter, QString(QChar::fromLatin1(b)));
        } else {
            p.fillRect(r, baseColor(b));
        }
    }
    p.restore();
}

void paintProbabilities(QPainter& p, const QRect& lane, const ViewMapping& m, const BaseProbabilities& probs) {
    paintLaneName(p, lane, kNamePanelWidth, QString::fromStdString(probs.label), QObject::tr("A C G T stacked, 0–1"));
    const QRect area = dataArea(lane, m).adjusted(0, 2, 0, -2);
    Columns c[4];
    for (int b = 0; b < 4; ++b) c[b] = columnize(probs.channel[b], m);
    static const char kBases[4] = {'A', 'C', 'G', 'T'};
    std::vector<QRectF> rects[4];
    // Adjacent columns with equal values merge into one rectangle, so a base-level view paints one
    // block per base rather than one per pixel.
    for (size_t col = 0; col < c[0].size(); ++col) {
        double v[4], sum = 0;
        for (int b = 0; b < 4; ++b) sum += v[b] = std::isnan(c[b].mean[col]) ? 0.0 : std::max(0.0f, c[b].mean[col]);
        if (sum <= 0) continue;
        double y = area.bottom() + 1;
        for (int b = 0; b < 4; ++b) {
            const double h = v[b] / sum * area.height();
            const QRectF r(c[0].first + double(col), y - h, 1.0, h);
            auto& list = rects[b];
            if (!list.empty() && std::fabs(list.back().right() - r.left()) < 1e-6 && std::fabs(list.back().top() - r.top()) < 1e-6 &&
                std::fabs(list.back().height() - r.height()) < 1e-6)
                list.back().setRight(r.right());
            else
                list.push_back(r);
            y -= h;
        }
    }
    p.save();
    p.setClipRect(area);
    p.setPen(Qt::NoPen);
    for (int b = 0; b < 4; ++b) {
        QColor col = baseColor(kBases[b]);
        col.setAlpha(200);
        p.setBrush(col);
        p.drawRects(rects[b].data(), int(rects[b].size()));
    }
    p.restore();
}

namespace {

// Autoscale to the visible means, with 0 as the baseline when all values lie on one side of it
// (log-likelihoods below, entropies above), so bars start at zero as a biologist expects.
std::pair<double, double> meansRange(const Columns& c) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (float v : c.mean)
        if (!std::isnan(v)) lo = std::min(lo, double(v)), hi = std::max(hi, double(v));
    if (lo > hi) return {lo, hi};
    return {std::min(lo, 0.0), std::max(hi, 0.0)};
}

}  // namespace

std::string trackScaleGroup(const TrackSeries& track) {
    if (!track.name.starts_with("ism_") || track.label.size() < track.name.size()) return {};
    return "ism" + track.label.substr(track.name.size());  // the label's run suffix, when it has one
}

std::pair<double, double> trackRange(const TrackSeries& track, const ViewMapping& m) {
    return meansRange(columnize(track.bins, m));
}

void paintTrack(QPainter& p, const QRect& lane, const ViewMapping& m, const TrackSeries& track,
                const std::pair<double, double>* shared) {
    const QRect area = dataArea(lane, m).adjusted(0, 14, 0, -2);  // room for the scale on top
    const Columns c = columnize(track.bins, m);
    const auto own = meansRange(c);
    if (own.first > own.second) {
        paintLaneName(p, lane, kNamePanelWidth, QString::fromStdString(track.label));
        paintNote(p, lane, m, QObject::tr("no values here"));
        return;
    }
    auto [lo, hi] = shared && shared->first <= shared->second ? *shared : own;
    if (hi - lo < 1e-9) hi = lo + 1;
    paintLaneName(p, lane, kNamePanelWidth, QString::fromStdString(track.label));
    auto y = [&](double v) { return area.bottom() + 1 - (std::clamp(v, lo, hi) - lo) / (hi - lo) * area.height(); };
    const double base = y(0);
    std::vector<QLineF> band, bars;
    band.reserve(c.size());
    bars.reserve(c.size());
    for (size_t col = 0; col < c.size(); ++col) {
        if (std::isnan(c.mean[col])) continue;
        const double x = c.first + double(col) + 0.5;
        band.emplace_back(x, y(c.lo[col]), x, y(c.hi[col]));
        bars.emplace_back(x, base, x, y(c.mean[col]));
    }
    p.save();
    p.setClipRect(area);
    p.setPen(QPen(QColor(178, 198, 224), 1));   // the range of values under a column, light
    p.drawLines(band.data(), int(band.size()));
    p.setPen(QPen(QColor(31, 91, 168), 1));      // the mean, as bars from the baseline
    p.drawLines(bars.data(), int(bars.size()));
    p.setPen(QPen(QColor(150, 150, 150), 1, Qt::DotLine));
    p.drawLine(QLineF(area.left(), base, area.right(), base));
    p.restore();
    paintScale(p, dataArea(lane, m), scaleText(lo, hi) + trackUnit(track.name));
}

namespace {

// Spans overlapping the visible region, by begin: the order they are painted and labelled in.
std::vector<size_t> visibleSpans(const PredictionSet& set, const ViewMapping& m) {
    std::vector<size_t> order;
    for (size_t i = 0; i < set.spans.size(); ++i)
        if (set.spans[i].end > m.visible.begin && set.spans[i].begin < m.visible.end) order.push_back(i);
    // The store hands them over by position already: sort only when they are not (an O(n) check,
    // where sorting 60,000 windows on every repaint would cost milliseconds).
    auto byBegin = [&](size_t a, size_t b) { return set.spans[a].begin < set.spans[b].begin; };
    if (!std::is_sorted(order.begin(), order.end(), byBegin)) std::stable_sort(order.begin(), order.end(), byBegin);
    return order;
}

std::vector<PredictionLabel> layoutLabels(const PredictionSet& set, const ViewMapping& m, const QRect& area, const QFontMetrics& fm,
                                          const std::vector<size_t>& order) {
    std::vector<PredictionLabel> out;
    double lastRight = -std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < order.size();) {
        // Consecutive spans of one label that touch or overlap (tiled or sliding windows called
        // alike) carry one label over all of them, not a cut-down copy on each.
        const PredictionSpan& s = set.spans[order[k]];
        int64_t end = s.end;
        size_t next = k + 1;
        while (next < order.size() && set.spans[order[next]].label == s.label && set.spans[order[next]].begin <= end)
            end = std::max(end, set.spans[order[next]].end), ++next;
        const size_t first = k;
        k = next;
        double x0 = m.x(double(s.begin)), x1 = std::max(m.x(double(end)), x0 + 1);
        // Spans painted after these (sliding windows overlap) cover them from where they begin.
        if (next < order.size()) x1 = std::min(x1, m.x(double(set.spans[order[next]].begin)));
        x0 = std::max(x0, double(area.left()));
        x1 = std::min(x1, double(area.right()) + 1);
        const double room = x1 - x0 - 6;   // a little air either side
        if (room < 8) continue;
        const QString label = QString::fromStdString(s.label);
        QString text = label;
        if (fm.horizontalAdvance(label) > room) {
            text = fm.elidedText(label, Qt::ElideRight, int(room));
            // Fewer than three letters before the "…" say nothing: leave it to the tooltip.
            if (text.size() < 4) continue;
        }
        const double w = fm.horizontalAdvance(text);
        const double centre = (x0 + x1) / 2;
        const QRectF rect(centre - w / 2, area.top(), w, area.height());
        if (rect.left() < lastRight + 4) continue;   // never over the label before it
        lastRight = rect.right();
        out.push_back({order[first], text, rect});
    }
    return out;
}

}  // namespace

std::vector<PredictionLabel> layoutPredictionLabels(const PredictionSet& set, const ViewMapping& m, const QRect& area,
                                                    const QFontMetrics& fm) {
    return layoutLabels(set, m, area, fm, visibleSpans(set, m));
}

void paintPredictions(QPainter& p, const QRect& lane, const ViewMapping& m, const PredictionSet& set) {
    paintLaneName(p, lane, kNamePanelWidth, QString::fromStdString(set.label),
                  set.truncated ? QObject::tr("zoom in: not all shown") : QObject::tr("height: class probability"));
    const QRect area = dataArea(lane, m).adjusted(0, 3, 0, -3);
    p.save();
    p.setClipRect(area);
    int lastCol = std::numeric_limits<int>::min();
    const std::vector<size_t> order = visibleSpans(set, m);
    for (size_t i : order) {
        const PredictionSpan& s = set.spans[i];
        const double x0 = m.x(double(s.begin)), x1 = std::max(m.x(double(s.end)), x0 + 1);
        if (x1 - x0 < 1.5 && int(x0) == lastCol) continue;   // one mark a column at chromosome scale
        lastCol = int(x0);
        // Neighbouring windows of one label stay apart by a hairline where there is room for it.
        const QRectF r(x0, area.top(), x1 - x0 > 4 ? x1 - x0 - 1 : x1 - x0, area.height());
        const QColor col = labelColor(set.classes, s.label);
        // The class score as the height of a solid bar over a faint full-height span: the label is
        // read from the colour, its confidence from the height (a window called at p = 0.4 shows).
        QColor faint = col;
        faint.setAlpha(60);
        p.fillRect(r, faint);
        const double score = s.score ? std::clamp(*s.score, 0.0, 1.0) : 1.0;
        QRectF bar = r;
        bar.setTop(r.bottom() - r.height() * score);
        p.fillRect(bar, col);
    }
    // Labels after all spans, so a later (overlapping) span never paints over one.
    for (const PredictionLabel& l : layoutLabels(set, m, area, QFontMetrics(p.font()), order)) {
        const PredictionSpan& s = set.spans[l.span];
        const double score = s.score ? std::clamp(*s.score, 0.0, 1.0) : 1.0;
        p.setPen(score >= 0.5 ? QColor(Qt::white) : QColor(40, 40, 40));
        p.drawText(l.rect, Qt::AlignCenter, l.text);
    }
    p.restore();
}

std::vector<VariantColumn> variantColumns(const VariantSet& set, const ViewMapping& m) {
    std::vector<VariantColumn> out;
    const int w = std::max(1, int(std::ceil(m.width)));
    std::vector<int64_t> best(size_t(w), -1);
    std::vector<int> count(size_t(w), 0);
    // Hot loop over up to 100,000 marks a repaint: the mapping's scale once, not a division a mark.
    const double pxPerBp = m.width / double(std::max<int64_t>(1, m.visible.length()));
    const double first = double(m.visible.begin);
    auto significance = [](const VariantMark& v) { return v.score ? std::fabs(*v.score) : -1.0; };
    for (size_t i = 0; i < set.marks.size(); ++i) {
        const VariantMark& v = set.marks[i];
        if (v.end <= m.visible.begin || v.begin >= m.visible.end) continue;
        const double x0 = m.x0 + (double(v.begin) - first) * pxPerBp, width = double(v.end - v.begin) * pxPerBp;
        if (width > 2.0) {
            out.push_back({i, 1, x0, width});
            continue;
        }
        const size_t col = size_t(std::clamp(int(x0 - m.x0), 0, w - 1));
        ++count[col];
        int64_t& b = best[col];
        // Strictly larger: among equals (or unscored marks) the first stays, as the file has them.
        if (b < 0 || (set.from_store && significance(v) > significance(set.marks[size_t(b)]))) b = int64_t(i);
    }
    for (size_t col = 0; col < size_t(w); ++col)
        if (best[col] >= 0)
            out.push_back({size_t(best[col]), count[col], m.x0 + (double(set.marks[size_t(best[col])].begin) - first) * pxPerBp, 2.0});
    std::stable_sort(out.begin(), out.end(), [](const VariantColumn& a, const VariantColumn& b) { return a.x0 < b.x0; });
    return out;
}

void paintVariants(QPainter& p, const QRect& lane, const ViewMapping& m, const VariantSet& set) {
    const QRect area = dataArea(lane, m).adjusted(0, 3, 0, -3);
    double maxAbs = 0;
    if (set.from_store)
        for (const VariantMark& v : set.marks)
            if (v.score && v.end > m.visible.begin && v.begin < m.visible.end) maxAbs = std::max(maxAbs, std::fabs(*v.score));
    std::string scoreName;
    for (const VariantMark& v : set.marks)
        if (!v.score_name.empty()) {
            scoreName = v.score_name;
            break;
        }
    paintLaneName(p, lane, kNamePanelWidth, QString::fromStdString(set.label),
                  set.from_store && maxAbs > 0 ? QStringLiteral("%1 %2%3").arg(
                                                     QString::fromStdString(scoreName), scaleText(-maxAbs, maxAbs),
                                                     scoreName.starts_with("llr") ? QStringLiteral(" bits") : QString())
                                               : QString());
    p.save();
    p.setClipRect(area);
    const double mid = area.top() + area.height() / 2.0;
    if (set.from_store && maxAbs > 0) {
        p.setPen(QPen(QColor(200, 200, 200), 1, Qt::DotLine));
        p.drawLine(QLineF(area.left(), mid, area.right(), mid));
    }
    const QFontMetrics fm(p.font());
    // One mark a pixel column at chromosome scale: the most significant there, so a strong effect
    // among many weak ones is never hidden by whichever came first.
    for (const VariantColumn& c : variantColumns(set, m)) {
        const VariantMark& v = set.marks[c.mark];
        const double x0 = c.x0, w = c.width;
        if (set.from_store && v.score && maxAbs > 0) {
            // Diverging: a score below zero (the ALT less likely than REF) red and downwards.
            const double h = *v.score / maxAbs * (area.height() / 2.0);
            const QColor col = *v.score < 0 ? QColor(200, 40, 40) : QColor(40, 80, 200);
            p.fillRect(QRectF(x0, h >= 0 ? mid - h : mid, w, std::max(1.0, std::fabs(h))), col);
        } else {
            p.fillRect(QRectF(x0, area.top(), w, area.height()), kVariant);
            if (w < 10) continue;   // no room for a letter: skip measuring text (most marks of a wide view)
            const QString text = QString::fromStdString(v.shown.empty() ? v.alt : v.shown);
            if (w > fm.horizontalAdvance(text) + 4) {
                p.setPen(Qt::white);
                p.drawText(QRectF(x0, area.top(), w, area.height()), Qt::AlignCenter, text);
            }
        }
    }
    p.restore();
}

void paintFeatures(QPainter& p, const QRect& lane, const ViewMapping& m, const FeatureSet& set, int rowHeight) {
    paintLaneName(p, lane, kNamePanelWidth, QString::fromStdString(set.label));
    const QRect area = dataArea(lane, m);
    p.save();
    p.setClipRect(area);
    QFont small = p.font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    const QFontMetrics fm(small);
    p.setFont(small);
    const int boxH = 10;
    // Per row: the last pixel column drawn (features and parts narrower than a pixel are drawn once
    // a column, so a chromosome of genes costs one mark a column) and where the last name ended
    // (names never overprint each other; zooming in shows the rest).
    const size_t rows = size_t(std::max(1, set.rows));
    std::vector<int> lastCol(rows, std::numeric_limits<int>::min()), lastPartCol(rows, std::numeric_limits<int>::min());
    std::vector<double> nameEnd(rows, -1e9);
    // Strand chevrons go on last, over the boxes: drawn on a gene's line first, its CDS or RNA box
    // covered them, so no gene with parts (every gene of a GFF3) and no stranded BED interval
    // showed its direction. Where they cross a box they are white, elsewhere the feature colour.
    struct Chevrons {
        size_t row;
        double x0, x1, mid, dir;
    };
    std::vector<Chevrons> chevrons;
    std::vector<std::vector<std::pair<double, double>>> boxes(rows);  // per row: filled x spans
    for (const FeatureMark& f : set.features) {
        if (f.end <= m.visible.begin || f.begin >= m.visible.end) continue;
        const size_t row = size_t(std::clamp(f.row, 0, int(rows) - 1));
        const double top = area.top() + 3 + f.row * rowHeight;
        const double x0 = m.x(double(f.begin)), x1 = std::max(m.x(double(f.end)), x0 + 1);
        const double mid = top + boxH / 2.0;
        if (f.part) {
            if (x1 - x0 < 1.5 && int(x0) == lastPartCol[row]) continue;
            lastPartCol[row] = int(x0);
            const double h = f.type == "CDS" ? boxH : boxH * 0.6;
            p.fillRect(QRectF(x0, mid - h / 2, x1 - x0, h), kFeature);
            boxes[row].emplace_back(x0, x1);
            continue;
        }
        int& last = lastCol[row];
        if (x1 - x0 < 1.5 && int(x0) == last) continue;
        last = int(x0);
        // A top-level feature with parts (a gene) is a thin line with strand chevrons; one without
        // parts (a BED interval) is a box.
        const bool line = f.type == "gene" || f.type == "mRNA" || f.type == "transcript" || f.type == "pseudogene";
        if (line) {
            p.setPen(QPen(kFeature, 1));
            p.drawLine(QLineF(std::max(x0, double(area.left())), mid, std::min(x1, double(area.right())), mid));
        } else {
            p.fillRect(QRectF(x0, top, x1 - x0, boxH), kFeature);
            boxes[row].emplace_back(x0, x1);
        }
        if (f.strand == '+' || f.strand == '-')
            chevrons.push_back({row, std::max(x0, double(area.left())), std::min(x1, double(area.right())), mid,
                                f.strand == '+' ? 1.0 : -1.0});
        if (!f.name.empty()) {
            const QString name = QString::fromStdString(f.name);
            const double centre = (std::max(x0, double(area.left())) + std::min(x1, double(area.right()))) / 2;
            const double half = fm.horizontalAdvance(name) / 2.0 + 3;
            if (centre - half < nameEnd[row]) continue;
            nameEnd[row] = centre + half;
            p.setPen(kText);
            p.drawText(QRectF(centre - half, top + boxH + 1, 2 * half, fm.height() + 2), Qt::AlignHCenter | Qt::AlignTop, name);
        }
    }
    for (auto& spans : boxes) std::sort(spans.begin(), spans.end());
    const auto inBox = [&](size_t row, double x) {
        const auto& spans = boxes[row];
        auto it = std::upper_bound(spans.begin(), spans.end(), std::make_pair(x, std::numeric_limits<double>::max()));
        // Spans may overlap (parts of overlapping genes): any span starting at or before x may hold it.
        for (int k = 0; k < 4 && it != spans.begin(); ++k)
            if ((--it)->second >= x) return true;
        return false;
    };
    for (const Chevrons& c : chevrons)
        for (double x = c.x0 + 10; x < c.x1 - 4; x += 24) {
            p.setPen(QPen(inBox(c.row, x) ? QColor(Qt::white) : kFeature, 1));
            p.drawPolyline(QPolygonF{QPointF(x - 2 * c.dir, c.mid - 3), QPointF(x + 1 * c.dir, c.mid),
                                     QPointF(x - 2 * c.dir, c.mid + 3)});
        }
    p.restore();
}

}  // namespace ms::ui

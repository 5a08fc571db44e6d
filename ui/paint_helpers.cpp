#include "ui/paint_helpers.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ms::ui {

Columns columnize(const std::vector<TrackBin>& bins, const ViewMapping& m) {
    Columns c;
    const int w = int(std::ceil(m.width));
    c.first = int(m.x0);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    c.lo.assign(size_t(w), nan);
    c.hi.assign(size_t(w), nan);
    c.mean.assign(size_t(w), nan);
    std::vector<double> sum(size_t(w), 0.0);
    std::vector<double> weight(size_t(w), 0.0);
    for (const TrackBin& b : bins) {
        if (b.end <= m.visible.begin || b.begin >= m.visible.end || std::isnan(b.mean)) continue;
        const int c0 = std::max(0, int(std::floor(m.x(double(b.begin)) - m.x0)));
        const int c1 = std::min(w - 1, std::max(c0, int(std::ceil(m.x(double(b.end)) - m.x0)) - 1));
        for (int col = c0; col <= c1; ++col) {
            const size_t i = size_t(col);
            c.lo[i] = std::isnan(c.lo[i]) ? b.min : std::min(c.lo[i], b.min);
            c.hi[i] = std::isnan(c.hi[i]) ? b.max : std::max(c.hi[i], b.max);
            const double bw = double(b.end - b.begin);
            sum[i] += double(b.mean) * bw;
            weight[i] += bw;
        }
    }
    for (size_t i = 0; i < size_t(w); ++i)
        if (weight[i] > 0) c.mean[i] = float(sum[i] / weight[i]);
    return c;
}

QRect dataArea(const QRect& lane, const ViewMapping& m) {
    return QRect(int(m.x0), lane.top(), int(std::ceil(m.width)), lane.height());
}

QString formatNumber(double v) {
    const double a = std::fabs(v);
    if (v == std::round(v) && a < 1e6) return QString::number(qlonglong(v));
    if (a != 0 && (a < 0.01 || a >= 100000)) return QString::number(v, 'g', 3);
    if (a >= 100) return QString::number(v, 'f', 0);
    return QString::number(v, 'f', 2);
}

QString scaleText(double lo, double hi) { return QStringLiteral("[%1 – %2]").arg(formatNumber(lo), formatNumber(hi)); }

QString trackUnit(const std::string& name) {
    if (name == "loglik" || name == "entropy" || name.starts_with("ism_")) return QStringLiteral(" bits");
    return {};
}

void paintScale(QPainter& p, const QRect& area, const QString& text) {
    QFont f = p.font();
    f.setPointSizeF(f.pointSizeF() * 0.85);
    p.save();
    p.setFont(f);
    p.setPen(kMuted);
    p.drawText(area.adjusted(4, 1, -4, 0), Qt::AlignLeft | Qt::AlignTop, text);
    p.restore();
}

}  // namespace ms::ui

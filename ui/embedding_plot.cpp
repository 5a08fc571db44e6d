#include "ui/embedding_plot.h"

#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>
#include <algorithm>
#include <cmath>

namespace ms::ui {

namespace {

// Round numbers for axis ticks: 1, 2 or 5 times a power of ten, about `target` of them.
QVector<double> niceTicks(double lo, double hi, int target) {
    QVector<double> out;
    if (!(hi > lo)) return {lo};
    const double raw = (hi - lo) / std::max(1, target);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    // The first of 1, 2, 5, 10 × 10^k not much below the raw step: 4 to 8 ticks, never 2.
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw * 0.7) {
            step = m * mag;
            break;
        }
    for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out << (std::abs(t) < step * 1e-9 ? 0.0 : t);
    return out;
}

QString tickText(double v) { return QString::number(v, 'g', 4); }

// Axes box, ticks and labels shared by both plots.
void drawAxes(QPainter& p, const QRectF& r, double x0, double x1, double y0, double y1, const QString& xl, const QString& yl) {
    p.setPen(QPen(QColor(0x60, 0x60, 0x60), 1));
    p.drawRect(r);
    const QFontMetrics fm = p.fontMetrics();
    for (double t : niceTicks(x0, x1, 6)) {
        const double sx = r.left() + (t - x0) / (x1 - x0) * r.width();
        p.setPen(QColor(0xe6, 0xe6, 0xe6));
        p.drawLine(QPointF(sx, r.top() + 1), QPointF(sx, r.bottom() - 1));
        p.setPen(QColor(0x40, 0x40, 0x40));
        p.drawLine(QPointF(sx, r.bottom()), QPointF(sx, r.bottom() + 4));
        const QString s = tickText(t);
        p.drawText(QPointF(sx - fm.horizontalAdvance(s) / 2.0, r.bottom() + 6 + fm.ascent()), s);
    }
    for (double t : niceTicks(y0, y1, 5)) {
        const double sy = r.bottom() - (t - y0) / (y1 - y0) * r.height();
        p.setPen(QColor(0xe6, 0xe6, 0xe6));
        p.drawLine(QPointF(r.left() + 1, sy), QPointF(r.right() - 1, sy));
        p.setPen(QColor(0x40, 0x40, 0x40));
        p.drawLine(QPointF(r.left() - 4, sy), QPointF(r.left(), sy));
        const QString s = tickText(t);
        p.drawText(QPointF(r.left() - 6 - fm.horizontalAdvance(s), sy + fm.ascent() / 2.0 - 1), s);
    }
    p.setPen(QColor(0x20, 0x20, 0x20));
    p.drawText(QRectF(r.left(), r.bottom() + 6 + fm.height(), r.width(), fm.height() + 4), Qt::AlignHCenter, xl);
    p.save();
    p.translate(r.left() - 48, r.center().y());
    p.rotate(-90);
    p.drawText(QRectF(-r.height() / 2, -fm.height(), r.height(), fm.height() + 2), Qt::AlignHCenter, yl);
    p.restore();
}

}  // namespace

// ---------------------------------------------------------------- scatter

EmbeddingPlot::EmbeddingPlot(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setMinimumSize(320, 240);
    setBackgroundRole(QPalette::Base);
    setAutoFillBackground(true);
    message_ = tr("Choose a run with embeddings (Run ▸ Run Model…, task embed).");
}

// Tableau 10: distinct for people with the common colour-vision deficiencies.
QColor EmbeddingPlot::categoryColor(int i) {
    static const QRgb palette[] = {0x4e79a7, 0xf28e2b, 0x59a14f, 0xe15759, 0x76b7b2,
                                   0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f, 0xbab0ac};
    if (i < 0) return QColor(0xb0, 0xb0, 0xb0);
    // Past ten categories the palette repeats darker, then lighter (the 11th record had the 1st's
    // colour, so the legend could not tell them apart; found in review).
    const QColor base(palette[i % 10]);
    switch ((i / 10) % 3) {
        case 1:
            return base.darker(150);
        case 2:
            return base.lighter(140);
        default:
            return base;
    }
}

void EmbeddingPlot::setPoints(QVector<PlotPoint> points, QStringList categories, QString xLabel, QString yLabel) {
    points_ = std::move(points);
    categories_ = std::move(categories);
    xLabel_ = std::move(xLabel);
    yLabel_ = std::move(yLabel);
    message_.clear();
    hover_ = -1;
    if (!points_.isEmpty()) {
        minX_ = maxX_ = points_[0].x;
        minY_ = maxY_ = points_[0].y;
        for (const PlotPoint& p : points_) {
            minX_ = std::min(minX_, p.x), maxX_ = std::max(maxX_, p.x);
            minY_ = std::min(minY_, p.y), maxY_ = std::max(maxY_, p.y);
        }
        // A margin of 5 % so dots at the edge are whole; a flat axis gets a unit range.
        auto pad = [](float& lo, float& hi) {
            if (hi - lo < 1e-9f) lo -= 1, hi += 1;
            const float m = (hi - lo) * 0.05f;
            lo -= m, hi += m;
        };
        pad(minX_, maxX_);
        pad(minY_, maxY_);
    } else {
        message_ = tr("This run has no embeddings.");
    }
    update();
}

void EmbeddingPlot::setMessage(const QString& text) {
    message_ = text;
    points_.clear();
    hover_ = -1;
    update();
}

QRectF EmbeddingPlot::plotRect() const {
    // Room for tick labels left and below, the legend right.
    const double legend = categories_.isEmpty() ? 12 : std::min(200.0, width() * 0.3);
    return QRectF(64, 12, std::max(10.0, width() - 64 - legend), std::max(10.0, height() - 12 - 48.0));
}

QPointF EmbeddingPlot::toScreen(const PlotPoint& p) const {
    const QRectF r = plotRect();
    return {r.left() + (p.x - minX_) / (maxX_ - minX_) * r.width(), r.bottom() - (p.y - minY_) / (maxY_ - minY_) * r.height()};
}

int EmbeddingPlot::pointAt(const QPoint& pos, double radius) const {
    int best = -1;
    double bestD = radius * radius;
    for (int i = 0; i < points_.size(); ++i) {
        const QPointF s = toScreen(points_[i]);
        const double dx = s.x() - pos.x(), dy = s.y() - pos.y(), d = dx * dx + dy * dy;
        if (d <= bestD) best = i, bestD = d;
    }
    return best;
}

void EmbeddingPlot::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    if (points_.isEmpty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(20, 20, -20, -20), Qt::AlignCenter | Qt::TextWordWrap, message_);
        return;
    }
    const QRectF r = plotRect();
    drawAxes(p, r, minX_, maxX_, minY_, maxY_, xLabel_, yLabel_);
    p.setClipRect(r.adjusted(1, 1, -1, -1));
    // Translucent dots: dense clusters read as darker, as in a density plot.
    const double radius = points_.size() > 5000 ? 2.0 : 3.2;
    p.setPen(Qt::NoPen);
    for (const PlotPoint& pt : points_) {
        QColor c = categoryColor(pt.category);
        c.setAlpha(points_.size() > 2000 ? 140 : 200);
        p.setBrush(c);
        p.drawEllipse(toScreen(pt), radius, radius);
    }
    if (hover_ >= 0 && hover_ < points_.size()) {
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(highlight_, 2));
        p.drawEllipse(toScreen(points_[hover_]), radius + 3, radius + 3);
    }
    p.setClipping(false);
    // Legend, right of the plot: a swatch and the name per category.
    const QFontMetrics fm = p.fontMetrics();
    double y = r.top() + 4;
    const double x = r.right() + 12;
    const int shown = std::min<int>(int(categories_.size()), int((r.height() - 8) / (fm.height() + 2)));
    for (int i = 0; i < shown; ++i) {
        p.setPen(Qt::NoPen);
        p.setBrush(categoryColor(i));
        p.drawEllipse(QPointF(x + 5, y + fm.height() / 2.0), 4.5, 4.5);
        p.setPen(QColor(0x20, 0x20, 0x20));
        p.drawText(QRectF(x + 14, y, width() - x - 16, fm.height()), Qt::AlignVCenter,
                   fm.elidedText(categories_[i], Qt::ElideRight, int(width() - x - 16)));
        y += fm.height() + 2;
    }
    if (shown < categories_.size()) {
        p.setPen(QColor(0x60, 0x60, 0x60));
        p.drawText(QPointF(x + 14, y + fm.ascent()), tr("… %n more", nullptr, int(categories_.size()) - shown));
        y += fm.height() + 2;
    }
    // The grey of items without a label (colour by another run's labels), named too.
    if (std::any_of(points_.begin(), points_.end(), [](const PlotPoint& pt) { return pt.category < 0; }) &&
        y + fm.height() < r.bottom()) {
        p.setPen(Qt::NoPen);
        p.setBrush(categoryColor(-1));
        p.drawEllipse(QPointF(x + 5, y + fm.height() / 2.0), 4.5, 4.5);
        p.setPen(QColor(0x20, 0x20, 0x20));
        p.drawText(QRectF(x + 14, y, width() - x - 16, fm.height()), Qt::AlignVCenter, tr("no label"));
    }
}

void EmbeddingPlot::mouseMoveEvent(QMouseEvent* e) {
    const int at = pointAt(e->position().toPoint());
    if (at != hover_) {
        hover_ = at;
        update();
    }
    if (at >= 0) {
        const PlotPoint& pt = points_[at];
        const QString cat = pt.category >= 0 && pt.category < categories_.size() ? categories_[pt.category] : tr("no label");
        QString tip = QStringLiteral("<b>%1</b><br>%2").arg(pt.item.toHtmlEscaped(), cat.toHtmlEscaped());
        if (!pt.locus.isEmpty()) tip += tr("<br><i>click to go to %1</i>").arg(pt.locus.toHtmlEscaped());
        QToolTip::showText(e->globalPosition().toPoint(), tip, this);
    } else {
        QToolTip::hideText();
    }
}

void EmbeddingPlot::mousePressEvent(QMouseEvent* e) {
    const int at = pointAt(e->position().toPoint());
    if (at < 0 || e->button() != Qt::LeftButton) return;
    emit pointClicked(at);
    if (!points_[at].locus.isEmpty()) emit locusRequested(points_[at].locus);
}

void EmbeddingPlot::leaveEvent(QEvent*) {
    hover_ = -1;
    update();
}

// ---------------------------------------------------------------- histogram

HistogramPlot::HistogramPlot(QWidget* parent) : QWidget(parent) {
    setMinimumSize(320, 200);
    setBackgroundRole(QPalette::Base);
    setAutoFillBackground(true);
    message_ = tr("Choose a run and a numeric column.");
}

void HistogramPlot::setValues(const std::vector<double>& values, const QString& label) {
    label_ = label;
    message_.clear();
    counts_.clear();
    std::vector<double> v;
    v.reserve(values.size());
    for (double x : values)
        if (std::isfinite(x)) v.push_back(x);
    skipped_ = qint64(values.size() - v.size());
    n_ = qint64(v.size());
    if (v.empty()) {
        message_ = tr("No values to show.");
        update();
        return;
    }
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    // Freedman–Diaconis bin width (robust to outliers), clamped to 10..80 bins.
    std::vector<double> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    const double iqr = sorted[size_t(0.75 * double(sorted.size() - 1))] - sorted[size_t(0.25 * double(sorted.size() - 1))];
    const double range = *hi - *lo;
    int bins = 20;
    if (range > 0 && iqr > 0) bins = int(std::ceil(range / (2.0 * iqr / std::cbrt(double(v.size())))));
    bins = std::clamp(bins, 10, 80);
    lo_ = *lo;
    width_ = range > 0 ? range / bins : 1.0;
    if (range <= 0) lo_ -= 0.5 * width_ * bins;
    counts_.fill(0, bins);
    for (double x : v) counts_[std::clamp(int((x - lo_) / width_), 0, bins - 1)]++;
    update();
}

void HistogramPlot::setMessage(const QString& text) {
    message_ = text;
    counts_.clear();
    update();
}

void HistogramPlot::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    if (counts_.isEmpty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(20, 20, -20, -20), Qt::AlignCenter | Qt::TextWordWrap, message_);
        return;
    }
    const QFontMetrics fm = p.fontMetrics();
    const QRectF r(64, 12 + fm.height() + 4, std::max(10, width() - 64 - 16), std::max(10.0, height() - 12 - fm.height() - 4 - 48.0));
    const int top = *std::max_element(counts_.begin(), counts_.end());
    const double x0 = lo_, x1 = lo_ + width_ * counts_.size();
    p.setPen(QColor(0x20, 0x20, 0x20));
    QString caption = tr("%1 — %2 values").arg(label_, QLocale().toString(n_));
    if (skipped_) caption += tr(" (%1 missing left out)").arg(QLocale().toString(skipped_));
    p.drawText(QRectF(r.left(), 8, r.width(), fm.height() + 2), Qt::AlignLeft, caption);
    drawAxes(p, r, x0, x1, 0, top * 1.05, label_, tr("count"));
    const double bw = r.width() / counts_.size();
    p.setPen(QPen(color_.darker(130), 0.8));
    p.setBrush(color_);
    for (int i = 0; i < counts_.size(); ++i) {
        const double h = counts_[i] / (top * 1.05) * r.height();
        p.drawRect(QRectF(r.left() + i * bw, r.bottom() - h, bw, h));
    }
}

}  // namespace ms::ui

// The embeddings plot: one dot per item at its 2-D projection (PCA), coloured by a category
// (the record, the item kind, or the label a classify run gave the same item), painted by hand
// so 20,000 points stay smooth. Hovering shows the item; clicking a placed item asks the genome
// view to go there.
#pragma once

#include <QColor>
#include <QString>
#include <QVector>
#include <QWidget>

namespace ms::ui {

struct PlotPoint {
    float x = 0, y = 0;
    int category = 0;   // index into the categories
    QString item;       // "rec1:1-1,000 (window)"
    QString locus;      // empty: not placed on a sequence
};

class EmbeddingPlot : public QWidget {
    Q_OBJECT
public:
    explicit EmbeddingPlot(QWidget* parent = nullptr);

    void setPoints(QVector<PlotPoint> points, QStringList categories, QString xLabel, QString yLabel);
    void setMessage(const QString& text);   // shown instead of the points (loading, nothing to show, error)
    void setHighlightColor(const QColor& c) { highlight_ = c; update(); }
    const QVector<PlotPoint>& points() const { return points_; }
    // The point nearest to a widget position within `radius` pixels, or -1.
    int pointAt(const QPoint& pos, double radius = 6.0) const;
    QPointF toScreen(const PlotPoint& p) const;
    static QColor categoryColor(int i);

    QSize sizeHint() const override { return {520, 420}; }

signals:
    void locusRequested(const QString& locus);
    void pointClicked(int index);

protected:
    void paintEvent(QPaintEvent*) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void leaveEvent(QEvent*) override;

private:
    QRectF plotRect() const;
    QVector<PlotPoint> points_;
    QStringList categories_;
    QString xLabel_, yLabel_, message_;
    float minX_ = 0, maxX_ = 1, minY_ = 0, maxY_ = 1;
    int hover_ = -1;
    QColor highlight_ = QColor(0xd6, 0x27, 0x28);
};

// A histogram of one numeric column, painted: bars, a count axis and a value axis.
class HistogramPlot : public QWidget {
    Q_OBJECT
public:
    explicit HistogramPlot(QWidget* parent = nullptr);
    // Non-finite values are left out (and counted in the caption).
    void setValues(const std::vector<double>& values, const QString& label);
    void setMessage(const QString& text);
    void setColor(const QColor& c) { color_ = c; update(); }
    const QVector<int>& counts() const { return counts_; }
    QSize sizeHint() const override { return {520, 320}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    QVector<int> counts_;
    double lo_ = 0, width_ = 1;
    qint64 n_ = 0, skipped_ = 0;
    QString label_, message_;
    QColor color_ = QColor(0x1f, 0x77, 0xb4);
};

}  // namespace ms::ui

// The genome view: a ruler, the reference bases, model tracks, predictions, variants, reads and
// annotations over one region of a contig, painted by hand (track_painters.h) from the ViewData
// the loader last delivered. The view never reads a file: when the visible region leaves the
// cached span, or the zoom changes the resolution it needs, it asks for data (dataRequested) with
// a new generation and keeps painting what it has; answers of older generations are dropped.
//
// Mouse and keys, as in IGV: wheel and +/- zoom, double-click zooms in there, drag pans, drag in
// the ruler zooms to the dragged range, Shift+drag selects a range, right-click acts on the
// selection (or the visible region), arrows pan. Hovering shows what is under the pointer
// (lane_tooltips.h): a prediction whose label had no room, the variants of a pixel column, ...
#pragma once

#include <QMetaType>
#include <QTimer>
#include <QWidget>
#include <optional>

#include "genomics/locus.h"
#include "ui/view_data.h"

namespace ms::ui {

class GenomeView : public QWidget {
    Q_OBJECT
public:
    explicit GenomeView(QWidget* parent = nullptr);

    void setContigs(const ContigList& contigs);
    const ContigList& contigs() const { return contigs_; }
    // The visible region; empty contig while nothing is open.
    const Region& region() const { return region_; }
    // Shows `region`, clamped to its contig and widened to at least kMinSpan bases.
    void setRegion(const Region& region);
    // factor > 1 zooms in; the anchor (a position) stays where it is on screen.
    void zoomBy(double factor, std::optional<double> anchor = std::nullopt);
    // Moves by a fraction of the visible width (negative: left).
    void panBy(double fraction);
    std::optional<Region> selection() const { return selection_; }
    void setSelection(const std::optional<Region>& selection);

    // Accepts data of the latest request only (older generations are dropped).
    void setData(const ms::ui::ViewDataPtr& loaded);
    const ViewDataPtr& data() const { return data_; }
    // Asks for data again (a file was opened) even when the cache covers the region.
    void reload();
    // Only this results run's tracks, predictions and variant scores (0: every run's); reloads.
    void setRunFilter(qint64 run);
    qint64 runFilter() const { return runFilter_; }

    // Paints everything into `size` (the widget, a snapshot, the benchmark): cached data only.
    void paintView(QPainter& painter, const QSize& size) const;
    // The height all lanes need at the current data.
    int contentHeight() const;
    // Each lane's name ("ruler", "sequence", "features", "probabilities", "track:loglik",
    // "predictions", "variants", "coverage", "reads") and place, top to bottom: for hit-testing
    // and for the tests that check a snapshot's pixels.
    std::vector<std::pair<QString, QRect>> laneGeometry() const;
    // What the tooltip says at a point of the widget (the item under it), empty over nothing.
    QString toolTipAt(const QPoint& pos) const;
    // Writes the view as PNG or SVG (by the suffix); an empty string, or what went wrong.
    QString saveSnapshot(const QString& path, const QSize& size) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

    static constexpr int64_t kMinSpan = 40;

signals:
    void regionChanged(const ms::Region& region);
    // A navigation step settled (after a drag, a wheel gesture, a zoom): what history records.
    void navigated(const ms::Region& region);
    void dataRequested(const ms::ui::ViewRequest& request);
    // New data was accepted and painted from.
    void dataShown();
    // The context menu's actions on a region; the run and export dialogs connect to these.
    void copySequenceRequested(const ms::Region& region);
    void scoreRegionRequested(const ms::Region& region);
    void classifyRegionRequested(const ms::Region& region);
    void mutagenesisRequested(const ms::Region& region);
    void exportRegionRequested(const ms::Region& region);

protected:
    bool event(QEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;

private:
    struct Lane;
    std::vector<Lane> layoutLanes(int width) const;
    double dataWidth() const;
    double positionAt(double x) const;
    void requestIfNeeded();
    void settle();

    ContigList contigs_;
    Region region_;
    std::optional<Region> selection_;
    ViewDataPtr data_;
    uint64_t generation_ = 0;
    qint64 runFilter_ = 0;
    std::optional<ViewRequest> inFlight_;
    // Mouse gesture state.
    enum class Drag { none, pan, select, rulerZoom } drag_ = Drag::none;
    QPoint dragStart_;
    Region dragStartRegion_;
    QTimer settleTimer_;   // a wheel gesture is one history step, recorded when it pauses
};

}  // namespace ms::ui

Q_DECLARE_METATYPE(ms::Region)
Q_DECLARE_METATYPE(ms::ui::ViewRequest)

// Painting of the genome view's lanes, one function per kind of data, from cached ViewData only
// (no I/O, no allocation beyond one column buffer per lane). Every painter works in pixel columns:
// the bins of a lane are first reduced to at most one value range per column, so a whole
// chromosome costs as much to paint as a few hundred bases. Colours follow IGV's where IGV has a
// convention (bases A green, C blue, G orange, T red; grey coverage; blue features).
#pragma once

#include <QColor>
#include <QFontMetrics>
#include <QPainter>
#include <QRect>
#include <QString>
#include <utility>
#include <vector>

#include "ui/view_data.h"

namespace ms::ui {

// Positions of the visible region to x in the lane's data area and back.
struct ViewMapping {
    Region visible;
    double x0 = 0, width = 1;   // the data area, right of the name panel
    double bpPerPx() const { return double(visible.length()) / width; }
    double x(double pos) const { return x0 + (pos - double(visible.begin)) / bpPerPx(); }
    double pos(double px) const { return double(visible.begin) + (px - x0) * bpPerPx(); }
};

QColor baseColor(char base);
// The base colours: IGV's (green A, blue C, orange G, red T), or Okabe and Ito's colour-blind safe
// set (bluish green A, blue C, orange G, reddish purple T), which readers with red-green colour
// blindness can tell apart (IGV's A and T look alike to them). Set once from the settings, before
// painting (the GUI thread paints).
enum class BasePalette { igv, colorblind };
void setBasePalette(BasePalette palette);
// The colour of a prediction label: the run's class order picks from a fixed qualitative palette,
// so a label keeps its colour across views and snapshots.
QColor labelColor(const std::vector<std::string>& classes, const std::string& label);

// The marks of a variants lane as drawn: a mark wider than two pixels on its own, narrower marks
// one per pixel column, the most significant there (the largest |score|; the first when unscored)
// standing for all `count` marks of its column. By x.
struct VariantColumn {
    size_t mark = 0;   // index into VariantSet::marks
    int count = 1;     // marks this one stands for
    double x0 = 0, width = 1;
};
std::vector<VariantColumn> variantColumns(const VariantSet& set, const ViewMapping& m);

// Where the labels of a predictions lane go: one label over a run of touching spans of one label
// (tiled windows called alike), in the part of it that no later span paints over, elided (…) when
// only part of it fits, left out when not even three letters fit or when it would overlap the label
// before it. Labels left out are read from the tooltip.
struct PredictionLabel {
    size_t span = 0;   // index into PredictionSet::spans: the first span of its run
    QString text;      // the label, or its elided start
    QRectF rect;       // where the text is drawn (its full advance fits inside)
};
std::vector<PredictionLabel> layoutPredictionLabels(const PredictionSet& set, const ViewMapping& m, const QRect& area,
                                                    const QFontMetrics& fm);

// Every painter draws inside `lane` (full width: name panel and data area) and clips to it.
void paintRuler(QPainter& p, const QRect& lane, const ViewMapping& m, int64_t contigLength);
void paintSequence(QPainter& p, const QRect& lane, const ViewMapping& m, const ViewData& d);
void paintProbabilities(QPainter& p, const QRect& lane, const ViewMapping& m, const BaseProbabilities& probs);
// A track's bars are scaled to the visible means (0 kept as the baseline), or to `shared` when
// given: the range of its scale group (trackScaleGroup), so lanes that compare share one scale.
void paintTrack(QPainter& p, const QRect& lane, const ViewMapping& m, const TrackSeries& track,
                const std::pair<double, double>* shared = nullptr);
// Lanes that must share a scale for their heights to compare: a run's four in-silico mutagenesis
// tracks (ism_A … ism_T; each scaled alone, an 8-bit effect on one base looked like the 2-bit one
// beside it). Empty for a track scaled alone.
std::string trackScaleGroup(const TrackSeries& track);
// The range of the visible means, 0 included; lo > hi when nothing is visible.
std::pair<double, double> trackRange(const TrackSeries& track, const ViewMapping& m);
void paintPredictions(QPainter& p, const QRect& lane, const ViewMapping& m, const PredictionSet& set);
void paintVariants(QPainter& p, const QRect& lane, const ViewMapping& m, const VariantSet& set);
void paintCoverage(QPainter& p, const QRect& lane, const ViewMapping& m, const ViewData& d, const ReadSet& set);
void paintReads(QPainter& p, const QRect& lane, const ViewMapping& m, const ReadSet& set, int readHeight);
void paintFeatures(QPainter& p, const QRect& lane, const ViewMapping& m, const FeatureSet& set, int rowHeight);

// The name panel of a lane: its title (and a second line, e.g. the scale), elided to fit.
void paintLaneName(QPainter& p, const QRect& lane, int panelWidth, const QString& title, const QString& detail = {});

// The lane names painted on this thread while a list is set (nullptr: none). SVG output needs them
// once more at the end: QSvgGenerator ignores clipping, so a lane's data (a gene box, a read that
// starts left of the view) ran over the names, and repainting them last covers it.
struct LaneName {
    QRect lane;
    int panelWidth = 0;
    QString title, detail;
};
void recordLaneNames(std::vector<LaneName>* into);
// A grey note across a lane's data area ("zoom in to see reads").
void paintNote(QPainter& p, const QRect& lane, const ViewMapping& m, const QString& note);

inline constexpr int kNamePanelWidth = 150;

}  // namespace ms::ui

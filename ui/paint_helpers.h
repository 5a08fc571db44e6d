// Helpers shared by the genome view's painters (track_painters.cpp, read_painters.cpp): the
// per-pixel-column summary of binned values, the data area right of the name panel, number and
// scale formatting. Internal to ui/.
#pragma once

#include <QColor>
#include <QPainter>
#include <QRect>
#include <QString>
#include <string>
#include <vector>

#include "ui/track_painters.h"

namespace ms::ui {

inline const QColor kMuted(130, 130, 130);  // scales and secondary text

// Per pixel column of the data area: the range and mean of the bins under it (NaN: nothing).
struct Columns {
    std::vector<float> lo, hi, mean;
    int first = 0;  // x of column 0
    size_t size() const { return mean.size(); }
};
Columns columnize(const std::vector<TrackBin>& bins, const ViewMapping& m);

// The lane's part right of the name panel.
QRect dataArea(const QRect& lane, const ViewMapping& m);

QString formatNumber(double v);
// "[lo – hi]", as a track's scale reads.
QString scaleText(double lo, double hi);
// The unit of a stored track's values, for its scale: the model's log-likelihoods, entropies and
// mutagenesis effects are log2, so bits (scales without units left a reader to guess nats or a
// probability); nothing for a track MambaScope does not know.
QString trackUnit(const std::string& name);
// The scale in the top-left corner of the data area, as IGV prints it.
void paintScale(QPainter& p, const QRect& area, const QString& text);

}  // namespace ms::ui

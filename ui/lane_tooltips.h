// What the genome view's tooltip says over a lane, from the same cached ViewData the painters use:
// the prediction under the pointer (its label, whatever the room to print it), the variant a pixel
// column shows and how many it stands for, depth and base counts of the coverage, a read and how
// it differs from the reference there. Plain text with <br> line breaks (Qt shows it as rich text).
#pragma once

#include <QString>

#include "ui/track_painters.h"

namespace ms::ui {

QString predictionTip(const PredictionSet& set, const ViewMapping& m, double x);
QString variantTip(const VariantSet& set, const ViewMapping& m, double x);
QString coverageTip(const ViewData& d, const ReadSet& set, const ViewMapping& m, double x);
// `y` from the top of the reads' data area; rows are `pitch` pixels apart.
QString readTip(const ReadSet& set, const ViewMapping& m, double x, double y, int pitch);

}  // namespace ms::ui

// What the locus box accepts, in the order it tries them: a locus (`chr1:1,000-2,000`, `chr1`,
// `chr1:1000`) against the open contigs, then the name or ID of a feature of the open annotations
// (in any case; else part of a name when only one feature's name holds it: part of several names
// is an error listing them). Used by the locus box
// and by batch mode's --goto, so both read the same text the same way.
#pragma once

#include <string_view>
#include <vector>

#include "common/error.h"
#include "genomics/locus.h"
#include "ui/view_source.h"

namespace ms::ui {

// A feature found by name is shown with a margin of a tenth of its length on either side, as
// genome browsers show a gene found by name, clipped to the contig.
Result<Region> resolveLocus(std::string_view text, const ContigList& contigs, const std::vector<AnnotationsPtr>& annotations);

}  // namespace ms::ui

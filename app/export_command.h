// `mambascope-cli export --db RESULTS.db [--run ID] (--track NAME | --predictions | --embeddings |
// --variants) --format FMT --out FILE [--region LOCUS]`: what a run stored, in the formats genome
// browsers and analysis tools read (docs/formats.md, "Exports"). Every output is written under a
// temporary name and renamed into place when complete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"

namespace CLI {
class App;
}

namespace ms {

struct ExportOptions {
    std::string db, out, format, region;
    std::optional<int64_t> run;
    std::string track;  // what: one of track, predictions, embeddings, variants
    bool predictions = false, embeddings = false, variants = false;
    bool merge = false, bgzip = false;
    // BED regions called from a track.
    std::optional<double> above, below, enter, exit;
    std::optional<int64_t> min_length;  // BED: 1 when not given
    std::string name;
};

void add_export_options(CLI::App* sub, ExportOptions& o);
// Checks the options, exports, and says what was written ("wrote 1,234 intervals of track ...").
Result<std::string> run_export(const ExportOptions& o);
// run_export for the CLI: one "error: ..." line and exit code 1 on failure.
int cmd_export(const ExportOptions& o);

}  // namespace ms

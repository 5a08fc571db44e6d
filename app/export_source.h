// What an export reads from: a results database opened read-only, the one run it exports (chosen
// with --run, or the only one), that run's sequences and the --region locus checked against them.
// Errors name the database and run and list what there is to choose from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "genomics/locus.h"
#include "genomics/results_store.h"

namespace ms {

struct ExportSource {
    std::string db_path;
    ResultsStore store;
    RunRecord run;
    std::vector<StoredSequence> sequences;  // in the order the run added them
    std::optional<Region> region;           // --region, 0-based half-open

    // "run 2 of results database 'r.db'": the start of every message about the run.
    std::string describe_run() const;
    // The sequence of that id, or nullptr (0: an unplaced read).
    const StoredSequence* sequence(int64_t id) const;
    const StoredSequence* sequence(const std::string& name) const;

    std::unordered_map<int64_t, size_t> by_id;  // sequence id -> index in `sequences`
};

// Opens the database, picks the run (--run ID; without it the database must hold exactly one) and
// parses --region (empty: none) against the run's sequences; errors name the option the user gave
// the locus with (`neighbours` calls it --locus).
Result<ExportSource> open_export_source(const std::string& db_path, std::optional<int64_t> run_id,
                                        const std::string& region, const std::string& region_option = "--region");

// The names of the run's tracks, comma-separated ("none" when it has none).
Result<std::string> track_names(const ExportSource& src);

}  // namespace ms

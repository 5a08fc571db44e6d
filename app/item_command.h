// `mambascope-cli embed` and `classify`: one pooled embedding (the mean of the final hidden states)
// per window, record or read, and for `classify` the class probabilities of the model's classifier
// head on it, into the results store's embeddings / predictions (`classify --embeddings`: both, from
// one forward pass per item). Each item runs as its own sequence
// (zero state at its first base), so an item's result never depends on what came before it.
#pragma once

#include <cstdint>
#include <string>

#include "app/job_common.h"
#include "app/job_control.h"

namespace CLI {
class App;
}

namespace ms {

struct ItemJobOptions : EngineOptions {
    std::string model, fasta, reads, reference, db, head;
    std::string region;   // only this locus of the FASTA: its windows, or the whole locus as one item
    int64_t window = 0, stride = 0;   // window 0: whole records / reads
    bool per_record = false;
    bool resume = false;   // continue the newest unfinished run of the same input, model and parameters
    // classify: also store each item's pooled embedding in the same run, so one pass over the input
    // gives what `embed` and `classify` give separately (the same values).
    bool with_embeddings = false;
    // BAM/CRAM: records flagged as duplicates (0x400) or failing QC (0x200) are left out, and
    // counted, unless kept.
    bool keep_duplicates = false, keep_qc_fail = false;
    // Items of one length run side by side at most (Session::pool_items); 0: as the device suits
    // (a GPU: as many as --chunk positions hold; the CPU: one). Not a command-line option.
    int item_batch = 0;
};

enum class ItemJob { embed, classify };

void add_item_options(CLI::App* sub, ItemJobOptions& o, ItemJob job);
// The job itself, for the CLI and the GUI: `control` cancels it and hears its progress.
Result<JobOutcome> run_items(const ItemJobOptions& o, ItemJob job, const std::string& command, const JobControl& control);
// Returns the process exit code; errors go to stderr. `command` is the command line, for provenance.
int cmd_items(const ItemJobOptions& o, ItemJob job, const std::string& command);

}  // namespace ms

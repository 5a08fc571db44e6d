// `mambascope-cli delete-run --db RESULTS.db --run ID [--vacuum]`: removes a run and everything it
// holds (sequences, tracks and tiles, predictions, variants, embeddings) from a results database,
// in one transaction, refusing a run a job is writing; --vacuum then gives the freed space back to
// the disk. Without it users deleted runs by hand in SQLite, which left the run's rows behind
// (foreign keys are off there by default) for the next run to inherit.
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"

namespace CLI {
class App;
}

namespace ms {

struct DeleteRunOptions {
    std::string db;
    int64_t run = 0;
    bool vacuum = false;
    // The calling program itself keeps the database open (the desktop application's views): the
    // file cannot shrink until it closes, and that is no other program's doing.
    bool caller_has_it_open = false;
};

void add_delete_run_options(CLI::App* sub, DeleteRunOptions& o);
// What was removed, as lines for the terminal.
Result<std::string> run_delete_run(const DeleteRunOptions& o);
int cmd_delete_run(const DeleteRunOptions& o);

}  // namespace ms

// How a long job (score, embed, classify, variants, mutagenesis) and whoever started it talk: the
// caller can cancel it, and it reports progress and notes as it goes, then hands back what it did.
// The CLI wires this to SIGINT and stderr (run_cli_job); the GUI's job queue to a stop button,
// progress bars and the log panel. A cancelled job commits what it has and marks its run
// interrupted — that is an outcome, not an error.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "common/error.h"
#include "genomics/results_store.h"

namespace ms {

struct JobProgress {
    std::string job;               // "score", "embed" ...
    std::string item;              // the sequence or item at hand, when there is one
    int64_t done = 0, total = -1;  // in `unit`; total -1: not known in advance
    std::string unit = "bases";    // "bases", "items", "records"
    double seconds = 0;            // since the job started
    bool last = false;             // the final report
    double rate() const { return seconds > 0 ? double(done) / seconds : 0.0; }
    // Seconds left at the rate so far; -1 when unknown.
    double eta() const;
};

// The one line a person reads: "score: chr1  1.20 of 48.50 Mbp (2%)  0.310 Mbp/s  ETA 152 s".
std::string describe(const JobProgress& p);

class JobControl {
public:
    // Set by the caller (from any thread) to stop the job at its next block.
    const std::atomic<bool>* cancel = nullptr;
    // Called from the job's threads (one at a time per job), possibly often: keep them cheap.
    std::function<void(const JobProgress&)> on_progress;
    std::function<void(const std::string&)> on_note;   // what the job chose or found ("using the CPU")

    bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
    void progress(const JobProgress& p) const {
        if (on_progress) on_progress(p);
    }
    void note(const std::string& text) const {
        if (on_note) on_note(text);
    }
};

struct JobOutcome {
    int64_t run_id = 0;  // 0: no run was written (variants without a database)
    RunStatus status = RunStatus::finished;
    std::string db;      // the results database the run is in
    std::string summary; // for people: counts, time, device (stderr in the CLI)
    std::string result;  // where the results are (stdout in the CLI)
};

// The CLI side: Ctrl-C cancels, progress lines (unless quiet) and notes go to stderr, the outcome's
// summary to stderr and its result to stdout. Returns the exit code: 0, 130 when interrupted, 1 on
// an error (printed as "error: ...").
int run_cli_job(bool quiet, const std::function<Result<JobOutcome>(const JobControl&)>& job);

}  // namespace ms

// Ctrl-C (SIGINT), SIGTERM (what a cluster scheduler sends at a job's time limit) and SIGHUP (the
// terminal of an ssh session gone; it ended the job with the run left "running") for long jobs and
// exports: while an InterruptScope lives, each sets a flag the job's stages poll, so
// the job stops between blocks, commits what it has and marks its run interrupted, and an export
// removes its unfinished temporary file, instead of dying half-way through a write. The same
// signal a second time ends the process at once, for a job stuck inside a block.
#pragma once

#include <atomic>
#include <csignal>

namespace ms {

// The flag SIGINT, SIGTERM and SIGHUP set.
std::atomic<bool>& interrupted();

class InterruptScope {
public:
    InterruptScope();   // clears the flag and installs the handler for the three signals
    ~InterruptScope();  // restores the previous handlers
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;

private:
    void (*previous_int_)(int);
    void (*previous_term_)(int);
    void (*previous_hup_)(int);
};

}  // namespace ms

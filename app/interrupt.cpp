#include "app/interrupt.h"

#include <unistd.h>

namespace ms {

namespace {
std::atomic<bool> g_flag{false};

// The first signal asks the job to stop between blocks and says so; a second one, while the job
// has not yet got there (a block that takes long, a read that hangs), ends the process as the
// signal's default would: SQLite's journal keeps the results database whole, and the run stays
// unfinished for --resume. Only async-signal-safe calls: a lock-free atomic, write(2), signal(),
// raise().
extern "C" void ms_on_interrupt(int sig) {
    if (g_flag.exchange(true)) {
        std::signal(sig, SIG_DFL);
        std::raise(sig);
        return;
    }
    if (sig == SIGHUP) return;  // its terminal is gone: a write could only raise SIGPIPE
    static const char kSaid[] = "\nstopping after the current block; the same signal again stops at once\n";
    [[maybe_unused]] const ssize_t n = write(STDERR_FILENO, kSaid, sizeof kSaid - 1);
}
}  // namespace

std::atomic<bool>& interrupted() { return g_flag; }

InterruptScope::InterruptScope() {
    g_flag = false;
    previous_int_ = std::signal(SIGINT, ms_on_interrupt);
    previous_term_ = std::signal(SIGTERM, ms_on_interrupt);
    previous_hup_ = std::signal(SIGHUP, ms_on_interrupt);
}

InterruptScope::~InterruptScope() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
    std::signal(SIGHUP, previous_hup_);
}

}  // namespace ms

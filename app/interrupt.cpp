#include "app/interrupt.h"

namespace ms {

namespace {
std::atomic<bool> g_flag{false};
extern "C" void ms_on_interrupt(int) { g_flag = true; }  // lock-free atomic store: async-signal-safe
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

#include "app/interrupt.h"

namespace ms {

namespace {
std::atomic<bool> g_flag{false};
extern "C" void ms_on_sigint(int) { g_flag = true; }   // lock-free atomic store: async-signal-safe
}  // namespace

std::atomic<bool>& interrupted() { return g_flag; }

SigintScope::SigintScope() {
    g_flag = false;
    previous_ = std::signal(SIGINT, ms_on_sigint);
}

SigintScope::~SigintScope() { std::signal(SIGINT, previous_); }

}  // namespace ms

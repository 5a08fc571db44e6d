// Ctrl-C for long jobs: while a SigintScope lives, SIGINT sets a flag the job's stages poll, so the
// job stops between blocks, commits what it has, and marks its run interrupted instead of dying
// half-way through a write.
#pragma once

#include <atomic>
#include <csignal>

namespace ms {

// The flag SIGINT sets.
std::atomic<bool>& interrupted();

class SigintScope {
public:
    SigintScope();    // clears the flag and installs the handler
    ~SigintScope();   // restores the previous handler
    SigintScope(const SigintScope&) = delete;
    SigintScope& operator=(const SigintScope&) = delete;

private:
    void (*previous_)(int);
};

}  // namespace ms

// How many threads the CPU backends of one process may run. Each thread that calls OpenBLAS keeps
// a buffer of its own for the rest of the process (~128 MiB of address space), beside its stack
// and glibc's malloc arena (64 MiB reserved): ~200 MiB a thread, measured with OpenBLAS 0.3.21.
// Under an address-space limit (`ulimit -v`, RLIMIT_AS) too small for them, OpenBLAS retries its
// mmap forever: the job spins on every core and never ends (64 threads under 3 GB did). So the
// threads of all CPU backends share half of what the limit left free when the first one opened;
// the other half is for the job's own arrays.
#pragma once

#include <cstdint>
#include <string>

namespace ms {

inline constexpr uint64_t kThreadAddressSpace = uint64_t(200) << 20;

// Threads held by one CPU backend for its lifetime; given back when it is destroyed.
class CpuThreadGrant {
public:
    explicit CpuThreadGrant(int asked);  // asked ≤ 0: one per hardware thread
    ~CpuThreadGrant();
    CpuThreadGrant(const CpuThreadGrant&) = delete;
    CpuThreadGrant& operator=(const CpuThreadGrant&) = delete;

    int threads() const { return threads_; }
    // Why fewer threads than asked, for the job's notes; empty when all were granted.
    const std::string& shortfall() const { return shortfall_; }

private:
    int threads_ = 1;
    std::string shortfall_;
};

// The threads a process may run under `limit` bytes of address space (0: no limit) with `mapped`
// bytes already mapped, at least 1 and at most `asked`.
int cpu_threads_within(uint64_t limit, uint64_t mapped, int asked);

}  // namespace ms

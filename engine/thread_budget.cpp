#include "engine/thread_budget.h"

#include <sys/resource.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/error.h"

namespace ms {

namespace {

// RLIMIT_AS's soft limit in bytes; 0 when there is none.
uint64_t address_space_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_AS, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return 0;
    return uint64_t(r.rlim_cur);
}

// The address space the process has mapped now (VmSize), 0 when /proc cannot say.
uint64_t mapped_bytes() {
    std::ifstream statm("/proc/self/statm");
    uint64_t pages = 0;
    if (!(statm >> pages)) return 0;
    return pages * uint64_t(sysconf(_SC_PAGESIZE));
}

// The process's ledger: threads granted to live backends against the budget fixed when the first
// one opened (what was mapped then, the libraries and OpenBLAS's own threads, is the baseline).
std::mutex ledger_mutex;
int ledger_budget = -1;  // -1: not yet fixed; 0: no limit
int ledger_granted = 0;

std::string gib(uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", double(bytes) / double(uint64_t(1) << 30));
    return text;
}

}  // namespace

int cpu_threads_within(uint64_t limit, uint64_t mapped, int asked) {
    asked = std::max(1, asked);
    if (limit == 0) return asked;
    const uint64_t free_bytes = limit > mapped ? limit - mapped : 0;
    return int(std::clamp<uint64_t>(free_bytes / 2 / kThreadAddressSpace, 1, uint64_t(asked)));
}

CpuThreadGrant::CpuThreadGrant(int asked) {
    if (asked <= 0) asked = int(std::max(1u, std::thread::hardware_concurrency()));
    std::lock_guard<std::mutex> lock(ledger_mutex);
    const uint64_t limit = address_space_limit();
    if (ledger_budget < 0) ledger_budget = limit ? cpu_threads_within(limit, mapped_bytes(), 1 << 20) : 0;
    threads_ = ledger_budget == 0 ? asked : std::clamp(ledger_budget - ledger_granted, 1, asked);
    ledger_granted += threads_;
    if (threads_ < asked)
        shortfall_ = cat(threads_, " CPU thread(s) of the ", asked, " asked for: the address-space limit (ulimit -v ",
                         limit / 1024, ", ", gib(limit), " GiB) holds OpenBLAS's buffers (~", kThreadAddressSpace >> 20,
                         " MiB a thread) for no more");
}

CpuThreadGrant::~CpuThreadGrant() {
    std::lock_guard<std::mutex> lock(ledger_mutex);
    ledger_granted -= threads_;
}

}  // namespace ms

// Which process writes a run: while a job writes run N of DB it holds an exclusive flock on
// "DB.run-N.lock" (the file holds its PID). The kernel drops the lock when the process ends, however
// it ends, so a run whose job was killed is free again with nothing to clean up. `--resume` takes
// the lock first: a second job resuming a run still being written scored it twice and flipped it
// back to "interrupted" when the first was stopped (found in review); `info` tells a run being
// written from one whose job is gone, which both read "running".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"

namespace ms {

class RunLock {
public:
    // Fails, naming the PID, when another process holds the run. Where no lock file can be made
    // (a read-only folder) the job goes on without one: it could not write the database either.
    static Result<RunLock> acquire(const std::string& db, int64_t run);
    // The PID of the process writing the run, if one is.
    static std::optional<long> holder(const std::string& db, int64_t run);

    RunLock(RunLock&& other) noexcept;
    RunLock& operator=(RunLock&&) = delete;
    ~RunLock();  // removes the file, then lets go

private:
    RunLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::string path_;
    int fd_ = -1;
};

}  // namespace ms

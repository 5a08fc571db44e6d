#include "app/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ms {

namespace {

std::string lock_path(const std::string& db, int64_t run) { return cat(db, ".run-", run, ".lock"); }

long read_pid(int fd) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    return n > 0 ? std::strtol(buf, nullptr, 10) : 0;
}

}  // namespace

Result<RunLock> RunLock::acquire(const std::string& db, int64_t run) {
    const std::string path = lock_path(db, run);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return RunLock(std::string(), -1);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        const long pid = read_pid(fd);
        ::close(fd);
        if (err == EWOULDBLOCK)
            return make_error("run ", run, " of '", db, "' is being written by another job (process ",
                              pid > 0 ? cat(pid) : std::string("unknown"),
                              "); wait for it to end, or stop it, then resume");
        return RunLock(std::string(), -1);  // a file system without flock: no lock, as above
    }
    const std::string pid = cat(long(::getpid()), "\n");
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != ssize_t(pid.size())) {
        // The lock holds without the PID in it; messages then say "unknown".
    }
    return RunLock(path, fd);
}

std::optional<long> RunLock::holder(const std::string& db, int64_t run) {
    const int fd = ::open(lock_path(db, run).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::optional<long> pid;
    // A shared lock is refused only while a job holds the exclusive one.
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) pid = read_pid(fd);
    } else {
        ::flock(fd, LOCK_UN);
    }
    ::close(fd);
    return pid;
}

RunLock::RunLock(RunLock&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) { other.fd_ = -1; }

RunLock::~RunLock() {
    if (fd_ < 0) return;
    ::unlink(path_.c_str());
    ::close(fd_);
}

}  // namespace ms

#include "app/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

namespace ms {

namespace {

// By the database's resolved path: a job started through a link or another spelling of the path
// locks the same file.
std::string lock_path(const std::string& db, int64_t run) {
    std::error_code ec;
    const std::filesystem::path resolved = std::filesystem::weakly_canonical(db, ec);
    return cat(ec ? db : resolved.string(), ".run-", run, ".lock");
}

long read_pid(int fd) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    return n > 0 ? std::strtol(buf, nullptr, 10) : 0;
}

// Opens the lock file, read-write when it may be created or written, else read-only (a file left
// by another user's killed job in a shared folder: flock works on either).
int open_lock(const std::string& path, bool& writable) {
    writable = true;
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0664);
    if (fd < 0 && errno == EACCES) {
        writable = false;
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    }
    return fd;
}

}  // namespace

Result<RunLock> RunLock::acquire(const std::string& db, int64_t run) {
    const std::string path = lock_path(db, run);
    // For about a second: `info` takes the lock shared for a moment to see whether a job holds it.
    for (int attempt = 0;; ++attempt) {
        bool writable = true;
        const int fd = open_lock(path, writable);
        if (fd < 0) return RunLock(std::string(), -1);   // no lock where none can be made; see run_lock.h
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            // The file may have been removed by the job that held it, between our open and our lock:
            // a lock on a file without a name excludes no one. Then again, on the file now there.
            struct stat held {}, named {};
            if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
                held.st_ino == named.st_ino) {
                if (writable) {
                    const std::string pid = cat(long(::getpid()), "\n");
                    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != ssize_t(pid.size())) {
                        // The lock holds without the PID in it; messages then say "unknown".
                    }
                }
                return RunLock(writable ? path : std::string(), fd);
            }
            ::close(fd);
            continue;
        }
        const int err = errno;
        const long pid = read_pid(fd);
        ::close(fd);
        if (err != EWOULDBLOCK) return RunLock(std::string(), -1);   // a file system without flock
        if (attempt >= 50)
            return make_error("run ", run, " of '", db, "' is being written by another job (process ",
                              pid > 0 ? cat(pid) : std::string("unknown"), "); wait for it to end, or stop it");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
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
    // Removed while still held: a job that opened the file meanwhile finds, once it has the lock,
    // that the name no longer leads to it, and starts again on a new file (acquire's inode check).
    if (!path_.empty()) ::unlink(path_.c_str());
    ::close(fd_);
}

}  // namespace ms

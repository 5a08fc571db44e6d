// Runs a test's body as nobody (uid 65534) in a child process when the test runs as root, who may
// write anything: what a write-protected or another user's file does to an ordinary user.
#pragma once

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace ms::test {

// `body`'s verdict as an exit status: 0 when it returned true, 1 when false, 77 when the child could
// not become nobody (uid 65534 not mapped in a user namespace: the caller skips), 3 when it died.
template <typename F>
int as_nobody(F body) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Without root's supplementary groups (gid 0 among them).
        if (::getuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
            ::_exit(77);
        ::_exit(body() ? 0 : 1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

}  // namespace ms::test

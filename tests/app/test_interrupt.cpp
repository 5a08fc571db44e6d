// The first SIGINT/SIGTERM/SIGHUP asks the job to stop between blocks; the same signal again, for a
// job stuck inside a block, ends the process as the signal's default would.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include "app/interrupt.h"
#include "tests/common/harness.h"

namespace {

// Runs `body` in a child process and returns its wait status.
template <typename Body>
int in_child(Body body) {
    const pid_t pid = fork();
    if (pid == 0) {
        const int null = open("/dev/null", O_WRONLY);  // the handler's message stays out of the log
        if (null >= 0) dup2(null, STDERR_FILENO);
        body();
        std::_Exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

}  // namespace

MS_TEST(a_first_signal_sets_the_flag_and_the_process_lives) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
        const int status = in_child([sig] {
            ms::InterruptScope scope;
            std::raise(sig);
            std::_Exit(ms::interrupted() ? 7 : 3);
        });
        MS_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 7, "signal " << sig << " status " << status);
    }
}

MS_TEST(the_same_signal_again_ends_the_process) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
        const int status = in_child([sig] {
            ms::InterruptScope scope;
            std::raise(sig);
            std::raise(sig);
            std::_Exit(5);
        });
        MS_CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == sig, "signal " << sig << " status " << status);
    }
}

MS_TEST(a_new_scope_starts_from_a_first_signal) {
    const int status = in_child([] {
        {
            ms::InterruptScope first;
            std::raise(SIGINT);
        }
        ms::InterruptScope second;  // the flag cleared: the next job's first Ctrl-C only asks
        std::raise(SIGINT);
        std::_Exit(ms::interrupted() ? 7 : 3);
    });
    MS_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 7, "status " << status);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

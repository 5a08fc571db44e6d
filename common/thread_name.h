// Names the calling thread (Linux: at most 15 characters shown), so `top -H`, `ps -L`, gdb and
// /proc/PID/task/*/comm tell a job's reader, engine lanes, writer and encoders apart when one
// of them sets a job's pace (docs/performance.md measures them that way).
#pragma once

#include <string>

#if defined(__linux__)
#include <pthread.h>
#endif

namespace ms {

inline void name_this_thread(const std::string& name) {
#if defined(__linux__)
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
#else
    (void)name;
#endif
}

}  // namespace ms

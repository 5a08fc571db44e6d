// A small tmpfs for a test's life, standing for a disk that fills (or, remounted read-only, for
// read-only media): a mount an earlier, killed run left on the folder is dropped first (it would
// otherwise make the folder busy for every later run), and the mount goes with the object.
// Mounting needs root with CAP_SYS_ADMIN, as CI runs; elsewhere the test is skipped, saying why.
#pragma once

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "common/error.h"
#include "tests/common/harness.h"

namespace ms::test {

struct SmallDisk {
    const std::string dir;
    // `size` as mount takes it: "1m", "64k".
    SmallDisk(const std::filesystem::path& where, const std::string& size) : dir(where.string()) {
        std::filesystem::create_directories(where);
        umount2(dir.c_str(), MNT_DETACH);
        if (mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) != 0)
            throw Skip{cat("cannot mount a ", size, " tmpfs on ", dir, " (", std::strerror(errno),
                           "): it needs root with CAP_SYS_ADMIN")};
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;
    ~SmallDisk() { umount2(dir.c_str(), MNT_DETACH); }
};

}  // namespace ms::test

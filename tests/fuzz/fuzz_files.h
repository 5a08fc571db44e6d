// Fuzz targets feed bytes to our file readers the way a user's file reaches them: written to a
// real file in a private scratch folder and opened through the same wrapper the CLI uses. The
// folder lives in /dev/shm when there is one (no disk I/O per execution) and is removed at exit.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace ms::fuzz {

inline const std::string& scratch_dir() {
    // Never destroyed: the atexit handler that removes the folder runs after static destructors.
    static const std::string* const dir = [] {
        const std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
        std::string tmpl = base + "/mambascope-fuzz-XXXXXX";
        if (!::mkdtemp(tmpl.data())) std::abort();   // no scratch space: nothing can be fuzzed
        std::atexit([] { std::error_code ec; std::filesystem::remove_all(scratch_dir(), ec); });
        return new std::string(tmpl);
    }();
    return *dir;
}

// Replaces `name` in the scratch folder with exactly `size` bytes of `data`; returns its path.
inline std::string write_file(const std::string& name, const uint8_t* data, size_t size) {
    const std::string path = scratch_dir() + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    if (std::fclose(f) != 0) std::abort();
    return path;
}

inline void remove_file(const std::string& name) {
    std::error_code ec;
    std::filesystem::remove(scratch_dir() + "/" + name, ec);
}

}  // namespace ms::fuzz

// Writing a file so that readers see either the old file or the complete new one, never a
// half-written result (a full disk or a cancel leaves the previous file in place).
#pragma once

#include <cstdio>
#include <string>

#include "common/error.h"

namespace ms {

class AtomicFile {
public:
    // Opens `path + ".tmp-<pid>"` for writing next to `path`.
    static Result<AtomicFile> create(const std::string& path);
    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    ~AtomicFile();   // removes the temporary file unless commit() succeeded

    Result<void> write(const void* data, size_t bytes);
    // Flushes, fsyncs and renames over `path`.
    Result<void> commit();

private:
    AtomicFile(std::string path, std::string tmp, std::FILE* f) : path_(std::move(path)), tmp_(std::move(tmp)), f_(f) {}
    std::string path_, tmp_;
    std::FILE* f_ = nullptr;
    bool committed_ = false;
};

}  // namespace ms

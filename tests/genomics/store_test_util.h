// Helpers the results-store tests share: a fresh database path under the build tree, unwrapping a
// Result that must succeed, and substring checks on error messages.
#pragma once

#include <filesystem>
#include <string>

#include "common/error.h"
#include "tests/common/harness.h"

namespace ms::test {

// `<build>/tests/genomics/<folder>/<name>.db`, with any earlier file of that name and its WAL,
// shared-memory and journal files removed.
inline std::string fresh_db(const std::string& folder, const std::string& name) {
    const std::filesystem::path dir = std::filesystem::path(MS_TEST_BINARY_DIR) / folder;
    std::filesystem::create_directories(dir);
    const std::string path = (dir / (name + ".db")).string();
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix);
    return path;
}

template <class T>
T ok(Result<T> r) {
    if (!r) throw Failure{"unexpected error: " + r.error().message};
    return std::move(*r);
}
inline void ok(Result<void> r) {
    if (!r) throw Failure{"unexpected error: " + r.error().message};
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace ms::test

#include "genomics/index_age.h"

#include <sys/stat.h>

#include "common/error.h"
#include "common/warnings.h"

namespace ms {

namespace {

bool older(const struct stat& a, const struct stat& b) {
    return a.st_mtim.tv_sec < b.st_mtim.tv_sec ||
           (a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec < b.st_mtim.tv_nsec);
}

}  // namespace

void warn_of_index_age(const std::string& path, const std::string& index, const std::string& remake) {
    struct stat data {
    }, st{};
    if (::stat(path.c_str(), &data) != 0) return;  // a URL or a vanished file: htslib says
    if (index.empty() || ::stat(index.c_str(), &st) != 0 || !older(st, data)) return;
    warn(cat("the index '", index, "' is older than '", path, "': if the file was changed after it was ",
             "indexed, regions read through it may miss or mix up records; remake it with `", remake,
             "` (or, if it is current, `touch` it)"));
}

}  // namespace ms

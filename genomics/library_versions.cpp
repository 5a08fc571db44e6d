#include "genomics/library_versions.h"

#include <htslib/hts.h>
#include <sqlite3.h>

namespace ms {

std::string htslib_version() { return hts_version(); }
std::string sqlite_version() { return sqlite3_libversion(); }

}  // namespace ms

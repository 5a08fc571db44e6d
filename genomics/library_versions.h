// Versions of the genomics layer's C libraries as loaded at run time, for --version.
#pragma once

#include <string>

namespace ms {

std::string htslib_version();
std::string sqlite_version();

}  // namespace ms

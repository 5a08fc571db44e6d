// The version facts shown by `mambascope-cli --version` and the GUI's About box: version, git
// revision, compiled backends (CUDA with its architectures, or why not), usable GPUs, and the
// versions of htslib, SQLite and Qt.
#pragma once

#include <string>

namespace ms {

// `qt_runtime`: the Qt version loaded (the GUI passes qVersion()); empty in the CLI, which never loads Qt.
std::string version_report(const std::string& program, const std::string& qt_runtime = {});

}  // namespace ms

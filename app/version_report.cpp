#include "app/version_report.h"

#include "common/error.h"
#include "common/version.h"
#include "engine/backend_registry.h"
#include "genomics/library_versions.h"

namespace ms {

std::string version_report(const std::string& program, const std::string& qt_runtime) {
    std::string qt = qt_runtime.empty() ? cat(MAMBASCOPE_QT_BUILD_VERSION, " (built against; used by the GUI only, the CLI does not load Qt)")
                                        : cat(qt_runtime, " (built against ", MAMBASCOPE_QT_BUILD_VERSION, ")");
    return cat(program, " ", build::version, " (revision ", build::git_revision, ", ", build::build_type, ", ",
               build::compiler, ")\n",
               backends_report(),
               "libraries:\n",
               "  htslib  ", htslib_version(), "\n",
               "  SQLite  ", sqlite_version(), "\n",
               "  Qt      ", qt, "\n");
}

}  // namespace ms

#include "app/version_report.h"

#include "app/bundled_model.h"
#include "common/error.h"
#include "common/version.h"
#include "engine/backend_registry.h"
#include "genomics/library_versions.h"

namespace ms {

std::string version_report(const std::string& program, const std::string& qt_runtime) {
    const std::string built = MAMBASCOPE_QT_BUILD_VERSION;
    const std::string model = bundled_model_dir();
    std::string qt = built.empty()        ? std::string("none (a build without the GUI)")
                     : qt_runtime.empty() ? cat(built, " (built against; used by the GUI only, the CLI does not load Qt)")
                                          : cat(qt_runtime, " (built against ", built, ")");
    return cat(program, " ", build::version, " (revision ", build::git_revision, ", ", build::build_type, ", ",
               build::compiler, ")\n",
               backends_report(),
               "libraries:\n",
               "  htslib  ", htslib_version(), "\n",
               "  SQLite  ", sqlite_version(), "\n",
               "  Qt      ", qt, "\n",
               "default model (jobs without --model):\n",
               "  ", model_dir_override() ? "MAMBASCOPE_MODEL_DIR" : kDefaultModelName, "  ",
               model.empty() ? std::string("not found: jobs need --model") : model, "\n");
}

}  // namespace ms

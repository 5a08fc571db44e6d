// A bgzipped result's index (genomics/bgzip_index.h): the .tbi or .csi of an earlier file at the
// path is replaced, so one this user may not write is refused before any work, as the result itself
// would be (it was replaced without a word). Root may write anything: the writer runs as nobody.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "genomics/bgzip_index.h"
#include "tests/common/as_nobody.h"
#include "tests/common/harness.h"

namespace fs = std::filesystem;

namespace {

// Whether `r` failed with exactly `message` (said on stderr when not: the child's only voice).
template <typename R>
bool refused_with(const R& r, const std::string& what, const std::string& message) {
    if (!r && r.error().message == message) return true;
    std::fprintf(stderr, "%s: %s\n", what.c_str(), r ? "accepted" : r.error().message.c_str());
    return false;
}

}  // namespace

MS_TEST(an_index_this_user_may_not_write_is_refused_before_the_export) {
    if (::getuid() != 0) MS_SKIP("needs root, to stand for the other user whose index is refused");
    char dir_t[] = "/tmp/ms-bgzip-XXXXXX";
    MS_CHECK(::mkdtemp(dir_t));
    const std::string dir = dir_t, out = dir + "/x.bed.gz";
    MS_CHECK(::chmod(dir.c_str(), 0777) == 0);
    std::ofstream(out + ".tbi") << "old\n";
    MS_CHECK(::chmod((out + ".tbi").c_str(), 0444) == 0);
    const struct passwd* pw = ::getpwuid(::getuid());
    const std::string owner = pw ? pw->pw_name : "root";
    const int status = ms::test::as_nobody([&] {
        if (!refused_with(ms::BgzipWriter::create(out), "another's .tbi",
                          "cannot write '" + out + ".tbi': it belongs to " + owner +
                              ", and you may not write it; choose another name"))
            return false;
        if (fs::exists(out) || fs::exists(out + ".tmp-" + std::to_string(::getpid()))) return false;
        // Its own write-protected .csi: told how to make it writable.
        std::ofstream(out + ".csi") << "old\n";
        ::chmod((out + ".csi").c_str(), 0444);
        ::unlink((out + ".tbi").c_str());  // the folder is everyone's: removable, not writable
        if (!refused_with(ms::BgzipWriter::create(out), "own .csi",
                          "cannot write '" + out + ".csi': it is write-protected; make it writable (`chmod u+w " + out +
                              ".csi`) or choose another name"))
            return false;
        // Writable: the export goes ahead, and the stale .csi gives way to the new .tbi.
        ::chmod((out + ".csi").c_str(), 0644);
        auto w = ms::BgzipWriter::create(out);
        return w && w->write("c\t1\t5\t0.5\n") && w->commit(ms::TabixPreset::bed) && fs::exists(out + ".tbi") &&
               !fs::exists(out + ".csi");
    });
    if (status == 77) {
        fs::remove_all(dir);
        MS_SKIP("cannot become nobody (uid 65534) here");
    }
    MS_CHECK_EQ(status, 0);
    fs::remove_all(dir);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

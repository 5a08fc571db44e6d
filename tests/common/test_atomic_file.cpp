// Where atomically written results go (common/atomic_file.h): a write-protected file is refused as
// `cp` refuses it, instead of replaced by the rename (the rename needs only the folder). Root may
// write anything, so the writer drops to nobody in a child process when run as root.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "common/atomic_file.h"
#include "tests/common/as_nobody.h"
#include "tests/common/harness.h"

namespace fs = std::filesystem;

namespace {

std::string read(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

MS_TEST(a_write_protected_result_is_refused_not_replaced) {
    char dir_t[] = "/tmp/ms-atomic-XXXXXX";
    MS_CHECK(::mkdtemp(dir_t));
    const std::string dir = dir_t, kept = dir + "/kept.tsv", open = dir + "/open.tsv", link = dir + "/link.tsv";
    std::ofstream(kept) << "old\n";
    std::ofstream(open) << "old\n";
    MS_CHECK(::chmod(dir.c_str(), 0777) == 0 && ::chmod(kept.c_str(), 0444) == 0 && ::chmod(open.c_str(), 0666) == 0);
    fs::create_symlink("kept.tsv", link);
    const struct passwd* pw = ::getpwuid(::getuid());
    const std::string owner = pw ? pw->pw_name : "root";
    const int status = ms::test::as_nobody([&] {
        auto refused = ms::AtomicFile::create(kept);
        if (refused || refused.error().message != "cannot write '" + kept + "': it belongs to " + owner +
                                                      ", and you may not write it; choose another name") {
            std::fprintf(stderr, "kept: %s\n", refused ? "accepted" : refused.error().message.c_str());
            return false;
        }
        auto through = ms::resolve_output(link);
        if (through ||
            through.error().message.find("its target '" + kept + "' belongs to " + owner) == std::string::npos) {
            std::fprintf(stderr, "link: %s\n", through ? "accepted" : through.error().message.c_str());
            return false;
        }
        // Its own write-protected file: the user is told how to make it writable.
        const std::string mine = dir + "/mine.tsv";
        std::ofstream(mine) << "old\n";
        ::chmod(mine.c_str(), 0444);
        auto own = ms::resolve_output(mine);
        if (own || own.error().message != "cannot write '" + mine + "': it is write-protected; make it writable " +
                                              "(`chmod u+w " + mine + "`) or choose another name") {
            std::fprintf(stderr, "mine: %s\n", own ? "accepted" : own.error().message.c_str());
            return false;
        }
        auto f = ms::AtomicFile::create(open);  // writable by all: replaced as before
        return f && f->write("new\n", 4) && f->commit();
    });
    if (status == 77) {
        fs::remove_all(dir);
        MS_SKIP("cannot become nobody (uid 65534) here");
    }
    MS_CHECK_EQ(status, 0);
    MS_CHECK_EQ(read(kept), std::string("old\n"));
    MS_CHECK_EQ(read(open), std::string("new\n"));
    // Root may write it, as `cp` may: taken.
    if (::getuid() == 0) MS_CHECK(ms::resolve_output(kept).ok());
    fs::remove_all(dir);
}

// An output is refused where it, or what is written beside it, would replace an input or a file
// read with one: a model's weights or configuration given as --out, an input's index given as an
// output, a database named as an export's row index (each replaced the input, and every later run
// on it failed; found in review). Files beside an input that are not read with it may be written.
MS_TEST(outputs_may_not_replace_inputs_or_what_is_read_with_them) {
    const fs::path dir = fs::current_path() / "overwrite_inputs_tmp";
    fs::remove_all(dir);
    fs::create_directories(dir / "model");
    for (const char* f : {"model/config.json", "model/model.safetensors", "model/README.md", "q.vcf.gz", "q.vcf.gz.tbi",
                          "r.bam", "r.bai", "keep.db"})
        std::ofstream(dir / f) << "x";
    const std::string model = (dir / "model").string(), vcf = (dir / "q.vcf.gz").string();
    auto refused = [&](const std::string& out, std::initializer_list<std::string> inputs, const std::string& why) {
        auto r = ms::refuse_overwriting_inputs(out, inputs);
        MS_CHECK_MSG(!r && r.error().message.find(why) != std::string::npos,
                     out << ": " << (r ? std::string("accepted") : r.error().message));
    };
    refused((dir / "model" / "model.safetensors").string(), {vcf, model},
            "model.safetensors' is read with the input '" + model + "': writing it would replace the input's file");
    refused((dir / "model" / "config.json").string(), {model}, "read with the input");
    refused((dir / "q.vcf.gz.tbi").string(), {vcf}, "read with the input '" + vcf + "'");
    refused((dir / "r.bai").string(), {(dir / "r.bam").string()}, "read with the input");
    refused((dir / "new.fa.fai").string(), {(dir / "new.fa").string()}, "read with the input");  // built by the job
    refused((dir / "x.npy").string(), {(dir / "x.npy.index.tsv").string()}, "', written with the output '");
    refused((dir / "out.bed.gz").string(), {(dir / "out.bed.gz.tbi").string()}, "written with the output");
    // A database's journal, WAL or shared-memory file: taken for a hot journal next time, or deleted on close.
    const std::string db = (dir / "keep.db").string();
    for (const char* sqlite : {"-journal", "-wal", "-shm"})
        refused(db + sqlite, {db}, "'" + db + sqlite + "' is read with the input '" + db + "'");
    refused(vcf, {vcf}, "the output '" + vcf + "' is the input '" + vcf + "': writing it would replace the input;");
    for (const char* fine : {"model/README.md", "model/notes.tsv", "q.tsv", "x.bed"})
        MS_CHECK_MSG(ms::refuse_overwriting_inputs((dir / fine).string(), {vcf, model, (dir / "keep.db").string()}),
                     fine);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

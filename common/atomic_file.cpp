#include "common/atomic_file.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

namespace ms {

Result<std::string> resolve_output(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    // What the kernel reaches first: /dev/stdout into a pipe is the magic link /proc/self/fd/1,
    // whose "target" (pipe:[N]) is no path to follow (it was read as a file name in /proc).
    if (const fs::file_status reached = fs::status(path, ec);
        fs::exists(reached) && !fs::is_regular_file(reached) && !fs::is_directory(reached))
        return make_error("cannot write '", path,
                          "': it is not a regular file (a device, pipe or socket); results are ",
                          "written whole to a file and moved into place, so name a file");
    std::string target = path;
    // Through every link in the chain, one at a time: the final target may not exist yet (a
    // dangling link), where weakly_canonical would stop at the link itself.
    for (int hops = 0; fs::is_symlink(target, ec); ++hops) {
        if (hops == 40) return make_error("cannot write '", path, "': too many levels of symbolic links");
        const fs::path next = fs::read_symlink(target, ec);
        if (ec) return make_error("cannot write '", path, "': its symbolic link cannot be followed: ", ec.message());
        target = (next.is_absolute() ? next : fs::path(target).parent_path() / next).lexically_normal().string();
    }
    if (target != path) {
        const fs::path folder = fs::path(target).parent_path();
        if (!folder.empty() && !fs::is_directory(folder, ec))
            return make_error("cannot write '", path, "': its symbolic link leads to '", target,
                              "', whose folder does not exist");
    }
    const fs::file_status st = fs::status(target, ec);
    if (fs::is_directory(st)) return make_error("cannot write '", path, "': it is a folder");
    if (fs::exists(st) && !fs::is_regular_file(st))
        return make_error("cannot write '", path,
                          "': it is not a regular file (a device, pipe or socket); results are ",
                          "written whole to a file and moved into place, so name a file");
    // The rename that puts a result in place replaces a file this user may not write (it only needs
    // the folder), where `cp` or a shell's `>` would refuse: a write-protected result stays as it is.
    if (fs::exists(st) && ::access(target.c_str(), W_OK) != 0 && errno == EACCES) {
        const std::string what = target != path ? cat("its target '", target, "'") : std::string("it");
        struct stat own {};
        if (::stat(target.c_str(), &own) == 0 && own.st_uid != ::geteuid()) {
            // Another user's file in a shared folder: only its owner may change that.
            const struct passwd* pw = ::getpwuid(own.st_uid);
            return make_error("cannot write '", path, "': ", what, " belongs to ",
                              pw ? std::string(pw->pw_name) : cat("user ", own.st_uid),
                              ", and you may not write it; choose another name");
        }
        return make_error("cannot write '", path, "': ", what, " is write-protected; make it writable (`chmod u+w ",
                          target, "`) or choose another name");
    }
    return target;
}

void remove_stale_temporaries(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path target(path);
    const std::string name = target.filename().string();
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    // A PID can be on another host sharing the folder (a cluster's file system) or in another
    // container, where kill() cannot see it: only files of this user untouched for an hour are
    // taken for a killed job's, and only the exact names the writers make.
    const auto hour_ago = fs::file_time_type::clock::now() - std::chrono::hours(1);
    long pid_max = 4194304;
    if (std::FILE* f = std::fopen("/proc/sys/kernel/pid_max", "r")) {
        if (std::fscanf(f, "%ld", &pid_max) != 1) pid_max = 4194304;
        std::fclose(f);
    }
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string other = it->path().filename().string();
        for (const char* tag : {".tmp-", ".partial-"}) {
            const std::string prefix = name + tag;
            if (other.size() <= prefix.size() || other.compare(0, prefix.size(), prefix) != 0) continue;
            size_t digits = prefix.size();
            while (digits < other.size() && std::isdigit(static_cast<unsigned char>(other[digits]))) ++digits;
            if (digits == prefix.size() || digits - prefix.size() > 9) continue;
            const std::string rest = other.substr(digits);  // an index's or SQLite's companion, or nothing
            if (!rest.empty() && rest != ".tbi" && rest != ".csi" && rest != "-journal" && rest != "-wal" &&
                rest != "-shm")
                continue;
            const long pid = std::stol(other.substr(prefix.size(), digits - prefix.size()));
            if (pid <= 0 || pid > pid_max || pid == long(::getpid())) continue;
            struct stat st {};
            if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::getuid()) continue;
            std::error_code tec;
            const auto when = fs::last_write_time(it->path(), tec);
            if (tec || when > hour_ago) continue;
            if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to ask
            fs::remove(it->path(), ec);
            ec.clear();
        }
    }
}

void keep_mode(const std::string& target, const std::string& tmp) {
    struct stat st {};
    if (::stat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ::chmod(tmp.c_str(), st.st_mode & 07777);
}

Result<AtomicFile> AtomicFile::create(const std::string& requested) {
    // Refused now rather than at the rename into place: a job writing a pair of files (an array and
    // its index) must not replace the first and then fail on the second.
    std::string path;
    MS_ASSIGN(path, resolve_output(requested));
    remove_stale_temporaries(path);
    std::string tmp = cat(path, ".tmp-", ::getpid());
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return make_error("cannot create '", requested, "': ", std::strerror(errno));
    keep_mode(path, tmp);
    return AtomicFile(path, std::move(tmp), f);
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : path_(std::move(o.path_)), tmp_(std::move(o.tmp_)), f_(o.f_), committed_(o.committed_), closed_ok_(o.closed_ok_) {
    o.f_ = nullptr;
    o.committed_ = true;
}

AtomicFile::~AtomicFile() {
    if (f_) std::fclose(f_);
    if (!committed_) std::remove(tmp_.c_str());
}

Result<void> AtomicFile::write(const void* data, size_t bytes) {
    if (!f_) return make_error("cannot write '", path_, "': it was already finished");
    if (bytes && std::fwrite(data, 1, bytes, f_) != bytes)
        return make_error("cannot write '", path_, "': ", std::strerror(errno), " (disk full?)");
    return {};
}

Result<void> AtomicFile::finish_writing() {
    if (!f_) return closed_ok_ ? Result<void>{} : make_error("cannot write '", path_, "': the file was not finished");
    const bool flushed = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
    const int err = errno;
    const bool closed = std::fclose(f_) == 0;
    f_ = nullptr;
    if (!flushed || !closed)
        return make_error("cannot write '", path_, "': ", std::strerror(flushed ? errno : err), " (disk full?)");
    closed_ok_ = true;
    return {};
}

Result<void> AtomicFile::commit() {
    MS_TRY(finish_writing());
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
        return make_error("cannot move the finished file into place at '", path_, "': ", std::strerror(errno));
    committed_ = true;
    return {};
}

namespace {

bool ends_with_any(const std::string& path, std::initializer_list<const char*> suffixes) {
    for (const char* x : suffixes)
        if (path.ends_with(x)) return true;
    return false;
}

// What a job reads with an input: the file itself, the indexes beside it (htslib's and samtools'
// names), or, for a model folder, the files of the model. An output that replaced an index or a
// model's weights broke every later run on that input (found in review).
std::vector<std::string> read_with(const std::string& input) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
        std::vector<std::string> files;
        for (const auto& e : fs::directory_iterator(input, ec)) {
            const std::string name = e.path().filename().string();
            if (name == "config.json" || name == "tokenizer_config.json" || name.ends_with(".safetensors") ||
                name.ends_with(".safetensors.index.json") || name.ends_with(".bin"))
                files.push_back(e.path().string());
        }
        return files;
    }
    std::vector<std::string> files{input};
    for (const char* index : {".fai", ".gzi", ".bai", ".csi", ".tbi", ".crai"}) files.push_back(input + index);
    // A results database's rollback journal, WAL and shared-memory files: an output written there
    // was taken for a hot journal (the database then failed to open, "readonly database") or was
    // deleted when the database closed (found in review).
    for (const char* sqlite : {"-journal", "-wal", "-shm"}) files.push_back(input + sqlite);
    const fs::path p(input);
    if (p.has_extension())
        for (const char* index : {".bai", ".crai", ".csi"})
            files.push_back(fs::path(p).replace_extension(index).string());
    return files;
}

// The files a job writes at `output`: the output, and what is written beside it — a bgzipped
// file's tabix or CSI index, an .npy's row index.
std::vector<std::string> written_with(const std::string& output) {
    std::vector<std::string> files{output};
    if (ends_with_any(output, {".gz", ".bgz", ".GZ", ".BGZ"}))
        files.insert(files.end(), {output + ".tbi", output + ".csi"});
    if (ends_with_any(output, {".npy", ".NPY"})) files.push_back(output + ".index.tsv");
    return files;
}

bool same_file(const std::string& a, const std::string& b) {
    // One file by its identity when both exist; else by path, resolved as far as it exists
    // (`mutagenesis --db NEW --out NEW`: the database was written, then replaced by the table).
    std::error_code ec, ec_a, ec_b;
    const bool a_there = std::filesystem::exists(a, ec), b_there = std::filesystem::exists(b, ec);
    if (a_there && b_there) return std::filesystem::equivalent(a, b, ec) && !ec;
    if (a_there != b_there) return false;
    return std::filesystem::weakly_canonical(a, ec_a) == std::filesystem::weakly_canonical(b, ec_b) && !ec_a && !ec_b;
}

}  // namespace

Result<void> refuse_overwriting_inputs(const std::string& output, std::initializer_list<std::string> inputs) {
    if (output.empty()) return {};
    for (const std::string& input : inputs) {
        if (input.empty()) continue;
        for (const std::string& read : read_with(input))
            for (const std::string& written : written_with(output))
                if (same_file(written, read))
                    return make_error(written == output
                                          ? cat("the output '", output, "'")
                                          : cat("'", written, "', written with the output '", output, "',"),
                                      read == input     ? cat(" is the input '", input, "'")
                                      : read == written ? cat(" is read with the input '", input, "'")
                                                        : cat(" is '", read, "', read with the input '", input, "'"),
                                      ": writing it would replace the input", read == input ? "" : "'s file",
                                      "; choose another output path");
    }
    return {};
}

}  // namespace ms

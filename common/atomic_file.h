// Writing a file so that readers see either the old file or the complete new one, never a
// half-written result (a full disk or a cancel leaves the previous file in place).
#pragma once

#include <cstdio>
#include <initializer_list>
#include <string>

#include "common/error.h"

namespace ms {

class AtomicFile {
public:
    // Opens `path + ".tmp-<pid>"` for writing next to `path` (resolve_output's: a link's target).
    static Result<AtomicFile> create(const std::string& path);
    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    ~AtomicFile();   // removes the temporary file unless commit() succeeded

    Result<void> write(const void* data, size_t bytes);
    // Flushes, fsyncs and closes the temporary: after it, only the rename is left, which needs no
    // room on the disk. A pair of files (an array and its index) finishes both before renaming
    // either, so a full disk cannot leave a new one beside an old one.
    Result<void> finish_writing();
    // Finishes writing (if not yet) and renames over `path`.
    Result<void> commit();

private:
    AtomicFile(std::string path, std::string tmp, std::FILE* f) : path_(std::move(path)), tmp_(std::move(tmp)), f_(f) {}
    std::string path_, tmp_;
    std::FILE* f_ = nullptr;
    bool committed_ = false;
    bool closed_ok_ = false;  // finish_writing() succeeded
};

// Temporaries of `path` that a killed job left (kill -9 gives no chance to remove them), removed
// before a new one is made, so repeated failures do not fill the folder: `PATH.tmp-PID` and
// `PATH.partial-PID` (with an index's .tbi/.csi or SQLite's -journal/-wal/-shm) of this user,
// unchanged for an hour, whose process no longer runs here.
void remove_stale_temporaries(const std::string& path);

// Where a file written atomically at `path` should go: a symbolic link's target (the link stays a
// link; it was replaced by a plain file), the path itself otherwise. A folder, device, pipe or
// socket is refused: a result is written whole to a temporary file and renamed into place, which
// would replace a device node such as /dev/stdout (it did, as root) rather than write to it. So is
// an existing file this user may not write, as `cp` refuses it (the rename would not ask).
Result<std::string> resolve_output(const std::string& path);
// Gives the temporary `tmp` the permission bits of the file it is about to replace, if there is
// one (a chmod 600 result became world-readable when exported again).
void keep_mode(const std::string& target, const std::string& tmp);

// Refuses `output` when it is the same file as one of `inputs` (by device and inode, whatever
// the paths say): the rename into place would replace the input (a results database exported
// over itself, a FASTA given as --out). Where one does not exist yet (a database the job is about
// to create), the paths are compared with symbolic links and `..` resolved. Empty paths never match.
// Both sides include their companions: what is written beside the output (a bgzipped file's
// .tbi/.csi, an .npy's .index.tsv) against what is read with an input (its .fai/.gzi/.bai/.csi/
// .tbi/.crai, a database's -journal/-wal/-shm; for a model folder, its config.json,
// tokenizer_config.json and weight files).
Result<void> refuse_overwriting_inputs(const std::string& output, std::initializer_list<std::string> inputs);

}  // namespace ms

// Checksums for run provenance, through OpenSSL's libcrypto: the SHA-256 of a model (configuration
// and weights) and the MD5 of a sequence as SAM's M5 tag defines it (upper-cased bases, nothing
// else), so a results database says exactly which model and which genome produced it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ms {

// SHA-256 (lower-case hex) of what makes a model's outputs: its config.json, its
// tokenizer_config.json when there is one, then its *.safetensors files in name order (one file or
// the shards of an index), concatenated.
Result<std::string> model_sha256(const std::string& model_dir);

// SHA-256 (lower-case hex) of files' bytes, concatenated in the order given.
Result<std::string> files_sha256(const std::vector<std::string>& paths);

// Incremental MD5 of bases, upper-cased as they are fed (SAM M5).
class SequenceMd5 {
public:
    SequenceMd5();
    ~SequenceMd5();
    SequenceMd5(const SequenceMd5&) = delete;
    SequenceMd5& operator=(const SequenceMd5&) = delete;
    void update(std::string_view bases);
    std::string hex();   // finishes the digest

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Frees this thread's OpenSSL state (its error queue) now rather than at thread exit. A pooled
// worker thread (the GUI's job queue) is joined by Qt before its exit handlers have run, so the
// state freed there would race with the end of the process (and LeakSanitizer's check); a thread
// that used the digests above calls this when its job is done. Harmless on any thread.
void release_thread_crypto_state();

}  // namespace ms

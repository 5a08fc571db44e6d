// A minimal reader of uncompressed FASTA for the engine-only CLI (the GPU machine has no htslib).
// The full CLI reads FASTA through htslib (genomics/); this one exists so the engine can be checked
// against reference fixtures where only the engine builds.
#pragma once

#include <string>

#include "common/error.h"

namespace ms {

struct FastaRecord {
    std::string name;
    std::string sequence;
};

// The record called `name`, or the first record when `name` is empty.
Result<FastaRecord> read_plain_fasta_record(const std::string& path, const std::string& name);

}  // namespace ms

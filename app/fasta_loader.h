// Loads one FASTA record through htslib for the engine's commands (forward).
#pragma once

#include "engine/cli/plain_fasta.h"

namespace ms {

Result<FastaRecord> load_fasta_record(const std::string& path, const std::string& record);

}  // namespace ms

#include "app/fasta_loader.h"

#include "genomics/fasta.h"

namespace ms {

Result<FastaRecord> load_fasta_record(const std::string& path, const std::string& record) {
    auto fa = FastaFile::open(path);
    if (!fa) return fa.error();
    const std::string name = record.empty() ? fa->records().front().name : record;
    auto seq = fa->fetch_all(name);
    if (!seq) return seq.error();
    return FastaRecord{name, std::move(*seq)};
}

}  // namespace ms

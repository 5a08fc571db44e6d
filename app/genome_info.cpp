#include "app/genome_info.h"

#include <cstdio>

namespace ms {

double gc_percent(const Composition& c) {
    const int64_t acgt = c.gc + c.at;
    return acgt ? 100.0 * double(c.gc) / double(acgt) : 0.0;
}

double n_percent(const Composition& c) { return c.length ? 100.0 * double(c.n) / double(c.length) : 0.0; }

Result<GenomeSummary> summarize_genome(const std::string& fasta_path) {
    auto fa = FastaFile::open(fasta_path);
    if (!fa) return fa.error();
    GenomeSummary s;
    s.path = fasta_path;
    for (const SequenceRecord& r : fa->records()) {
        auto seq = fa->fetch_all(r.name);
        if (!seq) return seq.error();
        const Composition c = composition(*seq);
        s.records.push_back({r.name, c});
        s.total.length += c.length;
        s.total.gc += c.gc;
        s.total.at += c.at;
        s.total.n += c.n;
        s.total.soft_masked += c.soft_masked;
        s.total.other += c.other;
    }
    return s;
}

std::string format_genome_summary(const GenomeSummary& s) {
    auto row = [](const std::string& name, const Composition& c) {
        char buf[512];
        std::snprintf(buf, sizeof buf, "%-24s %14lld %8.2f %8.2f %12.2f\n", name.c_str(), static_cast<long long>(c.length),
                      gc_percent(c), n_percent(c), c.length ? 100.0 * double(c.soft_masked) / double(c.length) : 0.0);
        return std::string(buf);
    };
    std::string out = cat("genome          ", s.path, "\nrecords         ", s.records.size(), "\n\n");
    char head[256];
    std::snprintf(head, sizeof head, "%-24s %14s %8s %8s %12s\n", "record", "length (bp)", "GC %", "N %", "soft-mask %");
    out += head;
    for (const RecordSummary& r : s.records) out += row(r.name, r.composition);
    out += row("total", s.total);
    return out;
}

}  // namespace ms

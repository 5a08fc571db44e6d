#include "app/genome_info.h"

#include <cmath>
#include <cstdio>

#include "genomics/fasta_stream.h"
#include "genomics/sequence_mask.h"

namespace ms {

double gc_percent(const Composition& c) {
    const int64_t acgt = c.gc + c.at;
    return acgt ? 100.0 * double(c.gc) / double(acgt) : std::nan("");
}

double n_percent(const Composition& c) { return c.length ? 100.0 * double(c.n) / double(c.length) : 0.0; }

Result<GenomeSummary> summarize_genome(const std::string& fasta_path, int threads) {
    auto stream = FastaStream::open(fasta_path, threads);
    if (!stream) return stream.error();
    GenomeSummary s;
    s.path = fasta_path;
    s.compression = stream->compression();
    std::string chunk;
    while (true) {
        auto more = stream->next_record();
        if (!more) return more.error();
        if (!*more) break;
        RecordSummary r;
        r.name = stream->name();
        MaskBuilder mask;
        while (true) {
            // 4 MiB pieces: large enough that per-call costs vanish, small enough for any chromosome.
            auto got = stream->read(chunk, size_t(1) << 22);
            if (!got) return got.error();
            if (!*got) break;
            add_composition(r.composition, chunk);
            mask.add(chunk);
        }
        r.n_runs = int64_t(mask.finish().n_runs.size());
        s.total += r.composition;
        s.n_runs += r.n_runs;
        s.records.push_back(std::move(r));
    }
    return s;
}

std::string format_genome_summary(const GenomeSummary& s) {
    std::string out = "record\tlength\tgc_fraction\tn_bases\tn_runs\tsoft_masked\n";
    auto row = [&](const std::string& name, const Composition& c, int64_t n_runs) {
        char gc[32] = "NA";  // no A, C, G or T: no GC content (0 read as AT-rich)
        if (const double f = gc_percent(c) / 100.0; !std::isnan(f)) std::snprintf(gc, sizeof gc, "%.4f", f);
        out += cat(name, '\t', c.length, '\t', gc, '\t', c.n, '\t', n_runs, '\t', c.soft_masked, '\n');
    };
    for (const RecordSummary& r : s.records) row(r.name, r.composition, r.n_runs);
    return out;
}

}  // namespace ms

#include "app/variant_effects.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>

#include "common/ascii.h"
#include "engine/session.h"

namespace ms {

int64_t upstream_begin(int64_t pos, int64_t context) {
    if (pos < context) return 0;
    return (pos - context) / context * context;
}

bool scorable_allele(const std::string& allele) {
    return !allele.empty() && std::all_of(allele.begin(), allele.end(), [](char c) {
        const char u = ascii_upper(c);
        return u == 'A' || u == 'C' || u == 'G' || u == 'T';
    });
}

Result<std::vector<std::vector<double>>> score_effects(AlleleScorer& scorer, const FastaFile& fasta,
                                                       const std::string& contig, std::span<const EffectSite> sites,
                                                       const EffectWindow& window, bool reverse) {
    auto all = score_effects(scorer, fasta, contig, sites, window, reverse, EffectSteps{});
    if (!all) return all.error();
    return std::move(**all);   // without keep_going nothing stops it
}

Result<std::optional<std::vector<std::vector<double>>>> score_effects(AlleleScorer& scorer, const FastaFile& fasta,
                                                                      const std::string& contig,
                                                                      std::span<const EffectSite> sites,
                                                                      const EffectWindow& window, bool reverse,
                                                                      const EffectSteps& steps) {
    const SequenceRecord* rec = fasta.find(contig);
    if (!rec) return make_error("FASTA '", fasta.path(), "' has no record named '", contig, "'");
    const int64_t L = rec->length;
    std::vector<std::vector<double>> result(sites.size());
    // Sites by the bin their upstream starts in, in strand coordinates; each bin is one scorer call
    // (or, with steps, a few calls of consecutive sites).
    struct Placed {
        size_t index;
        int64_t spos;  // REF's first base on the strand
    };
    std::map<int64_t, std::vector<Placed>> bins;
    for (size_t k = 0; k < sites.size(); ++k) {
        const EffectSite& s = sites[k];
        const int64_t r = int64_t(s.ref.size());
        if (s.pos < 0 || s.pos + r > L)
            return make_error(contig, ":", s.pos + 1, ": REF '", s.ref, "' runs outside the record (", L, " bases)");
        const int64_t spos = reverse ? L - (s.pos + r) : s.pos;
        bins[upstream_begin(spos, window.context)].push_back({k, spos});
        result[k].assign(s.alts.size(), 0.0);
    }
    auto strand = [&](const std::string& bases) { return reverse ? reverse_complement(bases) : bases; };
    const bool stepped = steps.keep_going && !steps.whole_bins;
    // A first group small enough to come back quickly on any device; later ones sized by its time.
    size_t groupSize = stepped ? 4 : std::numeric_limits<size_t>::max();
    int64_t done = 0;
    for (auto& [u, placed] : bins) {
        std::stable_sort(placed.begin(), placed.end(),
                         [](const Placed& a, const Placed& b) { return a.spos < b.spos; });
        for (size_t first = 0; first < placed.size();) {
            const size_t count = std::min(groupSize, placed.size() - first);
            const std::span<const Placed> part(placed.data() + first, count);
            const auto t0 = std::chrono::steady_clock::now();
            int64_t e = u;
            for (const Placed& p : part)
                e = std::max(e, std::min(L, p.spos + int64_t(sites[p.index].ref.size()) + window.downstream));
            // The strand's bases [u, e): on the reverse strand, the reverse complement of forward [L − e, L − u).
            auto fetched = reverse ? fasta.fetch(contig, L - e, L - u) : fasta.fetch(contig, u, e);
            if (!fetched) return fetched.error();
            const std::string seq = strand(*fetched);
            std::vector<AlleleSite> group;
            for (const Placed& p : part) {
                const EffectSite& s = sites[p.index];
                const int64_t after = p.spos + int64_t(s.ref.size());  // first downstream base
                AlleleSite a;
                a.offset = p.spos - u;
                a.alleles.push_back(strand(s.ref));
                for (const std::string& alt : s.alts) a.alleles.push_back(strand(alt));
                a.downstream = seq.substr(size_t(after - u), size_t(std::min(window.downstream, L - after)));
                group.push_back(std::move(a));
            }
            auto ll = scorer.score(seq, group);
            if (!ll) return ll.error();
            for (size_t g = 0; g < part.size(); ++g) {
                const std::vector<double>& v = (*ll)[g];
                for (size_t j = 1; j < v.size(); ++j) result[part[g].index][j - 1] = v[j] - v[0];
            }
            first += count;
            done += int64_t(count);
            if (!stepped) continue;
            if (!steps.keep_going(done)) return std::optional<std::vector<std::vector<double>>>();
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const double per_site = std::max(seconds, 1e-6) / double(count);
            // At most doubling from one group to the next, so one slow call never follows a quick one.
            groupSize = std::clamp<size_t>(size_t(steps.seconds_per_call / per_site), 1, std::max<size_t>(8, 2 * count));
        }
        if (steps.whole_bins && steps.keep_going && !steps.keep_going(done))
            return std::optional<std::vector<std::vector<double>>>();
    }
    return std::optional<std::vector<std::vector<double>>>(std::move(result));
}

}  // namespace ms

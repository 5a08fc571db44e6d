#include "ui/view_source.h"
#include "common/ascii.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

namespace ms::ui {

namespace {

std::string fileName(const std::string& path) { return std::filesystem::path(path).filename().string(); }

bool hasContig(const std::vector<SequenceRecord>& list, const std::string& name) {
    return std::any_of(list.begin(), list.end(), [&](const SequenceRecord& r) { return r.name == name; });
}

// A VCF read whole, for files without an index (small call sets): records per contig, by position.
struct VcfInMemory {
    std::map<std::string, std::vector<VariantRecord>> byContig;
};

struct VariantsFile {
    std::string path;
    std::unique_ptr<VcfReader> reader;      // indexed: queried per span
    std::unique_ptr<VcfInMemory> whole;     // not indexed: read once at open
};

// Files read whole beyond this many records must be indexed: the view would hold them all.
constexpr int64_t kMaxUnindexedRecords = 2'000'000;

struct AnnotationsFile {
    std::string path;
    AnnotationsPtr set;
    std::vector<int> root;   // per feature: the index of its top-level ancestor (itself when none)
};

// Each feature's top-level ancestor through GFF3 Parent (the first parent when there are several),
// so a gene, its transcripts and their exons are drawn on one line.
std::vector<int> findRoots(const AnnotationSet& set) {
    const auto& fs = set.features();
    std::unordered_map<std::string, int> byId;
    for (size_t i = 0; i < fs.size(); ++i)
        if (!fs[i].id.empty()) byId.emplace(fs[i].id, int(i));
    std::vector<int> parent(fs.size(), -1);
    for (size_t i = 0; i < fs.size(); ++i) {
        if (fs[i].parent.empty()) continue;
        const std::string first = fs[i].parent.substr(0, fs[i].parent.find(','));
        if (auto it = byId.find(first); it != byId.end() && it->second != int(i)) parent[i] = it->second;
    }
    std::vector<int> root(fs.size());
    for (size_t i = 0; i < fs.size(); ++i) {
        int r = int(i);
        // Bounded walk: a Parent cycle in a broken file must not hang the loader.
        for (int steps = 0; parent[size_t(r)] >= 0 && steps < 16; ++steps) r = parent[size_t(r)];
        root[i] = r;
    }
    return root;
}

// A, C, G, T as 0..3; anything else (N, IUPAC codes) -1.
int baseIndex(char b) {
    switch (b) {
    case 'A': case 'a': return 0;
    case 'C': case 'c': return 1;
    case 'G': case 'g': return 2;
    case 'T': case 't': return 3;
    default: return -1;
    }
}

// Greedy packing into rows: an item goes to the first row whose last item ended before it begins
// (with `gap` positions to spare, room for a label). Rows beyond maxRows share the last one.
int packRow(std::vector<int64_t>& rowEnds, int64_t begin, int64_t end, int maxRows) {
    for (size_t r = 0; r < rowEnds.size(); ++r)
        if (rowEnds[r] <= begin) {
            rowEnds[r] = end;
            return int(r);
        }
    if (int(rowEnds.size()) < maxRows) {
        rowEnds.push_back(end);
        return int(rowEnds.size()) - 1;
    }
    rowEnds.back() = std::max(rowEnds.back(), end);
    return maxRows - 1;
}

}  // namespace

void trim_padding(VariantMark& v) {
    v.shown = v.alt;
    if (v.ref.empty() || v.alt.empty()) return;
    const auto plain = [](const std::string& a) {
        return !a.empty() &&
               std::all_of(a.begin(), a.end(), [](char c) { return std::strchr("ACGTNacgtn", c) != nullptr; });
    };
    std::vector<std::string> alts;
    for (size_t b = 0; b <= v.alt.size();) {
        const size_t e = std::min(v.alt.find(',', b), v.alt.size());
        alts.push_back(v.alt.substr(b, e - b));
        b = e + 1;
    }
    const char anchor = ascii_upper(v.ref[0]);
    bool deletion = v.ref.size() > 1, insertion = v.ref.size() == 1;
    for (const std::string& a : alts) {
        if (!plain(a) || !plain(v.ref) || ascii_upper(a[0]) != anchor) return;
        deletion = deletion && a.size() == 1;
        insertion = insertion && a.size() > 1;
    }
    if (deletion) {
        ++v.begin;
        v.shown = "\u2212" + v.ref.substr(1);  // −C
    } else if (insertion) {
        v.begin = v.end = v.begin + 1;
        v.shown.clear();
        for (const std::string& a : alts) v.shown += (v.shown.empty() ? "+" : ",+") + a.substr(1);
    }
}

struct ViewSource::Impl {
    std::unique_ptr<FastaFile> genome;
    std::vector<std::unique_ptr<AlignmentReader>> reads;
    std::vector<VariantsFile> variants;
    std::vector<AnnotationsFile> annotations;
    std::unique_ptr<ResultsStore> store;

    void loadTracks(const ViewRequest& q, ViewData& out) const;
    void loadReads(AlignmentReader& reader, const ViewRequest& q, ViewData& out,
                   const std::function<bool()>& superseded) const;
    void loadVariants(const VariantsFile& file, const ViewRequest& q, ViewData& out) const;
    void loadFeatures(const AnnotationsFile& file, const ViewRequest& q, ViewData& out) const;
};

ViewSource::ViewSource() : impl_(std::make_unique<Impl>()) {}
ViewSource::~ViewSource() = default;
ViewSource::ViewSource(ViewSource&&) noexcept = default;
ViewSource& ViewSource::operator=(ViewSource&&) noexcept = default;

Result<void> ViewSource::openGenome(const std::string& path) {
    auto fasta = FastaFile::open(path);
    if (!fasta) return fasta.error();
    impl_->genome = std::make_unique<FastaFile>(std::move(*fasta));
    return {};
}

Result<void> ViewSource::openReads(const std::string& path) {
    AlignmentOptions options;
    if (impl_->genome) options.reference = impl_->genome->path();   // CRAM decodes against it
    auto reader = AlignmentReader::open(path, options);
    if (!reader) return reader.error();
    impl_->reads.push_back(std::make_unique<AlignmentReader>(std::move(*reader)));
    return {};
}

Result<void> ViewSource::openVariants(const std::string& path) {
    auto reader = VcfReader::open(path);
    if (!reader) return reader.error();
    VariantsFile file;
    file.path = path;
    // An index is found by querying: try the first contig the file or the genome names.
    std::string probe;
    if (!reader->contigs().empty()) probe = reader->contigs().front().name;
    else if (impl_->genome && !impl_->genome->records().empty()) probe = impl_->genome->records().front().name;
    if (!probe.empty() && reader->query(Region{probe, 0, 1})) {
        file.reader = std::make_unique<VcfReader>(std::move(*reader));
    } else {
        auto fresh = VcfReader::open(path);   // the failed query may have left the reader mid-file
        if (!fresh) return fresh.error();
        file.whole = std::make_unique<VcfInMemory>();
        VariantRecord rec;
        int64_t n = 0;
        while (true) {
            auto more = fresh->next(rec);
            if (!more) return more.error();
            if (!*more) break;
            if (++n > kMaxUnindexedRecords)
                return make_error("VCF '", path, "' has more than ", kMaxUnindexedRecords,
                                  " records and no index; compress it with `bgzip` and index it with `tabix -p vcf`");
            file.whole->byContig[rec.contig].push_back(rec);
        }
        for (auto& [contig, list] : file.whole->byContig)
            std::stable_sort(list.begin(), list.end(), [](const VariantRecord& a, const VariantRecord& b) { return a.pos < b.pos; });
    }
    impl_->variants.push_back(std::move(file));
    return {};
}

Result<AnnotationsPtr> ViewSource::openAnnotations(const std::string& path) {
    auto set = AnnotationSet::load(path);
    if (!set) return set.error();
    AnnotationsFile file;
    file.path = path;
    file.set = std::make_shared<const AnnotationSet>(std::move(*set));
    file.root = findRoots(*file.set);
    impl_->annotations.push_back(file);
    return file.set;
}

Result<void> ViewSource::openDatabase(const std::string& path) {
    // Off the GUI thread (TrackLoader): a database whose schema a job is still creating is waited for.
    auto store = ResultsStore::open_when_ready(path);
    if (!store) return store.error();
    impl_->store = std::make_unique<ResultsStore>(std::move(*store));
    return {};
}

ContigList ViewSource::contigs() const {
    if (impl_->genome) return ContigList(impl_->genome->records(), impl_->genome->empty_records());
    if (impl_->store) {
        std::vector<SequenceRecord> seen;
        if (auto runs = impl_->store->list_runs())
            for (const RunRecord& run : *runs)
                if (auto seqs = impl_->store->list_sequences(run.id))
                    for (const StoredSequence& s : *seqs)
                        if (!hasContig(seen, s.info.name)) seen.push_back({s.info.name, s.info.length});
        if (!seen.empty()) return ContigList(seen);
    }
    for (const auto& r : impl_->reads)
        if (!r->references().empty()) return ContigList(r->references());
    return {};
}

std::vector<AnnotationsPtr> ViewSource::annotations() const {
    std::vector<AnnotationsPtr> out;
    for (const AnnotationsFile& f : impl_->annotations) out.push_back(f.set);
    return out;
}

Result<std::string> ViewSource::fetchBases(const Region& region) const {
    if (!impl_->genome) return make_error("no genome is open: open a FASTA file to copy sequence from ", format_locus(region));
    return impl_->genome->fetch(region.contig, region.begin, region.end);
}

ViewData ViewSource::load(const ViewRequest& request, const std::function<bool()>& superseded) const {
    ViewData out;
    out.generation = request.generation;
    out.bins = std::max(1, request.bins);
    const ContigList list = contigs();
    const SequenceRecord* contig = list.find(request.span.contig);
    if (!contig) {
        out.errors.push_back(cat("no sequence named '", request.span.contig, "' in the open files"));
        return out;
    }
    out.contig_length = contig->length;
    out.span = request.span;
    out.span.begin = std::clamp<int64_t>(out.span.begin, 0, contig->length);
    out.span.end = std::clamp<int64_t>(out.span.end, out.span.begin, contig->length);
    ViewRequest q = request;
    q.span = out.span;
    q.bins = out.bins;
    if (q.span.length() == 0) return out;

    out.genome = impl_->genome && impl_->genome->find(q.span.contig);
    if (out.genome && q.span.length() <= kMaxBasesSpan) {
        auto bases = impl_->genome->fetch(q.span.contig, q.span.begin, q.span.end);
        if (bases) out.bases = std::move(*bases);
        else out.errors.push_back(bases.error().message);
    }
    if (impl_->store) impl_->loadTracks(q, out);
    for (const VariantsFile& v : impl_->variants) impl_->loadVariants(v, q, out);
    for (const AnnotationsFile& a : impl_->annotations) impl_->loadFeatures(a, q, out);
    for (const auto& r : impl_->reads) {
        if (superseded && superseded()) return out;
        impl_->loadReads(*r, q, out, superseded);
    }
    return out;
}

void ViewSource::Impl::loadTracks(const ViewRequest& q, ViewData& out) const {
    // The catalogue is read on every load: a job writing the database adds runs and tracks, and
    // they appear at the next load.
    auto runs = store->list_runs();
    if (!runs) {
        out.errors.push_back(runs.error().message);
        return;
    }
    struct Found {
        int64_t run, sequence;
        StoredTrack track;
    };
    std::vector<Found> found;
    std::map<std::string, int> runsPerName;
    std::vector<std::pair<int64_t, int64_t>> runSequences;   // (run, sequence id) holding the contig
    // The runs to show: every run, or the one the runs list picked.
    runs->erase(std::remove_if(runs->begin(), runs->end(), [&](const RunRecord& r) { return q.run != 0 && r.id != q.run; }),
                runs->end());
    const SequenceRecord* genomeRecord = genome ? genome->find(q.span.contig) : nullptr;
    std::set<int64_t> otherAssembly;  // runs whose sequence of this name is not the genome's
    for (const RunRecord& run : *runs) {
        auto seqs = store->list_sequences(run.id);
        if (!seqs) continue;
        auto seq = std::find_if(seqs->begin(), seqs->end(), [&](const StoredSequence& s) { return s.info.name == q.span.contig; });
        if (seq == seqs->end()) continue;
        // Names alone would lay another assembly's scores (hg19's chr1 on hg38's) over these bases.
        if (genomeRecord && seq->info.length != genomeRecord->length) {
            otherAssembly.insert(run.id);
            out.errors.push_back(cat("run ", run.id, " scored a '", q.span.contig, "' of ", seq->info.length,
                                     " bp, the genome's has ", genomeRecord->length,
                                     " bp: another assembly, its results are not drawn"));
            continue;
        }
        runSequences.emplace_back(run.id, seq->id);
        auto tracks = store->list_tracks(run.id);
        if (!tracks) continue;
        for (const StoredTrack& t : *tracks) {
            found.push_back({run.id, seq->id, t});
            ++runsPerName[t.name];
        }
    }
    auto labelOf = [&](const std::string& name, int64_t run) {
        return runsPerName[name] > 1 ? cat(name, " · run ", run) : name;
    };
    auto read = [&](const Found& f) -> std::vector<TrackBin> {
        auto bins = store->read_track(f.track.id, f.sequence, q.span.begin, q.span.end, q.bins);
        if (!bins) {
            out.errors.push_back(bins.error().message);
            return {};
        }
        return std::move(*bins);
    };
    static const char* const kProb[4] = {"prob_A", "prob_C", "prob_G", "prob_T"};
    for (const auto& [run, sequence] : runSequences) {
        const Found* prob[4] = {};
        for (const Found& f : found)
            for (int b = 0; b < 4; ++b)
                if (f.run == run && f.track.name == kProb[b]) prob[b] = &f;
        const bool allFour = prob[0] && prob[1] && prob[2] && prob[3];
        if (allFour) {
            BaseProbabilities p;
            p.label = runsPerName["prob_A"] > 1 ? cat("base probabilities · run ", run) : "base probabilities";
            for (int b = 0; b < 4; ++b) p.channel[b] = read(*prob[b]);
            out.probabilities.push_back(std::move(p));
        }
        for (const Found& f : found) {
            if (f.run != run) continue;
            if (allFour && f.track.name.rfind("prob_", 0) == 0 && f.track.name.size() == 6) continue;
            out.tracks.push_back({f.track.name, labelOf(f.track.name, run), read(f)});
        }
    }
    // Predictions and scored variants of each run over the span.
    for (const auto& [run, sequence] : runSequences) {
        PredictionQuery pq;
        pq.run_id = run;
        pq.sequence_id = sequence;
        pq.begin = q.span.begin;
        pq.end = q.span.end;
        pq.limit = kMaxMarks;
        auto preds = store->query_predictions(pq);
        if (!preds) {
            out.errors.push_back(preds.error().message);
        } else if (!preds->empty()) {
            PredictionSet set;
            set.label = runSequences.size() > 1 ? cat("predictions · run ", run) : "predictions";
            if (auto classes = store->prediction_classes(run)) set.classes = std::move(*classes);
            for (const StoredPrediction& sp : *preds)
                set.spans.push_back({sp.p.begin, sp.p.end, sp.p.label, sp.p.item, sp.p.score});
            set.truncated = int64_t(preds->size()) >= kMaxMarks;
            out.predictions.push_back(std::move(set));
        }
    }
    for (const RunRecord& run : *runs) {
        if (otherAssembly.count(run.id)) continue;
        VariantQuery vq;
        vq.run_id = run.id;
        vq.chrom = q.span.contig;
        vq.first_pos = q.span.begin + 1;   // VCF positions are 1-based inclusive
        vq.last_pos = q.span.end;
        vq.limit = kMaxMarks;
        auto vars = store->query_variants(vq);
        if (!vars) {
            out.errors.push_back(vars.error().message);
            continue;
        }
        if (vars->empty()) continue;
        VariantSet set;
        set.label = runs->size() > 1 ? cat("variant scores · run ", run.id) : "variant scores";
        set.from_store = true;
        for (const StoredVariant& sv : *vars) {
            VariantMark m{sv.v.pos - 1, sv.v.pos - 1 + int64_t(std::max<size_t>(1, sv.v.ref.size())), sv.v.ref, sv.v.alt,
                          sv.v.name, {}, {}};
            if (!sv.v.scores.empty()) {
                m.score_name = sv.v.scores.front().first;
                m.score = sv.v.scores.front().second;
            }
            trim_padding(m);
            set.marks.push_back(std::move(m));
        }
        set.truncated = int64_t(vars->size()) >= kMaxMarks;
        out.variants.push_back(std::move(set));
    }
}

void ViewSource::Impl::loadVariants(const VariantsFile& file, const ViewRequest& q, ViewData& out) const {
    VariantSet set;
    set.label = fileName(file.path);
    auto add = [&](const VariantRecord& r) {
        if (int64_t(set.marks.size()) >= kMaxMarks) {
            set.truncated = true;
            return;
        }
        std::string alts;
        for (const std::string& a : r.alts) alts += (alts.empty() ? "" : ",") + a;
        VariantMark mark{r.pos, std::max(r.end(), r.pos + 1), r.ref, alts, r.id == "." ? "" : r.id, {}, {}, {}};
        trim_padding(mark);
        set.marks.push_back(std::move(mark));
    };
    if (file.whole) {
        auto it = file.whole->byContig.find(q.span.contig);
        if (it != file.whole->byContig.end())
            for (const VariantRecord& r : it->second)
                if (r.pos < q.span.end && r.end() > q.span.begin) add(r);
    } else if (file.reader) {
        // A VCF of some contigs only (chr22 calls) has nothing to say about the others.
        if (!file.reader->contigs().empty() && !hasContig(file.reader->contigs(), q.span.contig)) {
            out.variants.push_back(std::move(set));
            return;
        }
        if (auto ok = file.reader->query(q.span); !ok) {
            out.errors.push_back(ok.error().message);
            return;
        }
        VariantRecord rec;
        while (true) {
            auto more = file.reader->next(rec);
            if (!more) {
                out.errors.push_back(more.error().message);
                break;
            }
            if (!*more || set.truncated) break;
            add(rec);
        }
    }
    out.variants.push_back(std::move(set));
}

void ViewSource::Impl::loadFeatures(const AnnotationsFile& file, const ViewRequest& q, ViewData& out) const {
    FeatureSet set;
    set.label = fileName(file.path);
    const auto& all = file.set->features();
    const double bpPerBin = double(q.span.length()) / q.bins;
    // Top-level features first (by position), packed into rows with room for their names; parts
    // (exons, CDS) then take their top-level feature's row.
    std::vector<int> tops, parts;
    for (size_t i = 0; i < all.size(); ++i) {
        const Feature& f = all[i];
        if (f.region.contig != q.span.contig || f.region.begin >= q.span.end || f.region.end <= q.span.begin) continue;
        (file.root[i] == int(i) ? tops : parts).push_back(int(i));
    }
    // A part whose top-level feature lies outside the span (cannot happen in a consistent file,
    // but files are not always consistent) becomes a top-level feature itself.
    std::vector<int> rowOf(all.size(), -1);
    for (int i : parts) {
        const Feature& r = all[size_t(file.root[size_t(i)])];
        if (r.region.contig != q.span.contig || r.region.begin >= q.span.end || r.region.end <= q.span.begin) tops.push_back(i);
    }
    std::sort(tops.begin(), tops.end(), [&](int a, int b) { return all[size_t(a)].region.begin < all[size_t(b)].region.begin; });
    constexpr int kMaxRows = 10;
    constexpr double kLabelPxPerChar = 7, kLabelPadPx = 12;
    std::vector<int64_t> rowEnds;
    for (int i : tops) {
        const Feature& f = all[size_t(i)];
        const int64_t labelEnd = f.region.begin + int64_t((double(f.name.size()) * kLabelPxPerChar + kLabelPadPx) * bpPerBin);
        const int row = packRow(rowEnds, f.region.begin, std::max(f.region.end, labelEnd) + int64_t(bpPerBin * 4), kMaxRows);
        rowOf[size_t(i)] = row;
        set.features.push_back({f.region.begin, f.region.end, f.name, f.type, f.strand, row, false});
    }
    for (int i : parts) {
        if (rowOf[size_t(i)] >= 0) continue;   // became a top-level feature above
        const int root = file.root[size_t(i)];
        const Feature& f = all[size_t(i)];
        const bool thick = f.type == "exon" || f.type == "CDS" || f.type == "five_prime_UTR" || f.type == "three_prime_UTR" ||
                           f.type == "UTR";
        if (!thick) continue;   // transcripts sit on their gene's line already
        set.features.push_back({f.region.begin, f.region.end, f.name, f.type, f.strand, std::max(0, rowOf[size_t(root)]), true});
    }
    set.rows = std::max<int>(1, int(rowEnds.size()));
    out.features.push_back(std::move(set));
}

void ViewSource::Impl::loadReads(AlignmentReader& reader, const ViewRequest& q, ViewData& out,
                                 const std::function<bool()>& superseded) const {
    ReadSet set;
    set.label = fileName(reader.path());
    const int64_t len = q.span.length();
    if (!hasContig(reader.references(), q.span.contig)) {
        set.note = "no reads on " + q.span.contig;
        out.reads.push_back(std::move(set));
        return;
    }
    if (len > kMaxCoverageSpan) {
        set.note = "zoom in to see coverage";
        out.reads.push_back(std::move(set));
        return;
    }
    if (auto ok = reader.query(q.span); !ok) {
        out.errors.push_back(ok.error().message);
        set.note = "cannot read this file here (see the log)";
        out.reads.push_back(std::move(set));
        return;
    }
    set.coverage_shown = true;
    set.reads_shown = len <= kMaxReadsSpan;
    // Depth by a difference array over the span's positions, then averaged into bins.
    std::vector<int32_t> diff(size_t(len) + 1, 0);
    // With the reference of the span at hand, each read is compared with it: its differences are
    // drawn on the read, and bases that disagree are counted per position for the coverage lane.
    const bool compare = int64_t(out.bases.size()) == len;
    std::vector<std::array<int32_t, 5>> mismatches;   // A, C, G, T, and N (no-calls)
    if (compare) mismatches.assign(size_t(len), {0, 0, 0, 0, 0});
    std::vector<int64_t> rowEnds;
    AlignedRead rec;
    int64_t n = 0;
    constexpr int kMaxReadRows = 60;
    while (true) {
        auto more = reader.next(rec);
        if (!more) {
            out.errors.push_back(more.error().message);
            break;
        }
        if (!*more) break;
        if ((++n & 1023) == 0 && superseded && superseded()) return;
        if (rec.unmapped()) continue;
        for (const Interval& b : rec.blocks) {
            const int64_t lo = std::max(b.begin, q.span.begin) - q.span.begin, hi = std::min(b.end, q.span.end) - q.span.begin;
            if (lo >= hi) continue;
            ++diff[size_t(lo)];
            --diff[size_t(hi)];
        }
        std::vector<ReadDifference> differences;
        if (compare) {
            differences = read_differences(rec, out.bases, q.span.begin);
            for (const ReadDifference& d : differences) {
                if (d.kind != ReadDifference::Kind::mismatch) continue;
                const int b = baseIndex(d.base);
                ++mismatches[size_t(d.pos - q.span.begin)][size_t(b >= 0 ? b : 4)];
            }
        }
        if (set.reads_shown) {
            if (int64_t(set.reads.size()) >= kMaxReads) {
                set.note = cat("showing the first ", kMaxReads, " reads");
                continue;
            }
            ReadPlacement p{rec.pos, rec.end, rec.reverse(), 0, rec.blocks, rec.name, std::move(differences)};
            // One base of room between neighbours on a row, as IGV leaves.
            p.row = packRow(rowEnds, rec.pos, rec.end + std::max<int64_t>(1, len / q.bins * 3), kMaxReadRows);
            set.reads.push_back(std::move(p));
        }
    }
    set.rows = int(rowEnds.size());
    if (!set.reads_shown) set.note = "zoom in to see reads";
    // No more bins than positions: a base-level view has one bin a base, never empty bins.
    const int64_t bins = std::min<int64_t>(q.bins, len);
    set.coverage.assign(size_t(bins), 0.0);
    int64_t depth = 0;
    std::vector<double> sum(size_t(bins), 0.0);
    std::vector<int64_t> count(size_t(bins), 0);
    for (int64_t i = 0; i < len; ++i) {
        depth += diff[size_t(i)];
        const size_t bin = size_t(std::min<int64_t>(bins - 1, i * bins / len));
        sum[bin] += double(depth);
        ++count[bin];
        if (!compare || depth <= 0) continue;
        const auto& mm = mismatches[size_t(i)];
        const int32_t other = mm[0] + mm[1] + mm[2] + mm[3];
        if (other <= kAlleleFraction * double(depth) || *std::max_element(mm.begin(), mm.begin() + 4) < kAlleleMinReads) continue;
        AlleleColumn a;
        a.pos = q.span.begin + i;
        a.ref = ascii_upper(out.bases[size_t(i)]);
        a.depth = int32_t(depth);
        for (int b = 0; b < 4; ++b) a.count[b] = mm[size_t(b)];
        // The rest of the aligned bases read the reference, but for the no-calls (N): they say nothing.
        if (const int r = baseIndex(a.ref); r >= 0) a.count[r] = std::max<int32_t>(0, a.depth - other - mm[4]);
        set.alleles.push_back(a);
    }
    for (size_t b = 0; b < sum.size(); ++b) set.coverage[b] = count[b] ? sum[b] / double(count[b]) : 0.0;
    out.reads.push_back(std::move(set));
}

}  // namespace ms::ui

#include "app/export_tracks.h"
#include "app/job_common.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <span>

#include "app/export_output.h"
#include "app/interrupt.h"
#include "genomics/bigwig_writer.h"

namespace ms {

namespace {

// Positions read from the store at a time: 4 MiB of floats, whatever the sequence's length.
constexpr int64_t kReadBlock = int64_t(1) << 20;
// Beyond this position tabix's .tbi cannot index (2^29 - 1); .csi can.
constexpr int64_t kTbiMaxPosition = (int64_t(1) << 29) - 1;

struct Span {
    const StoredSequence* seq;
    int64_t begin, end;
};

// The stretches to export: the --region, or every sequence of the run whole, by name in byte
// order (`sort -k1,1 -k2,2n` under LC_ALL=C, what bedGraphToBigWig and bedtools expect, and the
// bigWig's own order), whatever order the run stored them in (a --region list, a merge of shards).
std::vector<Span> spans(const ExportSource& src) {
    std::vector<Span> out;
    for (const StoredSequence& s : src.sequences) {
        if (src.region && src.region->contig != s.info.name) continue;
        out.push_back(src.region ? Span{&s, src.region->begin, src.region->end} : Span{&s, 0, s.info.length});
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Span& a, const Span& b) { return a.seq->info.name < b.seq->info.name; });
    return out;
}

// Hands the stored values of [begin, end) to `fn(first_position, values)` a block at a time.
Result<void> for_each_block(const ExportSource& src, int64_t track_id, const Span& sp,
                            const std::function<Result<void>(int64_t, std::span<const float>)>& fn) {
    for (int64_t b = sp.begin; b < sp.end; b += kReadBlock) {
        // Every track export (bigWig, bedGraph, BED) reads through here a block at a time.
        if (interrupted()) return make_error("interrupted; the export was not written");
        const int64_t e = std::min(sp.end, b + kReadBlock);
        std::vector<float> v;
        MS_ASSIGN(v, src.store.read_values(track_id, sp.seq->id, b, e));
        MS_TRY(fn(b, v));
    }
    return {};
}

// Turns per-base values into intervals: each non-NaN base alone, or (merge) each run of equal
// neighbouring values as one interval. NaN ends an interval and starts none.
class Intervals {
public:
    using Sink = std::function<Result<void>(int64_t, int64_t, float)>;
    Intervals(bool merge, Sink sink) : merge_(merge), sink_(std::move(sink)) {}

    Result<void> add(int64_t first, std::span<const float> values) {
        for (size_t i = 0; i < values.size(); ++i) {
            const int64_t pos = first + int64_t(i);
            const float v = values[i];
            if (open_ && merge_ && v == value_ && pos == end_) {
                ++end_;
                continue;
            }
            MS_TRY(close());
            if (std::isnan(v)) continue;
            open_ = true;
            begin_ = pos;
            end_ = pos + 1;
            value_ = v;
        }
        return {};
    }
    Result<void> close() {
        if (!open_) return {};
        open_ = false;
        ++count_;
        return sink_(begin_, end_, value_);
    }
    int64_t count() const { return count_; }

private:
    bool merge_;
    Sink sink_;
    bool open_ = false;
    int64_t begin_ = 0, end_ = 0, count_ = 0;
    float value_ = 0;
};

Result<std::string> export_bigwig(const ExportSource& src, int64_t track_id, const std::string& out) {
    std::vector<BigWigChrom> chroms;
    for (const StoredSequence& s : src.sequences) chroms.push_back({s.info.name, s.info.length});
    auto writer = BigWigWriter::create(out, std::move(chroms));
    if (!writer) return writer.error();
    // Intervals go in the writer's chromosome order (sorted by name), not the run's.
    for (size_t c = 0; c < writer->chroms().size(); ++c) {
        const StoredSequence* seq = src.sequence(writer->chroms()[c].name);
        if (src.region && src.region->contig != seq->info.name) continue;
        const Span sp = src.region ? Span{seq, src.region->begin, src.region->end} : Span{seq, 0, seq->info.length};
        // bigWig is binary and exact: equal neighbours are always one interval, so nothing is lost.
        Intervals iv(true, [&](int64_t b, int64_t e, float v) { return writer->add(c, b, e, v); });
        MS_TRY(for_each_block(src, track_id, sp, [&](int64_t b, std::span<const float> v) { return iv.add(b, v); }));
        MS_TRY(iv.close());
    }
    MS_TRY(writer->commit());
    return plural(writer->intervals(), "interval");
}

bool needs_csi(const std::vector<Span>& sp) {
    return std::any_of(sp.begin(), sp.end(), [](const Span& s) { return s.end > kTbiMaxPosition; });
}

Result<std::string> export_bedgraph(const ExportSource& src, int64_t track_id, const TrackExport& o,
                                    const std::string& out) {
    auto file = TextOutput::create(out, o.bgzip);
    if (!file) return file.error();
    const std::vector<Span> sp = spans(src);
    int64_t lines = 0;
    for (const Span& s : sp) {
        const std::string prefix = s.seq->info.name + "\t";
        Intervals iv(o.merge, [&](int64_t b, int64_t e, float v) {
            return file->put(cat(prefix, b, '\t', e, '\t', format_number(v), '\n'));
        });
        MS_TRY(for_each_block(src, track_id, s, [&](int64_t b, std::span<const float> v) { return iv.add(b, v); }));
        MS_TRY(iv.close());
        lines += iv.count();
    }
    MS_TRY(file->commit(o.bgzip ? TabixPreset::bed : TabixPreset::none, needs_csi(sp)));
    return plural(lines, "line");
}

// The hysteresis caller over one stretch of a sequence; regions go to `emit` in order.
class Caller {
public:
    using Sink = std::function<Result<void>(int64_t, int64_t, double mean)>;
    Caller(const RegionCalls& c, Sink sink) : c_(c), sink_(std::move(sink)) {}

    Result<void> add(int64_t first, std::span<const float> values) {
        for (size_t i = 0; i < values.size(); ++i) {
            const int64_t pos = first + int64_t(i);
            const double v = values[i];
            if (open_) {
                const bool leaves = std::isnan(v) || (c_.above ? v < c_.exit : v > c_.exit);
                if (!leaves) {
                    sum_ += v;
                    continue;
                }
                MS_TRY(close(pos));
            }
            if (!std::isnan(v) && (c_.above ? v >= c_.enter : v <= c_.enter)) {
                open_ = true;
                begin_ = pos;
                sum_ = v;
            }
        }
        return {};
    }
    Result<void> close(int64_t end) {
        if (!open_) return {};
        open_ = false;
        if (end - begin_ < c_.min_length) return {};
        return sink_(begin_, end, sum_ / double(end - begin_));
    }

private:
    const RegionCalls& c_;
    Sink sink_;
    bool open_ = false;
    int64_t begin_ = 0;
    double sum_ = 0;
};

Result<std::string> export_bed_calls(const ExportSource& src, int64_t track_id, const TrackExport& o,
                                     const std::string& out) {
    auto file = TextOutput::create(out, o.bgzip);
    if (!file) return file.error();
    const std::string name = o.calls.name.empty() ? o.track + "_" : o.calls.name;
    const std::vector<Span> sp = spans(src);
    int64_t regions = 0;
    for (const Span& s : sp) {
        Caller caller(o.calls, [&](int64_t b, int64_t e, double mean) {
            ++regions;
            // BED5: the score column holds the region's mean value (not UCSC's 0-1000 shading).
            return file->put(
                cat(s.seq->info.name, '\t', b, '\t', e, '\t', name, regions, '\t', format_number(float(mean)), '\n'));
        });
        MS_TRY(for_each_block(src, track_id, s, [&](int64_t b, std::span<const float> v) { return caller.add(b, v); }));
        MS_TRY(caller.close(s.end));
    }
    MS_TRY(file->commit(o.bgzip ? TabixPreset::bed : TabixPreset::none, needs_csi(sp)));
    return plural(regions, "region");
}

}  // namespace

Result<std::string> export_track(const ExportSource& src, const TrackExport& o, const std::string& out) {
    auto id = src.store.find_track(src.run.id, o.track);
    if (!id) {
        std::string names;
        MS_ASSIGN(names, track_names(src));
        return make_error(src.describe_run(), " has no track '", o.track, "'; its tracks: ", names);
    }
    if (src.sequences.empty())
        return make_error(src.describe_run(), " holds no sequences; track '", o.track, "' is empty");
    switch (o.format) {
        case TrackExport::Format::bigwig:
            return export_bigwig(src, *id, out);
        case TrackExport::Format::bedgraph:
            return export_bedgraph(src, *id, o, out);
        case TrackExport::Format::bed:
            return export_bed_calls(src, *id, o, out);
    }
    return make_error("unknown track export format");
}

}  // namespace ms

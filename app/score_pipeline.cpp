#include "app/score_pipeline.h"

#include "common/bases.h"
#include "common/thread_name.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "app/bounded_queue.h"
#include "app/digests.h"
#include "app/item_batches.h"

namespace ms {

namespace {

// Reader → compute: bases of one part; `info` set on a part's first block. Reverse blocks hold the
// reverse complement of record bases [begin, begin + size) and come after all forward blocks of
// their part, from the part's end (after its reverse warm-up) backwards.
struct BaseBlock {
    size_t part = 0;   // index in ScoreJob::parts
    int64_t begin = 0;   // record coordinate of the block's lowest base
    std::string bases;
    std::optional<SequenceInfo> info;
    bool reverse = false, first_reverse = false;
    bool last = false;          // the strand's last block: the state after it is not needed
    bool end_of_part = false;   // no bases: every block of the part went before
};

// Compute → writer: the tracks of `n` bases from record coordinate `begin`, track-major, in
// forward orientation; reverse blocks also carry the observed base (0-3 = A C G T, -1 other).
struct ScoreBlock {
    size_t part = 0;   // index in ScoreJob::parts
    int64_t begin = 0, n = 0;
    std::vector<float> values;   // [kScoreTracks, n]
    std::optional<SequenceInfo> info;
    bool reverse = false;
    std::vector<int8_t> observed;
    bool end_of_part = false;   // n = 0: the part is done
    // n = 0: the facts of parts' sequences, ahead of their values (short parts, send_sequences).
    std::vector<std::pair<size_t, SequenceInfo>> sequences;
};

int8_t base_code(char c) {
    switch (c) {
        case 'A': case 'a': return 0;
        case 'C': case 'c': return 1;
        case 'G': case 'g': return 2;
        case 'T': case 't': return 3;
        default: return -1;
    }
}

// The first error of any stage; later ones are consequences of it (closed queues).
class FirstError {
public:
    void set(Error e) {
        std::lock_guard lock(m_);
        if (!e_) e_ = std::move(e);
    }
    std::optional<Error> get() {
        std::lock_guard lock(m_);
        return e_;
    }

private:
    std::mutex m_;
    std::optional<Error> e_;
};

constexpr size_t kQueueDepth = 4;   // blocks in flight between two stages
constexpr size_t kMaxQueuedBlocks = 1 << 16;  // reader → compute: what bounds a queue of short records

// Records' MD5s, computed once each: many targets on one contig (a BED of regions on chr1) would
// otherwise read the whole contig again for every target. Shared by the lanes' readers.
class Md5Cache {
public:
    Result<std::string> get(const FastaFile& fa, const SequenceRecord& rec, int64_t block) {
        {
            std::lock_guard lock(m_);
            if (auto it = done_.find(rec.name); it != done_.end()) return it->second;
        }
        std::string md5;   // computed outside the lock: two lanes may both compute one, never wrongly
        MS_ASSIGN(md5, compute(fa, rec, block));
        std::lock_guard lock(m_);
        return done_.emplace(rec.name, md5).first->second;
    }

private:
    static Result<std::string> compute(const FastaFile& fa, const SequenceRecord& rec, int64_t block);
    std::mutex m_;
    std::map<std::string, std::string> done_;
};

Result<std::string> Md5Cache::compute(const FastaFile& fa, const SequenceRecord& rec, int64_t block) {
    SequenceMd5 md5;
    for (int64_t b = 0; b < rec.length; b += block) {
        auto bases = fa.fetch(rec.name, b, std::min(rec.length, b + block));
        if (!bases) return bases.error();
        md5.update(*bases);
    }
    return md5.hex();
}

// The reader's end-of-part marker after the part's last block.
BaseBlock end_marker(size_t part) {
    BaseBlock b;
    b.part = part;
    b.end_of_part = true;
    return b;
}

// A lane's reader: claims the next part nobody has taken, sends its blocks, repeats. Forward blocks
// start with the part's warm-up (bases before it), reverse blocks with the bases after it.
Result<void> read_stage(const ScoreJob& job, const FastaFile& fasta, std::atomic<size_t>& next_part, Md5Cache& md5s,
                        BoundedQueue<BaseBlock>& out) {
    for (size_t i = next_part++; i < job.parts.size(); i = next_part++) {
        const ScorePart& part = job.parts[i];
        const Region& t = part.region;
        const SequenceRecord* rec = fasta.find(t.contig);
        if (!rec) return make_error("'", fasta.path(), "' has no record '", t.contig, "'");
        std::string md5;
        MS_ASSIGN(md5, md5s.get(fasta, *rec, job.read_block));
        const int64_t run_begin = t.begin - part.warmup_before, run_end = t.end + part.warmup_after;
        for (int64_t b = run_begin; b < t.end; b += job.read_block) {
            if (job.interrupted && *job.interrupted) return make_error("interrupted");
            BaseBlock block;
            block.part = i;
            block.begin = b;
            MS_ASSIGN(block.bases, fasta.fetch(t.contig, b, std::min(t.end, b + job.read_block)));
            if (b == run_begin) block.info = SequenceInfo{rec->name, rec->length, md5, fasta.path()};
            block.last = b + job.read_block >= t.end;
            if (!out.push(std::move(block))) return {};   // closed downstream: its error is the one to report
        }
        if (job.both_strands) {
            for (int64_t e = run_end; e > t.begin; e -= job.read_block) {
                if (job.interrupted && *job.interrupted) return make_error("interrupted");
                BaseBlock block;
                block.part = i;
                block.begin = std::max(t.begin, e - job.read_block);
                MS_ASSIGN(block.bases, fasta.fetch(t.contig, block.begin, e));
                std::reverse(block.bases.begin(), block.bases.end());
                complement_in_place(block.bases);
                block.reverse = true;
                block.first_reverse = e == run_end;
                block.last = block.begin == t.begin;
                if (!out.push(std::move(block))) return {};
            }
        }
        if (!out.push(end_marker(i))) return {};
    }
    return {};
}

// Bases done over all lanes, and the progress callback called by one lane at a time.
struct SharedProgress {
    std::mutex m;
    int64_t done = 0, total = 0;
};

// Chunk view v of `block` as the writer's ScoreBlock (its positions past the warm-up only), sent;
// progress and Ctrl-C per chunk, not per block: a block of a few Mbp takes seconds on the CPU.
// A part's sequence facts go with its first block that stores values.
Result<void> send_chunk(const ScoreJob& job, const BaseBlock& block, const ChunkView& v,
                        std::optional<SequenceInfo>& pending_info, SharedProgress& progress,
                        BoundedQueue<ScoreBlock>& out) {
    const ScorePart& part = job.parts[block.part];
    const Region& t = part.region;
    // The session counts positions from the first base it ran: the first warm-up base. Those
    // positions are run for their state only; the outputs kept start after them.
    const int64_t warmup = block.reverse ? part.warmup_after : part.warmup_before;
    const int64_t run_end = t.end + part.warmup_after;  // the reverse stream's position 0 is base run_end - 1
    const int skip = int(std::clamp<int64_t>(warmup - v.start, 0, v.T));
    if (skip < v.T) {
        ScoreBlock s;
        s.part = block.part;
        const int n = v.T - skip;
        s.n = n;
        s.reverse = block.reverse;
        s.values.resize(size_t(kScoreTracks) * size_t(n));
        // Forward: stream position p is record base t.begin - warmup + p. Reverse: stream
        // position p is record base run_end - 1 - p; the chunk is stored reversed, its
        // probabilities complemented (P(A) of a forward base = P(T) on the other strand).
        s.begin = block.reverse ? run_end - v.start - v.T : t.begin + (v.start + skip - warmup);
        if (block.reverse) s.observed.resize(size_t(n));
        // The block's first base is stream position run_end - block.begin - size (reverse).
        const int64_t block_start = run_end - block.begin - int64_t(block.bases.size());
        for (int i = skip; i < v.T; ++i) {
            const BaseScores& b = v.scores[i];
            const size_t at = block.reverse ? size_t(v.T - 1 - i) : size_t(i - skip);
            for (int k = 0; k < 4; ++k) s.values[size_t(k) * size_t(n) + at] = b.p[size_t(block.reverse ? 3 - k : k)];
            s.values[size_t(4) * size_t(n) + at] = b.log2_lik;
            s.values[size_t(5) * size_t(n) + at] = b.entropy;
            if (block.reverse) {
                const int8_t c = base_code(block.bases[size_t(v.start + i - block_start)]);
                s.observed[at] = c < 0 ? int8_t(-1) : int8_t(3 - c);  // the forward strand's base
            }
        }
        s.info = std::move(pending_info);
        pending_info.reset();
        if (!out.push(std::move(s))) return make_error("the writer stopped");
    }
    {
        std::lock_guard lock(progress.m);
        progress.done += v.T;
        if (job.progress) job.progress(t.contig, progress.done, progress.total);
    }
    if (job.interrupted && *job.interrupted) return make_error("interrupted");
    return {};
}

Result<void> send_end_of_part(size_t part, BoundedQueue<ScoreBlock>& out) {
    ScoreBlock s;
    s.part = part;
    s.end_of_part = true;
    if (!out.push(std::move(s))) return make_error("the writer stopped");
    return {};
}

// Whole short parts gathered to run side by side (ScoreJob::short_part): their blocks, each one
// strand of one part, and the end markers that came between them, in the order they run.
struct ShortParts {
    std::vector<BaseBlock> entries;
    int64_t items = 0, longest = 0, bases = 0;
};

// The writer numbers sequences in the order their facts arrive: short parts hand theirs over as
// they join the window, in the genome's order, so the store lists records as the FASTA does; the
// writer adds them in one transaction.
Result<void> send_sequences(std::vector<std::pair<size_t, SequenceInfo>>& seqs, BoundedQueue<ScoreBlock>& out) {
    if (seqs.empty()) return {};
    ScoreBlock s;
    s.sequences = std::move(seqs);
    seqs.clear();
    if (!out.push(std::move(s))) return make_error("the writer stopped");
    return {};
}

Result<void> compute_stage(const ScoreJob& job, const ScoreLane& lane, SharedProgress& progress,
                           BoundedQueue<BaseBlock>& in, BoundedQueue<ScoreBlock>& out, BatchStats& stats) {
    std::vector<int32_t> tokens;
    std::optional<SequenceInfo> pending_info;
    // A strand of a part is short when it is one block with no warm-up and at most short_part
    // bases; on a session that runs several streams, short ones wait here and run side by side.
    Session& session = *lane.session;
    BatchLimits limits{session.options().batch, session.rows(), session.options().chunk, {}, lane.fill};
    limits.call_length = [&session](int64_t n) { return int64_t(session.call_length(int(n))); };
    const int max_items = limits.max_items;
    const auto is_short = [&](const BaseBlock& b) {
        const ScorePart& part = job.parts[b.part];
        return max_items > 1 && (b.info || b.first_reverse) && b.last && part.warmup_before == 0 &&
               part.warmup_after == 0 && !b.bases.empty() && int64_t(b.bases.size()) <= job.short_part;
    };
    const auto count_unknown = [&](const BaseBlock& block, const int32_t* toks, int64_t n) {
        if (!job.unknown_bases || block.reverse) return;
        const int64_t first = std::clamp<int64_t>(job.parts[block.part].region.begin - block.begin, 0, n);
        *job.unknown_bases += std::count(toks + first, toks + n, Tokenizer::kUnk);
    };
    // Short parts wait in a window of the genome's order (kWindowBatches) and run sorted by length.
    // Long parts run as they come and the window waits for them, so a draft assembly's long contigs
    // between its short ones do not cut it short.
    std::vector<BaseBlock> window;  // short parts' entries in arrival order, each part's together
    int64_t window_bases = 0, window_items = 0;
    std::vector<std::pair<size_t, SequenceInfo>> unsent;  // the window's sequence facts not yet sent
    ShortParts waiting;
    // Batches started on the session and not yet all handed on, oldest first. The session hands a
    // batch's items over while the device computes the next batch (Session::start_items); each
    // item goes on after the end markers before it, and a batch's last markers once its items
    // have all gone.
    struct Started {
        ShortParts parts;
        std::vector<size_t> entry_of;  // item i is parts.entries[entry_of[i]]
        size_t sent = 0;               // entries handed on
        size_t delivered = 0;          // items handed on
    };
    std::deque<std::unique_ptr<Started>> started;
    const auto markers_before = [&](Started& s, size_t e) -> Result<void> {
        for (; s.sent < e; ++s.sent)
            if (s.parts.entries[s.sent].end_of_part) MS_TRY(send_end_of_part(s.parts.entries[s.sent].part, out));
        return {};
    };
    const auto settle = [&]() -> Result<void> {
        while (!started.empty() && started.front()->delivered == started.front()->entry_of.size()) {
            MS_TRY(markers_before(*started.front(), started.front()->parts.entries.size()));
            started.pop_front();
        }
        return {};
    };
    const auto run_waiting = [&]() -> Result<void> {
        auto batch = std::make_unique<Started>();
        batch->parts = std::move(waiting);
        waiting = ShortParts{};
        std::vector<std::string_view> items;
        for (size_t e = 0; e < batch->parts.entries.size(); ++e)
            if (!batch->parts.entries[e].end_of_part) {
                items.push_back(batch->parts.entries[e].bases);
                batch->entry_of.push_back(e);
            }
        if (!items.empty()) {
            ++stats.batches;
            stats.items += int64_t(items.size());
            stats.bases += batch->parts.bases;
            stats.positions += int64_t(items.size()) * batch->parts.longest;
        }
        Started* s = batch.get();
        started.push_back(std::move(batch));
        ItemChunkSink sink = [&, s](size_t i, const ChunkView& v) -> Result<void> {
            MS_TRY(markers_before(*s, s->entry_of[i]));
            BaseBlock& b = s->parts.entries[s->entry_of[i]];
            ++s->sent;
            ++s->delivered;
            count_unknown(b, v.tokens, v.T);
            pending_info = std::move(b.info);
            return send_chunk(job, b, v, pending_info, progress, out);
        };
        MS_TRY(session.start_items(items, std::move(sink)));
        return settle();
    };
    // Items run padded to the longest of them (joins_batch; the window's order makes padding rare).
    const auto add_waiting = [&](BaseBlock&& b) -> Result<void> {
        if (!b.end_of_part) {
            const int64_t len = int64_t(b.bases.size());
            if (!joins_batch(limits, waiting.items, waiting.longest, waiting.bases, len)) MS_TRY(run_waiting());
            waiting.items += 1;
            waiting.longest = std::max(waiting.longest, len);
            waiting.bases += len;
        }
        waiting.entries.push_back(std::move(b));
        return {};
    };
    // The window's parts run shortest first. A part's entries stay together and in order, so a
    // reverse strand still comes after its forward one.
    const auto run_window = [&]() -> Result<void> {
        MS_TRY(send_sequences(unsent, out));
        std::vector<std::pair<size_t, size_t>> parts;  // [first, end) entries of each part
        for (size_t e = 0; e < window.size();) {
            const size_t first = e;
            while (e < window.size() && window[e].part == window[first].part) ++e;
            parts.emplace_back(first, e);
        }
        std::stable_sort(parts.begin(), parts.end(), [&](const auto& a, const auto& b) {
            return window[a.first].bases.size() < window[b.first].bases.size();
        });
        for (const auto& [first, end] : parts)
            for (size_t e = first; e < end; ++e) MS_TRY(add_waiting(std::move(window[e])));
        window.clear();
        window_bases = window_items = 0;
        return waiting.entries.empty() ? Result<void>{} : run_waiting();
    };
    // Every batch started handed on.
    const auto drain = [&]() -> Result<void> {
        MS_TRY(session.finish_items());
        return settle();
    };
    while (auto block = in.pop()) {
        if (job.interrupted && *job.interrupted) return make_error("interrupted");
        // A part's end marker follows its blocks: with them when they wait, else on its way (its
        // blocks have all gone, fed below).
        if (block->end_of_part) {
            if (!window.empty() && window.back().part == block->part)
                window.push_back(std::move(*block));
            else
                MS_TRY(send_end_of_part(block->part, out));
            continue;
        }
        if (is_short(*block)) {
            const int64_t len = int64_t(block->bases.size());
            const bool new_part = window.empty() || window.back().part != block->part;
            if (new_part && (window_bases + len > kWindowBatches * limits.batch_positions() ||
                             window_items + 1 > kWindowBatches * max_items))
                MS_TRY(run_window());
            if (block->info) unsent.emplace_back(block->part, *std::exchange(block->info, std::nullopt));
            window_bases += len;
            window_items += 1;
            window.push_back(std::move(*block));
            continue;
        }
        // A long part runs alone, state carried from chunk to chunk; the window waits (the facts of
        // its sequences go first: the store's order is the genome's).
        MS_TRY(send_sequences(unsent, out));
        MS_TRY(drain());
        if (block->info || block->first_reverse) MS_TRY(session.reset());   // a new sequence: zero state
        if (block->info) pending_info = std::move(block->info);
        tokens.clear();
        if (job.model->tokenizer.encode(block->bases, tokens))
            count_unknown(*block, tokens.data(), int64_t(tokens.size()));
        const auto sink = [&](const ChunkView& v) { return send_chunk(job, *block, v, pending_info, progress, out); };
        MS_TRY(session.feed(tokens.data(), int64_t(tokens.size()), sink, block->last));
    }
    if (!window.empty()) MS_TRY(run_window());
    return drain();
}

// A reverse block against the stored forward values of the same bases: the strand means replace
// the main tracks, and each strand's own log-likelihood is kept beside them.
Result<void> merge_strands(const ScoreJob& job, int64_t seq_id, ScoreBlock& s, const std::vector<int64_t>& track_ids) {
    const size_t n = size_t(s.n);
    std::vector<std::vector<float>> fwd(4);
    for (int k = 0; k < 4; ++k) MS_ASSIGN(fwd[size_t(k)], job.store->read_values(track_ids[size_t(k)], seq_id, s.begin, s.begin + s.n));
    const std::vector<float> rev_loglik(s.values.begin() + 4 * int64_t(n), s.values.begin() + 5 * int64_t(n));
    for (size_t i = 0; i < n; ++i) {
        float p[4];
        for (int k = 0; k < 4; ++k) {
            const float f = fwd[size_t(k)][i], r = s.values[size_t(k) * n + i];
            p[k] = std::isnan(f) ? r : std::isnan(r) ? f : 0.5f * (f + r);   // an edge base has one strand's context only
            s.values[size_t(k) * n + i] = p[k];
        }
        const int8_t o = s.observed[i];
        s.values[4 * n + i] = o < 0 || std::isnan(p[0]) ? NAN : std::log2(p[o]);
        double h = 0;
        for (float q : p)
            if (q > 0) h -= double(q) * std::log2(double(q));
        s.values[5 * n + i] = std::isnan(p[0]) ? NAN : float(h);
    }
    MS_TRY(job.store->write_track(job.run_id, kReverseLoglik, seq_id, s.begin, rev_loglik.data(), s.n));
    return {};
}

constexpr size_t kCompletionBatch = 256;  // parts recorded complete at a time at most

Result<void> write_stage(const ScoreJob& job, BoundedQueue<ScoreBlock>& in) {
    std::vector<int64_t> seq_ids(job.parts.size(), 0);
    std::vector<int64_t> track_ids;
    std::map<std::string, int> unfinished;   // parts not yet done, per contig
    for (const ScorePart& p : job.parts) ++unfinished[p.region.contig];
    // Parts done are recorded together (one flush, one transaction) once the queue runs dry or
    // enough wait: short records arrive faster than one flush and two commits each allow.
    std::vector<CompletedPart> done;
    while (true) {
        std::optional<ScoreBlock> s = in.try_pop();
        if (!s || done.size() >= kCompletionBatch) {
            MS_TRY(job.store->mark_complete(done));
            done.clear();
            if (!s && !(s = in.pop())) break;
        }
        if (!s->sequences.empty()) {
            std::vector<SequenceInfo> infos;
            for (auto& [part, info] : s->sequences) infos.push_back(std::move(info));
            std::vector<int64_t> ids;
            MS_ASSIGN(ids, job.store->add_sequences(job.run_id, infos));
            for (size_t i = 0; i < ids.size(); ++i) seq_ids[s->sequences[i].first] = ids[i];
            continue;
        }
        if (s->info) MS_ASSIGN(seq_ids[s->part], job.store->add_sequence(job.run_id, *s->info));
        const int64_t seq = seq_ids[s->part];
        if (s->end_of_part) {
            const Region& r = job.parts[s->part].region;
            done.push_back({seq, r.begin, r.end, --unfinished[r.contig] == 0});
            continue;
        }
        if (s->reverse) {
            // The forward values are read back from the store (its write buffers included).
            for (int k = int(track_ids.size()); k < 4; ++k) {
                int64_t id = 0;
                MS_ASSIGN(id, job.store->find_track(job.run_id, kScoreTrackNames[k]));
                track_ids.push_back(id);
            }
            MS_TRY(merge_strands(job, seq, *s, track_ids));
        } else if (job.both_strands) {
            MS_TRY(job.store->write_track(job.run_id, kForwardLoglik, seq, s->begin, &s->values[size_t(4) * size_t(s->n)], s->n));
        }
        for (int k = 0; k < kScoreTracks; ++k)
            MS_TRY(job.store->write_track(job.run_id, kScoreTrackNames[k], seq, s->begin, &s->values[size_t(k) * size_t(s->n)], s->n));
    }
    return job.store->flush();
}

}  // namespace

Result<void> run_score_pipeline(const ScoreJob& job) {
    if (job.lanes.empty()) return make_error("score: no engine session to run");
    const size_t n = job.lanes.size();
    // Reader → compute holds kQueueDepth read blocks' bases (a block counts one more, so that end
    // markers count), however many records they are: records of a few kbp are a block each, and a
    // lane's window of short parts (kWindowBatches) fills from what the reader read while the
    // batches before ran.
    std::vector<std::unique_ptr<BoundedQueue<BaseBlock>>> bases;
    for (size_t i = 0; i < n; ++i)
        bases.push_back(
            std::make_unique<BoundedQueue<BaseBlock>>(kMaxQueuedBlocks, kQueueDepth * size_t(job.read_block + 1),
                                                      [](const BaseBlock& b) { return b.bases.size() + 1; }));
    BoundedQueue<ScoreBlock> scores(kQueueDepth * 8 * n);   // several chunks make one read block
    FirstError first;
    std::atomic<size_t> next_part{0};
    Md5Cache md5s;
    SharedProgress progress;   // bases run, warm-ups included
    for (const ScorePart& p : job.parts)
        progress.total += p.region.length() + p.warmup_before + (job.both_strands ? p.region.length() + p.warmup_after : 0);
    auto close_inputs = [&] {
        for (auto& q : bases) q->close();
    };
    // Each stage closes its queues when it ends, however it ends, so no other stage waits forever;
    // the writer's input closes when the last compute lane is done.
    std::atomic<size_t> computing{n};
    // How long each stage's thread lived (reader i, compute i, then the writer), for stage_times.
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<double> lived(2 * n + 1, 0.0);
    std::vector<BatchStats> short_stats(n);
    const auto ended = [&](size_t k) {
        lived[k] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    std::vector<std::thread> threads;
    threads.emplace_back([&] {
        name_this_thread("ms-writer");
        if (auto r = write_stage(job, scores); !r) first.set(r.error()), close_inputs();
        scores.close();
        ended(2 * n);
    });
    for (size_t i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            name_this_thread(cat("ms-reader-", i));
            if (auto r = read_stage(job, *job.lanes[i].fasta, next_part, md5s, *bases[i]); !r)
                first.set(r.error()), close_inputs();   // every lane drains what was read, then stops
            bases[i]->close();
            ended(2 * i);
        });
        threads.emplace_back([&, i] {
            name_this_thread(cat("ms-engine-", i));
            if (auto r = compute_stage(job, job.lanes[i], progress, *bases[i], scores, short_stats[i]); !r)
                first.set(r.error()), close_inputs();
            if (--computing == 0) scores.close();
            ended(2 * i + 1);
        });
    }
    for (std::thread& t : threads) t.join();
    if (job.stage_times) {
        // What a stage's thread did not spend waiting on a queue, it worked.
        StageTimes& st = *job.stage_times;
        st = StageTimes{};
        st.lanes = int(n);
        st.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        for (size_t i = 0; i < n; ++i) {
            st.reading += lived[2 * i] - bases[i]->push_wait_seconds();
            st.computing += lived[2 * i + 1] - bases[i]->pop_wait_seconds();
            st.short_parts += short_stats[i];
        }
        st.computing -= scores.push_wait_seconds();
        st.writing = lived[2 * n] - scores.pop_wait_seconds();
    }
    if (auto e = first.get()) return *e;
    return {};
}

}  // namespace ms

#include "app/score_pipeline.h"

#include <mutex>
#include <optional>
#include <thread>

#include "app/bounded_queue.h"
#include "app/digests.h"

namespace ms {

namespace {

// Reader → compute: bases of one target; `info` set on a target's first block.
struct BaseBlock {
    size_t target = 0;
    int64_t begin = 0;   // record coordinate of bases[0]
    std::string bases;
    std::optional<SequenceInfo> info;
};

// Compute → writer: the tracks of `n` bases from record coordinate `begin`, track-major.
struct ScoreBlock {
    size_t target = 0;
    int64_t begin = 0, n = 0;
    std::vector<float> values;   // [kScoreTracks, n]
    std::optional<SequenceInfo> info;
};

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

Result<std::string> record_md5(const FastaFile& fa, const SequenceRecord& rec, int64_t block) {
    SequenceMd5 md5;
    for (int64_t b = 0; b < rec.length; b += block) {
        auto bases = fa.fetch(rec.name, b, std::min(rec.length, b + block));
        if (!bases) return bases.error();
        md5.update(*bases);
    }
    return md5.hex();
}

Result<void> read_stage(const ScoreJob& job, BoundedQueue<BaseBlock>& out) {
    for (size_t i = 0; i < job.targets.size(); ++i) {
        const Region& t = job.targets[i];
        const SequenceRecord* rec = job.fasta->find(t.contig);
        if (!rec) return make_error("'", job.fasta->path(), "' has no record '", t.contig, "'");
        std::string md5;
        MS_ASSIGN(md5, record_md5(*job.fasta, *rec, job.read_block));
        for (int64_t b = t.begin; b < t.end; b += job.read_block) {
            if (job.interrupted && *job.interrupted) return make_error("interrupted");
            BaseBlock block;
            block.target = i;
            block.begin = b;
            MS_ASSIGN(block.bases, job.fasta->fetch(t.contig, b, std::min(t.end, b + job.read_block)));
            if (b == t.begin) block.info = SequenceInfo{rec->name, rec->length, md5, job.fasta->path()};
            if (!out.push(std::move(block))) return {};   // closed downstream: its error is the one to report
        }
    }
    return {};
}

Result<void> compute_stage(const ScoreJob& job, BoundedQueue<BaseBlock>& in, BoundedQueue<ScoreBlock>& out) {
    int64_t total = 0, done = 0;
    for (const Region& t : job.targets) total += t.length();
    std::vector<int32_t> tokens;
    while (auto block = in.pop()) {
        if (job.interrupted && *job.interrupted) return make_error("interrupted");
        const Region& t = job.targets[block->target];
        if (block->info) MS_TRY(job.session->reset());   // a new sequence: zero state
        tokens.clear();
        job.model->tokenizer.encode(block->bases, tokens);
        std::optional<SequenceInfo> info = std::move(block->info);
        const auto sink = [&](const ChunkView& v) -> Result<void> {
            ScoreBlock s;
            s.target = block->target;
            s.begin = t.begin + v.start;   // the session counts from the target's first base
            s.n = v.T;
            s.values.resize(size_t(kScoreTracks) * size_t(v.T));
            for (int i = 0; i < v.T; ++i) {
                const BaseScores& b = v.scores[i];
                for (int k = 0; k < 4; ++k) s.values[size_t(k) * v.T + size_t(i)] = b.p[size_t(k)];
                s.values[size_t(4) * v.T + size_t(i)] = b.log2_lik;
                s.values[size_t(5) * v.T + size_t(i)] = b.entropy;
            }
            s.info = std::move(info);
            info.reset();
            if (!out.push(std::move(s))) return make_error("the writer stopped");
            return {};
        };
        MS_TRY(job.session->feed(tokens.data(), int64_t(tokens.size()), sink));
        done += int64_t(block->bases.size());
        if (job.progress) job.progress(t.contig, done, total);
    }
    return {};
}

Result<void> write_stage(const ScoreJob& job, BoundedQueue<ScoreBlock>& in) {
    std::vector<int64_t> seq_ids(job.targets.size(), 0);
    while (auto s = in.pop()) {
        if (s->info) MS_ASSIGN(seq_ids[s->target], job.store->add_sequence(job.run_id, *s->info));
        for (int k = 0; k < kScoreTracks; ++k)
            MS_TRY(job.store->write_track(job.run_id, kScoreTrackNames[k], seq_ids[s->target], s->begin,
                                          &s->values[size_t(k) * size_t(s->n)], s->n));
    }
    return job.store->flush();
}

}  // namespace

Result<void> run_score_pipeline(const ScoreJob& job) {
    BoundedQueue<BaseBlock> bases(kQueueDepth);
    BoundedQueue<ScoreBlock> scores(kQueueDepth * 8);   // several chunks make one read block
    FirstError first;
    // Each stage closes its queues when it ends, however it ends, so no other stage waits forever.
    std::thread reader([&] {
        if (auto r = read_stage(job, bases); !r) first.set(r.error());   // compute drains what was read
        bases.close();
    });
    std::thread writer([&] {
        if (auto r = write_stage(job, scores); !r) first.set(r.error()), bases.close();
        scores.close();
    });
    if (auto r = compute_stage(job, bases, scores); !r) first.set(r.error()), bases.close();
    scores.close();
    reader.join();
    writer.join();
    if (auto e = first.get()) return *e;
    return {};
}

}  // namespace ms

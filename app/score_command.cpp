#include "app/score_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <nlohmann/json.hpp>

#include "app/bundled_model.h"
#include "app/digests.h"
#include "app/interrupt.h"
#include "app/run_lock.h"
#include "app/run_match.h"
#include "app/score_pipeline.h"
#include "common/version.h"
#include "engine/backend_registry.h"
#include "engine/cli/engine_commands.h"
#include "engine/model.h"
#include "genomics/bed.h"
#include "genomics/fasta.h"
#include "genomics/locus.h"
#include "genomics/results_store.h"

namespace ms {

namespace {

// Probabilities as float16: relative precision (2^-11) matters more than absolute, because small
// probabilities feed log-likelihoods (the strand mean reads them back; 16-bit steps over [0, 1]
// turned p = 1e-5 into 1.5e-5). Entropy has a fixed range: 16-bit steps over [0, 2] bits.
TrackEncoding track_encoding(int k) {
    if (k == 5) return TrackEncoding::quantized16(0.0f, 2.0f);
    return TrackEncoding::float16();
}

}  // namespace

void add_score_options(CLI::App* sub, ScoreOptions& o) {
    add_model_option(sub, o.model);
    sub->add_option("--fasta", o.fasta, "genome FASTA (plain or bgzip; the .fai is built when missing)")->required();
    sub->add_option("--db", o.db, "results database (created when missing; runs are added to it)")->required();
    auto* region = sub->add_option("--region", o.regions,
                                   "locus to score, e.g. chr1 or chr1:1,000-2,000 (repeatable, overlapping or touching "
                                   "loci are joined; default: every record)");
    sub->add_option("--bed", o.bed,
                    "score the regions of this BED file (0-based half-open, overlapping or touching regions joined; "
                    "plain, gzip or bgzip)")
        ->excludes(region);
    add_engine_options(sub, o);
    sub->add_option("--strand", o.strand, "fwd, or both: also the reverse complement, tracks averaged over the strands")
        ->capture_default_str()->check(CLI::IsMember({"fwd", "both"}));
    sub->add_option("--lanes", o.lanes,
                    "sequences scored side by side, one engine each (default: one per GPU with cuda:all, else 1)")
        ->check(CLI::Range(1, 64));
    sub->add_option("--shard", o.shard, "I/N: score only part I of N (length-balanced sequences or segments; `merge` joins the parts)");
    auto* segments = sub->add_option(
        "--segment-length", o.segment_length,
        "cut sequences longer than this (bases, e.g. 5M; auto: a fair share of shards x lanes) into segments "
        "run side by side, each after a warm-up (default: whole sequences, exact)");
    // Without segments there is nothing to warm up: the value was ignored without a word.
    sub->add_option("--warmup", o.warmup, "bases run before each segment to build up its state, outputs dropped")
        ->capture_default_str()
        ->check(CLI::Range(int64_t(0), int64_t(1) << 40))
        ->needs(segments);
    sub->add_flag(
        "--resume", o.resume,
        "continue the newest unfinished run of this genome, model and parameters (finished sequences and segments are "
        "skipped; a database without any run, or none yet, gets a new one)");
}

int cmd_score(const ScoreOptions& o, const std::string& command) {
    return run_cli_job(o.quiet, [&](const JobControl& control) { return run_score(o, command, control); });
}

Result<JobOutcome> run_score(const ScoreOptions& o, const std::string& command, const JobControl& control) {
    auto model = Model::load(o.model);
    if (!model) return make_error(model.error().message);
    auto fa = FastaFile::open(o.fasta);
    if (!fa) return make_error(fa.error().message);
    const ContigList contigs(fa->records(), fa->empty_records());
    std::vector<Region> targets;
    for (const std::string& r : o.regions) {
        auto region = parse_locus(r, contigs);
        if (!region) return make_error(cat("--region '", r, "': ", region.error().message));
        targets.push_back(*region);
    }
    if (!o.bed.empty()) {
        auto bed = read_bed(o.bed, contigs);
        if (!bed) return make_error(bed.error().message);
        int64_t minus = 0, points = 0;
        for (const BedRegion& b : *bed) {
            if (b.region.length() > 0) targets.push_back(b.region);   // insertion points have no bases to score
            points += b.region.length() == 0;
            minus += b.strand == '-';
        }
        if (targets.empty()) return make_error(cat("--bed '", o.bed, "' has no region with bases to score"));
        if (points > 0)  // said: they were dropped without a word (found in review)
            control.note(cat("score: ", points, " zero-length region(s) of --bed '", o.bed,
                             "' (insertion points) have no bases to score and are left out"));
        // The tracks are per genome position, so a region is scored on the strands --strand names
        // whatever its own strand; a user with '-' genes may expect their reverse complement.
        if (minus > 0 && o.strand != "both")
            control.note(cat("score: ", minus, " region(s) of --bed '", o.bed, "' are on the '-' strand; --strand ",
                             o.strand, " scores every region on the forward strand (--strand both adds the reverse ",
                             "complement, averaged with it)"));
    }
    if (o.regions.empty() && o.bed.empty())
        for (const SequenceRecord& rec : fa->records()) targets.push_back({rec.name, 0, rec.length});
    if (const size_t n = merge_overlapping_targets(targets))
        control.note(cat("score: ", n, " region(s) overlapping or touching others were joined with them (",
                         targets.size(), " target(s) left): each base is stored once, with the context before it"));
    auto precision = parse_precision(o.precision);
    if (!precision) return make_error(precision.error().message);
    auto sha = model_sha256(o.model);
    if (!sha) return make_error(sha.error().message);
    // One engine per lane: cuda:all gives each GPU a lane; on the CPU, lanes share the cores.
    auto devices = single_devices(o.device);
    if (!devices) return make_error(devices.error().message);
    const int requested_lanes = o.lanes > 0 ? o.lanes : int(devices->size());
    int shard_i = 1, shard_n = 1;
    if (!o.shard.empty()) {
        auto shard = parse_shard(o.shard);
        if (!shard) return make_error(cat("--shard ", shard.error().message));
        std::tie(shard_i, shard_n) = *shard;
    }
    auto segment_length = parse_segment_length(o.segment_length);
    if (!segment_length) return make_error(segment_length.error().message);
    if (*segment_length < 0) *segment_length = auto_segment_length(targets, shard_n * requested_lanes);
    std::vector<ScorePart> parts = cut_segments(targets, *segment_length, o.warmup);
    // Each segment runs its warm-up too: segments shorter than it multiply the work.
    if (*segment_length > 0 && parts.size() > targets.size() && *segment_length < 10 * o.warmup) {
        int64_t run_bases = 0, scored = 0;
        for (const ScorePart& p : parts) {
            const int64_t strands = o.strand == "both" ? 2 : 1;
            run_bases += strands * p.region.length() + p.warmup_before + (strands == 2 ? p.warmup_after : 0);
            scored += strands * p.region.length();
        }
        char factor[32];
        std::snprintf(factor, sizeof factor, "%.1f", double(run_bases) / double(std::max<int64_t>(1, scored)));
        control.note(cat("score: segments of ", *segment_length, " bases with a warm-up of ", o.warmup,
                         " bases each run ", factor, "× the bases they score; a --segment-length of at least ",
                         "10 × --warmup keeps the warm-ups under a tenth of the work"));
    }
    const size_t all_parts = parts.size();
    if (!o.shard.empty()) parts = shard_parts(parts, shard_i, shard_n);
    // A lane without a part would only hold an idle engine (~190 MB each on the CPU: --lanes 64
    // over six sequences took 12 GB).
    const int n_lanes = std::clamp(int(std::min<size_t>(parts.size(), size_t(requested_lanes))), 1, requested_lanes);
    if (n_lanes < requested_lanes && o.lanes > 0)
        control.note(cat("score: ", parts.size(), " part(s) to score, so ", n_lanes, " lane(s) of the ",
                         requested_lanes, " asked for"));
    const int cores = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    const int threads = std::max(1, cores / n_lanes);
    struct LaneEngine {
        BackendChoice choice;
        std::unique_ptr<Session> session;
        std::optional<FastaFile> fasta;
    };
    std::vector<LaneEngine> engines(static_cast<size_t>(n_lanes));
    bool any_gpu = false;
    for (int i = 0; i < n_lanes; ++i) {
        auto c = open_backend((*devices)[size_t(i) % devices->size()], threads);
        if (!c) return make_error(c.error().message);
        control.note(cat(n_lanes > 1 ? cat("lane ", i + 1, ": ") : std::string(), c->note));
        any_gpu = any_gpu || !c->backend->on_cpu();
        engines[size_t(i)].choice = std::move(*c);
    }
    const int chunk = job_chunk(o, any_gpu, o.resume, o.db, "score", o.fasta);
    // A chunk longer than every part would only size buffers nothing fills (--chunk 4Mi over a
    // 2 kbp region took 24 GB); each feed runs min(chunk, what is left) either way, so the numbers
    // do not change.
    int64_t longest = 1;
    for (const ScorePart& p : parts) longest = std::max(longest, p.region.length() + p.warmup_before + p.warmup_after);
    SessionOptions so;
    so.chunk = int(std::min<int64_t>(chunk, longest));
    so.scores = true;
    // Short parts (records of a few kbp: contigs, transcripts) run side by side on a GPU, up to
    // --chunk positions a call: alone, a 2 kbp record leaves the GPU at 3.1 Mbp/s against 6.2 for
    // 64 of them together (docs/performance.md). The runner's memory stays that of one --chunk,
    // and a job with few short parts sizes it for those only. On the CPU, calls of up to ~2,000
    // positions (kCpuChunk): 3,000 records of 100–500 bases took 19–22 s against 26–38 s alone.
    const int64_t short_part = chunk / 4, strands = o.strand == "both" ? 2 : 1;
    int64_t short_items = 0, short_bases = 0, shortest = chunk;
    for (const ScorePart& p : parts)
        if (p.warmup_before == 0 && p.warmup_after == 0 && p.region.length() <= short_part) {
            short_items += strands;
            short_bases += strands * p.region.length();
            shortest = std::min(shortest, std::max<int64_t>(p.region.length(), 1));
        }
    std::string device_names;
    for (int i = 0; i < n_lanes; ++i) {
        const std::string& dev = (*devices)[size_t(i) % devices->size()];
        SessionOptions lane_so = so;
        lane_so.precision = precision_for(*precision, *engines[size_t(i)].choice.backend);
        const bool cpu = engines[size_t(i)].choice.backend->on_cpu();
        lane_so.batch =
            side_by_side(*engines[size_t(i)].choice.backend, o.item_batch, chunk, shortest, short_items, kCpuChunk);
        if (lane_so.batch > 1) {
            lane_so.rows = std::min<int64_t>(chunk, std::max<int64_t>(so.chunk, short_bases));
            // On the CPU a call of short parts holds no more than ~2,000 positions (as classify's).
            if (cpu) lane_so.rows = std::min<int64_t>(lane_so.rows, std::max<int64_t>(so.chunk, kCpuChunk));
        }
        std::string fallback;
        auto s = open_session(*model, engines[size_t(i)].choice, lane_so, dev, threads, &fallback);
        if (!s) return make_error(s.error().message);
        if (!fallback.empty()) control.note(cat(n_lanes > 1 ? cat("lane ", i + 1, ": ") : std::string(), fallback));
        // One run, one arithmetic: --precision auto could otherwise mix a GPU lane's bf16 with the
        // fp32 of a lane that fell back to the CPU.
        if (i == 0)
            so.precision = lane_so.precision;
        else if (lane_so.precision != so.precision)
            return make_error(cat("lane ", i + 1, " (", engines[size_t(i)].choice.backend->name(), ") computes in ",
                                  precision_name(lane_so.precision), ", lane 1 (", engines[0].choice.backend->name(),
                                  ") in ", precision_name(so.precision),
                                  "; give --precision fp32 to run both in fp32"));
        engines[size_t(i)].session = std::move(*s);
        auto f = FastaFile::open(o.fasta);
        if (!f) return make_error(f.error().message);
        engines[size_t(i)].fasta = std::move(*f);
        device_names += (i ? "+" : "") + engines[size_t(i)].choice.backend->name();
    }

    // A --resume of a database that is not there starts the run, as embed and classify do (it was
    // refused, and a workflow had to test for the file first; found in review); the note says so,
    // in case the name was mistyped.
    std::error_code exists_ec;
    const bool new_db = o.resume && !std::filesystem::exists(o.db, exists_ec);
    auto store = ResultsStore::open(o.db);
    if (!store) return make_error(store.error().message);
    // Everything that changes the numbers: a resumed run must match it exactly.
    // The genome by content too: shards merged, or a run resumed, against an edited file are refused.
    auto genome_sha = input_sha256(o.fasta, "score", control);
    if (!genome_sha) return make_error(genome_sha.error().message);
    nlohmann::json params = {{"command", "score"},          {"fasta", absolute_path(o.fasta)},
                             {"fasta_sha256", *genome_sha}, {"chunk", chunk},
                             {"regions", o.regions},        {"strand", o.strand}};
    if (!o.bed.empty()) {
        // By content too: a BED edited between shards, or before --resume, mixed two analyses.
        auto bed_sha = files_sha256({o.bed});
        if (!bed_sha) return make_error(bed_sha.error().message);
        params["bed"] = absolute_path(o.bed);
        params["bed_sha256"] = *bed_sha;
    }
    if (*segment_length > 0) {
        params["segment_length"] = *segment_length;
        params["warmup"] = o.warmup;
    }
    if (!o.shard.empty()) {
        // What `merge` checks the parts against: every target once, every base of it in exactly
        // one part of one shard.
        int64_t target_bases = 0;
        for (const Region& t : targets) target_bases += t.length();
        params["shard"] = o.shard;
        params["targets"] = {{"count", targets.size()}, {"bases", target_bases}};
        nlohmann::json held = nlohmann::json::array();
        for (const ScorePart& p : parts)
            held.push_back({p.region.contig, p.region.begin, p.region.end, p.target.begin, p.target.end});
        params["parts"] = held;
    }
    const RunInfo info = job_run_info(command, params.dump(), o.model, *sha, device_names, precision_name(so.precision),
                                      o.fasta, "fasta");
    Result<int64_t> run = int64_t(0);
    std::vector<bool> skip(parts.size(), false);
    std::optional<RunLock> run_lock;  // held while this job writes the run
    std::optional<std::vector<RunRecord>> runs;
    if (o.resume) {
        auto listed = store->list_runs();
        if (!listed) return make_error(listed.error().message);
        runs = std::move(*listed);
        // A database its job created but was stopped in before recording a run (a workflow's first
        // attempt killed early): nothing to continue, so the run starts here.
        if (runs->empty()) {
            control.note(new_db ? cat("score: '", o.db, "' does not exist yet; starting a run in a new database")
                                : cat("score: '", o.db, "' holds no run yet; starting one"));
            runs.reset();
        }
    }
    if (runs) {
        const ResumeMatch match = find_resume_match(*runs, info);
        const int64_t found = match.unfinished;
        if (!found) {
            // Submitted again after it finished (a workflow retried): nothing to do, not an error.
            if (match.finished)
                return JobOutcome{match.finished, RunStatus::finished, o.db,
                                  cat("score: run ", match.finished,
                                      " of this genome, model and parameters is finished; ", "nothing to resume"),
                                  cat("results: run ", match.finished, " in ", o.db)};
            return make_error(cat("--resume: '", o.db,
                                  "' has no unfinished score run of this genome, model and parameters",
                                  resume_mismatch(*runs, info), " (run without --resume to start one)"));
        }
        auto finished = lock_run_to_resume(*store, o.db, found, run_lock);
        if (!finished) return make_error(finished.error().message);
        if (*finished)
            return JobOutcome{found, RunStatus::finished, o.db,
                              cat("score: run ", found, " finished meanwhile; nothing to resume"),
                              cat("results: run ", found, " in ", o.db)};
        auto seqs = store->list_sequences(found);
        if (!seqs) return make_error(seqs.error().message);
        auto done = store->list_complete_parts(found);
        if (!done) return make_error(done.error().message);
        // Finished sequences, and finished parts (segments) of the others.
        std::map<int64_t, std::string> names;
        std::set<std::string> complete;
        for (const StoredSequence& s : *seqs) {
            names[s.id] = s.info.name;
            if (s.complete) complete.insert(s.info.name);
        }
        std::set<std::tuple<std::string, int64_t, int64_t>> done_parts;   // (contig, begin, end)
        for (const StoredPart& p : *done) done_parts.emplace(names[p.sequence_id], p.begin, p.end);
        std::map<std::string, bool> all_done;   // per contig: every part finished
        for (size_t i = 0; i < parts.size(); ++i) {
            const Region& r = parts[i].region;
            skip[i] = complete.count(r.contig) > 0 || done_parts.count({r.contig, r.begin, r.end}) > 0;
            auto [it, fresh] = all_done.emplace(r.contig, skip[i]);
            if (!fresh) it->second = it->second && skip[i];
        }
        // A job stopped between recording a sequence's last part and the sequence itself: nothing
        // of it is left to run, so nothing would mark it.
        for (const StoredSequence& s : *seqs)
            if (!s.complete && all_done.count(s.info.name) && all_done[s.info.name])
                if (auto r = store->mark_sequence_complete(s.id); !r) return make_error(r.error().message);
        if (auto r = store->reopen_run(found); !r) return make_error(r.error().message);
        run = found;
        control.note(cat("score: resuming run ", found, ", ", std::count(skip.begin(), skip.end(), true), " of ",
                         parts.size(), " part(s) already finished"));
    } else {
        if (const std::string n = unfinished_run_note(*store, o.db, info, "score", o.chunk == 0); !n.empty())
            control.note(n);
        run = begin_locked_run(*store, o.db, info, run_lock);
    }
    if (!run) return make_error(run.error().message);
    std::vector<ScorePart> todo;   // what is left to do
    for (size_t i = 0; i < parts.size(); ++i)
        if (!skip[i]) todo.push_back(parts[i]);
    std::vector<std::pair<std::string, TrackEncoding>> tracks;
    for (int k = 0; k < kScoreTracks; ++k) tracks.emplace_back(kScoreTrackNames[k], track_encoding(k));
    if (o.strand == "both") {
        tracks.emplace_back(kForwardLoglik, TrackEncoding::float16());
        tracks.emplace_back(kReverseLoglik, TrackEncoding::float16());
    }
    for (const auto& [name, encoding] : tracks) {
        if (auto t = store->create_track(*run, name, encoding); !t) {
            (void)store->finish_run(*run, RunStatus::failed);
            return make_error(t.error().message);
        }
    }

    int64_t total = 0;
    for (const ScorePart& p : todo) total += p.region.length() * (o.strand == "both" ? 2 : 1);
    const auto t0 = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    ScoreJob job;
    for (LaneEngine& e : engines)  // a lane that fell back to the CPU too
        job.lanes.push_back({&*e.fasta, e.session.get(), e.choice.backend->on_cpu() ? kCpuChunk : 0});
    job.parts = todo;
    job.short_part = short_part;
    job.model = &*model;
    job.store = &*store;
    job.run_id = *run;
    job.interrupted = control.cancel;
    std::atomic<int64_t> unknown_bases{0};
    job.unknown_bases = &unknown_bases;
    job.both_strands = o.strand == "both";
    job.progress = [&](const std::string& seq, int64_t done, int64_t all) {
        control.progress(JobProgress{"score", seq, done, all, "bases", seconds(), done >= all});
    };
    // MAMBASCOPE_STAGE_TIMES=1: say which stage set the pace (docs/cli.md, Environment).
    StageTimes stage_times;
    if (stage_times_wanted()) job.stage_times = &stage_times;
    const Result<void> r = run_score_pipeline(job);
    if (job.stage_times) {
        char line[200];
        std::snprintf(line, sizeof line,
                      "score: %.2f s; busy: reading %.2f s, engine %.2f s (%d lane%s), writing %.2f s",
                      stage_times.wall, stage_times.reading, stage_times.computing, stage_times.lanes,
                      stage_times.lanes == 1 ? "" : "s", stage_times.writing);
        std::string note = line;
        if (const BatchStats& sp = stage_times.short_parts; sp.batches > 0)
            note += cat("; short parts: ", sp.items, " strand(s) in ", sp.batches, " batch(es), ", sp.bases,
                        " bases in ", sp.positions, " positions");
        control.note(note);
    }
    const RunStatus status = r ? RunStatus::finished : control.cancelled() ? RunStatus::interrupted : RunStatus::failed;
    auto fin = store->finish_run(*run, status);
    JobOutcome out{*run, status, o.db, {}, {}};
    if (!r) {
        if (status == RunStatus::interrupted) {
            out.summary =
                cat("score: interrupted; ", interrupted_run_note(*run, o.db, fin), ", its committed tiles kept");
            return out;
        }
        return make_error(r.error().message, failed_run_note(*run, o.db, fin, r.error().message));
    }
    if (!fin) return unmarked_finish(*run, o.db, fin.error(), true);
    const double s = seconds();
    char line[256];
    // The genome's bases and their rate: --strand both runs each twice (the summary said 2 × the
    // bases scored; found in review), and says so.
    const bool both = o.strand == "both";
    const int64_t bases = both ? total / 2 : total;
    std::snprintf(line, sizeof line, "%.2f s (%.3f Mbp/s%s)", s, s > 0 ? bases / s / 1e6 : 0.0,
                  both ? ", each base on both strands" : "");
    std::string detail;
    if (all_parts > targets.size())
        detail = cat(all_parts, " parts: segments of at most ", *segment_length, " bases after a ", o.warmup,
                     "-base warm-up");
    if (!o.shard.empty())
        detail += cat(detail.empty() ? "" : "; ", "shard ", o.shard, ": ", parts.size(), " of ", all_parts, " part(s)");
    out.summary = cat("score: ", targets.size(), " target(s)", detail.empty() ? "" : cat(" (", detail, ")"), ", ",
                      bases, " bases in ", line, " on ", device_names);
    if (o.regions.empty() && o.bed.empty()) out.summary += empty_records_note(fa->empty_records());
    if (!o.shard.empty() && parts.empty())
        out.summary +=
            cat("; shard ", o.shard, " got nothing to score: the ", all_parts,
                " part(s) went to other shards (the whole regions of a contig stay together in one shard, each "
                "segment goes alone; --segment-length cuts long sequences into more parts), and its empty run "
                "still merges");
    if (unknown_bases) out.summary += unknown_bases_note(unknown_bases, model->tokenizer);
    out.summary += fold_log_note(*store, o.db);
    out.result = cat("results: run ", *run, " in ", o.db, " (tracks prob_A prob_C prob_G prob_T loglik entropy",
                     o.strand == "both" ? cat(" ", kForwardLoglik, " ", kReverseLoglik) : std::string(), ")");
    return out;
}

}  // namespace ms

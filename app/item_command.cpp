#include "app/item_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "app/bounded_queue.h"
#include "app/bundled_model.h"
#include "app/digests.h"
#include "app/file_info.h"
#include "app/interrupt.h"
#include "app/item_batches.h"
#include "app/read_names.h"
#include "app/run_lock.h"
#include "app/run_match.h"
#include "common/thread_name.h"
#include "common/version.h"
#include "engine/cli/engine_commands.h"
#include "engine/heads.h"
#include "engine/model.h"
#include "genomics/alignments.h"
#include "genomics/fasta.h"
#include "genomics/fastq.h"
#include "genomics/locus.h"
#include "genomics/results_store.h"

namespace ms {

namespace {

namespace fs = std::filesystem;

// One unit of work: bases and what they are (a window of a stored sequence, a record, a read).
struct Item {
    ItemKind kind = ItemKind::window;
    std::string name;
    int64_t sequence_id = 0, begin = 0, end = 0;
    std::string bases;
    // --resume: already in the run. It still joins its window, so that the window's batches are
    // those of the run that stored it: an item's float rounding depends on its batch (the products
    // over its rows and the others'), and a resumed run must store what an uninterrupted one does.
    bool stored = false;
};

using ItemSink = std::function<Result<void>(Item&&)>;

// Cuts bases into items: whole (window 0) or windows of `window` every `stride`. A window that would
// run past the end is moved back to end there, so every window of a longer sequence has `window`
// bases (clipped, the last window of a record could be a single base, and a class called on it,
// with high confidence, a guess on nothing); a sequence no longer than `window` is one item.
// `offset`: where the bases start on the sequence (a --region), so items carry sequence coordinates.
// `bases` by value: a whole record moves into its item rather than being copied (a chromosome).
Result<void> cut(const std::string& name, ItemKind whole_kind, int64_t sequence_id, std::string bases,
                 int64_t window, int64_t stride, const ItemSink& sink, int64_t offset = 0) {
    const int64_t L = int64_t(bases.size());
    if (window <= 0 || L == 0) return sink(Item{whole_kind, name, sequence_id, offset, offset + L, std::move(bases)});
    for (int64_t b = 0; b < L; b += stride) {
        if (b + window > L && L > window) b = L - window;
        const int64_t e = std::min(L, b + window);
        MS_TRY(sink(Item{whole_kind == ItemKind::read ? ItemKind::read : ItemKind::window, name, sequence_id, offset + b,
                         offset + e, bases.substr(size_t(b), size_t(e - b))}));
        if (e == L) break;
    }
    return {};
}

// The read number of a CASAVA 1.8 header's description ("1:N:0:ACGT" → '1'), or 0.
char casava_mate(const std::string& description) {
    return description.size() >= 2 && (description[0] == '1' || description[0] == '2') && description[1] == ':'
               ? description[0]
               : 0;
}

// Reads of a BAM/CRAM (every primary record, unmapped ones too) or a FASTQ, by extension; `limit`
// stops after that many (a probe before the run starts: a CRAM without its reference, a truncated
// file or a wrong format fails before anything is written). Mates of a pair share a name: they
// become NAME/1 and NAME/2, as in FASTQ, so each is its own item — in a BAM by its flags, in a
// FASTQ by the CASAVA description Illumina writes ("@NAME 1:N:0:…", interleaved pairs). A read
// named as an earlier one still (other files' repeats) gets "#2", "#3", … (ReadNames) so that it
// is not stored over the first.
Result<void> each_read(const ItemJobOptions& o,
                       const std::function<Result<void>(const std::string&, const std::string&)>& f,
                       const JobControl& control, int64_t limit = -1, std::atomic<int64_t>* flagged_out = nullptr) {
    // As `info` tells kinds apart: by the name (any case, through .gz/.bgz/.bgzf: READS.FASTQ.GZ,
    // and a .sam.gz is alignments), else by the content (a FASTQ named reads.txt was refused as
    // "not SAM, BAM or CRAM").
    FileKind kind = FileKind::alignments;
    MS_ASSIGN(kind, guess_file_kind(o.reads));
    if (kind == FileKind::fasta)
        return make_error("--reads '", o.reads, "' is FASTA: give it with --fasta (a record, or --window, an item)");
    if (kind != FileKind::fastq && kind != FileKind::alignments)
        return make_error("--reads '", o.reads, "' is ", to_string(kind), "; expected reads: FASTQ or SAM/BAM/CRAM");
    if (kind == FileKind::fastq) {
        // Options that would change nothing: said rather than ignored.
        const char* alignment_only = !o.reference.empty() ? "--reference"
                                     : o.keep_duplicates  ? "--keep-duplicates"
                                     : o.keep_qc_fail     ? "--keep-qc-fail"
                                                          : nullptr;
        if (alignment_only)
            return make_error("--reads '", o.reads, "' is FASTQ, which has no reference or flags: ", alignment_only,
                              " applies to BAM/CRAM reads");
        auto reader = FastqReader::open(o.reads);
        if (!reader) return reader.error();
        FastqRecord r;
        for (;;) {
            bool got = false;
            MS_ASSIGN(got, reader->next(r));
            if (!got || control.cancelled() || limit-- == 0) return {};
            const char mate = casava_mate(r.description);
            MS_TRY(f(mate ? cat(r.name, "/", mate) : r.name, r.sequence));
        }
    }
    AlignmentOptions ao;
    ao.reference = o.reference;
    auto reader = AlignmentReader::open(o.reads, ao);
    if (!reader) return reader.error();
    // Secondary and supplementary records are other alignments of reads counted once already;
    // duplicate and QC-fail flags are filtered here, so the job can say how many it left out.
    AlignmentFilter filter;
    filter.keep_duplicates = filter.keep_qc_fail = true;
    reader->set_filter(filter);
    AlignedRead r;
    for (;;) {
        bool got = false;
        MS_ASSIGN(got, reader->next(r));
        if (!got || control.cancelled() || limit-- == 0) return {};
        if (((r.flag & 0x400) && !o.keep_duplicates) || ((r.flag & 0x200) && !o.keep_qc_fail)) {
            if (flagged_out) ++*flagged_out;
            continue;
        }
        const bool paired = r.flag & 0x1;   // BAM_FPAIRED; 0x40 / 0x80: first / second of the pair
        MS_TRY(f(paired ? cat(r.name, (r.flag & 0x80) ? "/2" : "/1") : r.name, r.sequence));
    }
}

}  // namespace

void add_item_options(CLI::App* sub, ItemJobOptions& o, ItemJob job) {
    add_model_option(sub, o.model);
    auto* fasta = sub->add_option("--fasta", o.fasta, "sequences to cut into items (FASTA, plain or bgzip)");
    auto* reads = sub->add_option("--reads", o.reads, "reads as items: BAM, CRAM (with --reference) or FASTQ (.fq/.fastq[.gz])");
    fasta->excludes(reads);
    sub->add_option("--reference", o.reference, "the FASTA a CRAM was made against");
    sub->add_flag("--keep-duplicates", o.keep_duplicates, "BAM/CRAM: also reads flagged as duplicates (0x400)")
        ->needs(reads);
    sub->add_flag("--keep-qc-fail", o.keep_qc_fail, "BAM/CRAM: also reads failing QC (0x200)")->needs(reads);
    sub->add_option("--db", o.db, "results database (created when missing; runs are added to it)")->required();
    sub->add_option("--window", o.window,
                    "items are windows of this many bases (the last moved back to end at the sequence's end; default: "
                    "whole records / reads)")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 40));
    sub->add_option("--stride", o.stride, "bases from one window's start to the next (default: the window)")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 40));
    sub->add_flag("--per-record", o.per_record, "one item per FASTA record (the default without --window)");
    refuse_empty_locus(sub->add_option("--region", o.region,
                                       "only this locus of the FASTA, e.g. chr1:1,001-2,000: its windows, or the locus "
                                       "as one item"))
        ->excludes(reads);
    sub->add_flag("--resume", o.resume,
                  "continue the newest unfinished run of this input, model and parameters (a database without any "
                  "run, or none yet, gets a new one)");
    if (job == ItemJob::classify) {
        sub->add_option("--head", o.head, "which classifier head (config.json mambascope_heads; default: the only one)");
        sub->add_flag("--embeddings", o.with_embeddings,
                      "also store each item's pooled embedding in the run (what `embed` stores, without a second pass)");
    }
    add_engine_options(sub, o);
}

int cmd_items(const ItemJobOptions& o, ItemJob job, const std::string& command) {
    return run_cli_job(o.quiet, [&](const JobControl& control) { return run_items(o, job, command, control); });
}

Result<JobOutcome> run_items(const ItemJobOptions& o, ItemJob job, const std::string& command, const JobControl& control) {
    const char* what = job == ItemJob::embed ? "embed" : "classify";
    if (o.fasta.empty() == o.reads.empty()) return make_error(cat(what, ": give --fasta or --reads"));
    if (o.per_record && o.window) return make_error(cat(what, ": --per-record and --window exclude each other"));
    if (o.stride && !o.window) return make_error(cat(what, ": --stride needs --window"));
    if (!o.region.empty() && o.fasta.empty()) return make_error(cat(what, ": --region needs --fasta"));
    if (o.per_record && !o.reads.empty())
        return make_error(cat(what, ": --per-record applies to --fasta (each read is one item already)"));
    if (!o.reference.empty() && o.reads.empty())
        return make_error(cat(what,
                              ": --reference is the FASTA a CRAM given as --reads was made against; with --fasta ",
                              "there is none"));
    auto model = Model::load(o.model);
    if (!model) return make_error(model.error().message);
    const ClassifierWeights* head = nullptr;
    const ClassifierHeadConfig* head_cfg = nullptr;
    if (job == ItemJob::classify) {
        const auto& heads = model->config.classifiers;
        if (heads.empty())
            return make_error(cat("model '", o.model,
                                  "' has no classifier head (config.json lists none under \"mambascope_heads\"); ",
                                  "use `embed` for its embeddings"));
        for (size_t i = 0; i < heads.size(); ++i)
            if (o.head.empty() ? heads.size() == 1 : heads[i].name == o.head) head = &model->weights.classifiers[i], head_cfg = &heads[i];
        if (!head) {
            std::string names;
            for (const auto& h : heads) names += (names.empty() ? "" : ", ") + h.name;
            return make_error(o.head.empty() ? cat("model '", o.model, "' has several classifier heads (", names, "); choose one with --head")
                                       : cat("model '", o.model, "' has no classifier head '", o.head, "' (it has ", names, ")"));
        }
    }
    std::optional<FastaFile> fa;
    std::optional<Region> region;
    if (!o.fasta.empty()) {
        auto f = FastaFile::open(o.fasta);
        if (!f) return make_error(f.error().message);
        fa = std::move(*f);
        if (!o.region.empty()) {
            auto r = parse_locus(o.region, ContigList(fa->records(), fa->empty_records()));
            if (!r) return make_error(cat("--region '", o.region, "': ", r.error().message));
            region = *r;
        }
    } else if (auto probe = each_read(o, [](const std::string&, const std::string&) -> Result<void> { return {}; }, control, 1);
               !probe) {
        return make_error(probe.error().message);
    }
    auto precision = parse_precision(o.precision);
    if (!precision) return make_error(precision.error().message);
    auto sha = model_sha256(o.model);
    if (!sha) return make_error(sha.error().message);
    auto choice = open_backend(o.device, o.threads);
    if (!choice) return make_error(choice.error().message);
    control.note(choice->note);
    const std::string input = o.fasta.empty() ? o.reads : o.fasta;
    const bool cpu = choice->backend->on_cpu();
    const int chunk = job_chunk(o, !cpu, o.resume, o.db, what, input);
    SessionOptions so;
    so.chunk = chunk;
    // A FASTA's items can be counted from the record lengths (progress with an ETA, and how many
    // can run side by side); reads cannot without reading the file through once more.
    int64_t fasta_items = 0, shortest = 1, item_bases = 0;
    if (fa) {  // no item is longer than a window or a record: a larger chunk only sizes unused buffers
        int64_t longest = 1;
        shortest = INT64_MAX;
        const int64_t stride = o.stride ? o.stride : o.window;
        for (const SequenceRecord& rec : fa->records()) {
            if (region && rec.name != region->contig) continue;
            const int64_t L = region ? region->length() : rec.length;
            const int64_t n = o.window <= 0 || L <= o.window ? 1 : (L - o.window + stride - 1) / stride + 1;
            const int64_t item = n == 1 ? L : o.window;
            longest = std::max(longest, item);
            shortest = std::min(shortest, std::max<int64_t>(item, 1));
            fasta_items += n;
            item_bases += n * item;
        }
        so.chunk = int(std::min<int64_t>(chunk, longest));
    }
    so.precision = precision_for(*precision, *choice->backend);
    so.scores = false;
    so.pool_window = 0;   // one embedding for the whole item
    // Items side by side (reads, records and windows of a few kbp alone leave a GPU at a fraction
    // of its speed, short reads alone the CPU at half), within the memory of one --chunk: as many
    // streams as items of the shortest length fill a call (reads: as many as a session takes,
    // their lengths unknown yet).
    so.batch = side_by_side(*choice->backend, o.item_batch, chunk, shortest, fa ? fasta_items : INT64_MAX, kCpuChunk);
    if (so.batch > 1) {
        so.rows = fa ? std::min<int64_t>(chunk, std::max<int64_t>(so.chunk, item_bases)) : chunk;
        // On the CPU no call holds more than its fill (BatchLimits::fill) but a long item's chunk,
        // whatever --chunk: windows of 500 bases side by side there take buffers of 2,016 positions.
        if (cpu) so.rows = std::min<int64_t>(so.rows, std::max<int64_t>(so.chunk, kCpuChunk));
    }
    std::string fallback;
    auto session = open_session(*model, *choice, so, o.device, o.threads, &fallback);
    if (!session) return make_error(session.error().message);
    if (!fallback.empty()) control.note(fallback);

    std::error_code exists_ec;
    const bool new_db = o.resume && !std::filesystem::exists(o.db, exists_ec);
    auto store = ResultsStore::open(o.db);
    if (!store) return make_error(store.error().message);
    nlohmann::json params = {
        {"command", what}, {"window", o.window}, {"stride", o.stride ? o.stride : o.window}, {"chunk", chunk}};
    if (head_cfg) params["head"] = head_cfg->name;
    const bool store_embeddings = !head || o.with_embeddings;
    if (head && o.with_embeddings) params["embeddings"] = true;
    if (region) params["region"] = format_locus(*region);
    if (o.keep_duplicates) params["keep_duplicates"] = true;
    if (o.keep_qc_fail) params["keep_qc_fail"] = true;
    // How items are cut and named, since 2026-11-30 (gap windows skipped, reads of one name apart
    // renamed, read windows kept apart; 3: a last window moved back to full length): --resume counts stored items to
    // skip, so a run begun by an earlier version, which cut and named them otherwise, is not resumed (its count would
    // not match).
    // Whole records and reads are cut as version 2 cut them: only windows changed in 3, so a run of
    // whole items begun by the previous version still resumes.
    params["items"] = o.window > 0 ? 3 : 2;
    // The input by content, as `score` records its genome: a FASTA or BAM rewritten in place between
    // a run and its --resume (same path) was continued, one run holding items of two inputs. A CRAM's
    // bases come from its reference too.
    auto input_sha = input_sha256(input, what, control);
    if (!input_sha) return make_error(input_sha.error().message);
    params["input_sha256"] = *input_sha;
    if (!o.reference.empty()) {
        auto ref_sha = input_sha256(o.reference, what, control);
        if (!ref_sha) return make_error(ref_sha.error().message);
        params["reference_sha256"] = *ref_sha;
    }
    const RunInfo info = job_run_info(command, params.dump(), o.model, *sha, choice->backend->name(),
                                      precision_name(so.precision), input, o.fasta.empty() ? "reads" : "fasta");
    // --resume: the newest unfinished run of the same job. Items are written in input order, a
    // batch per transaction, so what it holds is a prefix of the input: skip that many items.
    Result<int64_t> run = int64_t(0);
    int64_t skip = 0;
    std::optional<RunLock> run_lock;  // held while this job writes the run
    std::optional<std::vector<RunRecord>> runs;
    if (o.resume) {
        auto listed = store->list_runs();
        if (!listed) return make_error(listed.error().message);
        runs = std::move(*listed);
        // A database its job created but was stopped in before recording a run: nothing to
        // continue, so the run starts here (as in `score`).
        if (runs->empty()) {
            control.note(new_db ? cat(what, ": '", o.db, "' does not exist yet; starting a run in a new database")
                                : cat(what, ": '", o.db, "' holds no run yet; starting one"));
            runs.reset();
        }
    }
    if (runs) {
        const ResumeMatch match = find_resume_match(*runs, info);
        run = match.unfinished;
        // Submitted again after it finished (a workflow retried): nothing to do, as in `score`.
        if (*run == 0 && match.finished)
            return JobOutcome{match.finished, RunStatus::finished, o.db,
                              cat(what, ": run ", match.finished, " of this input, model and parameters is finished; ",
                                  "nothing to resume"),
                              cat("results: run ", match.finished, " in ", o.db)};
        if (*run == 0)
            return make_error(cat("--resume: '", o.db, "' has no unfinished ", what,
                                  " run of this input, model and parameters", resume_mismatch(*runs, info)));
        auto finished = lock_run_to_resume(*store, o.db, *run, run_lock);
        if (!finished) return make_error(finished.error().message);
        if (*finished)
            return JobOutcome{*run, RunStatus::finished, o.db,
                              cat(what, ": run ", *run, " finished meanwhile; nothing to resume"),
                              cat("results: run ", *run, " in ", o.db)};
        // With both kinds, a kill between a batch's two transactions leaves one kind a batch ahead:
        // the items after the shorter prefix are run again (writing them again replaces them).
        skip = INT64_MAX;
        if (head) {
            PredictionQuery q;
            q.run_id = *run;
            auto n = store->count_predictions(q);
            if (!n) return make_error(n.error().message);
            skip = std::min(skip, *n);
        }
        if (store_embeddings) {
            auto n = store->count_embeddings(*run);
            if (!n) return make_error(n.error().message);
            skip = std::min(skip, *n);
        }
        if (auto r = store->reopen_run(*run); !r) return make_error(r.error().message);
        control.note(cat(what, ": resuming run ", *run, " after its first ", plural(skip, "item")));
    } else {
        if (const std::string n = unfinished_run_note(*store, o.db, info, what, o.chunk == 0); !n.empty())
            control.note(n);
        run = begin_locked_run(*store, o.db, info, run_lock);
    }
    if (!run) return make_error(run.error().message);
    if (head_cfg) {
        if (auto r = store->set_prediction_classes(*run, head_cfg->labels); !r) {
            (void)store->finish_run(*run, RunStatus::failed);
            return make_error(r.error().message);
        }
    }

    // Three stages as in `score`: a reader thread cuts the input into items (a FASTA record's
    // sequence is registered with the writer first), the engine runs each item, a writer thread
    // stores the results a batch (one transaction) at a time, so a kill loses one batch at most.
    struct Result1 {
        Item item;
        std::vector<float> probs;       // class probabilities (classify)
        std::vector<float> embedding;   // pooled embedding (embed, classify --embeddings)
    };
    struct ToWriter {
        std::optional<SequenceInfo> sequence;   // register this record; later items refer to it by name
        std::optional<Result1> result;
    };
    // Items are bounded by bytes as well as by count: 256 whole chromosomes would be gigabytes.
    constexpr size_t kItemQueueBytes = size_t(64) << 20;
    BoundedQueue<Item> items_q(256, kItemQueueBytes, [](const Item& it) { return it.bases.size(); });
    BoundedQueue<ToWriter> out_q(1024);
    std::mutex err_m;
    std::optional<Error> first_error;
    auto set_error = [&](Error e) {
        std::lock_guard lock(err_m);
        if (!first_error) first_error = std::move(e);
        items_q.close();
        out_q.close();
    };
    const int dm = model->config.d_model;
    std::atomic<int64_t> items{0}, bases{0}, empty_reads{0}, empty_items{0}, unknown_bases{0}, renamed_reads{0},
        flagged_reads{0};
    const int64_t total_items = fa ? fasta_items - skip : -1;
    const auto t0 = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    std::thread reader([&] {
        name_this_thread("ms-reader");
        const int64_t stride = o.stride ? o.stride : o.window;
        int64_t seen = 0;
        const ItemSink send = [&](Item&& it) -> Result<void> {
            if (control.cancelled()) return make_error("interrupted");
            // A window or record of only N (an assembly gap) has nothing to classify: its call
            // would be the head's guess on nothing (a 0.998 "Homo sapiens" for every gap window).
            // Counted, not run, and not counted among the items --resume skips.
            if (it.bases.find_first_of("ACGTacgt") == std::string::npos) {
                ++empty_items;
                return {};
            }
            it.stored = seen++ < skip;
            if (!items_q.push(std::move(it))) return make_error("stopped");
            return {};
        };
        Result<void> r;
        if (fa) {
            for (const SequenceRecord& rec : fa->records()) {
                if (region && rec.name != region->contig) continue;
                auto seq = fa->fetch_all(rec.name);
                if (!seq) {
                    r = seq.error();
                    break;
                }
                SequenceMd5 md5;   // of the whole record, as the store's sequences always are
                md5.update(*seq);
                if (!out_q.push(ToWriter{SequenceInfo{rec.name, rec.length, md5.hex(), o.fasta}, std::nullopt})) break;
                if (region) {
                    // Part of a record is a window of it, never the whole sequence.
                    r = cut(rec.name, ItemKind::window, 0, seq->substr(size_t(region->begin), size_t(region->length())),
                            o.window, stride, send, region->begin);
                    break;
                }
                if (r = cut(rec.name, ItemKind::sequence, 0, std::move(*seq), o.window, stride, send); !r) break;
            }
        } else {
            ReadNames names;
            r = each_read(
                o,
                [&](const std::string& name, const std::string& seq) {
                    // A record without bases (SEQ '*' in SAM, an empty FASTQ read) has nothing to
                    // classify or embed, nor has one of only N (or other letters the model does
                    // not know): its call would be the head's guess on nothing. Counted, not run.
                    if (seq.find_first_of("ACGTacgt") == std::string::npos) {
                        ++empty_reads;
                        return Result<void>{};
                    }
                    int repeat = names.occurrence(name);
                    std::string stored = name;
                    if (repeat > 1) {
                        ++renamed_reads;
                        // The new name is a name too: one a read of the file already has (or will
                        // have, as reads r, r, r#2) takes the next number instead of replacing it.
                        do stored = cat(name, "#", repeat++);
                        while (names.occurrence(stored) > 1);
                    }
                    return cut(stored, ItemKind::read, 0, seq, o.window, stride, send);
                },
                control, -1, &flagged_reads);
        }
        if (!r && r.error().message != "stopped") set_error(r.error());
        items_q.close();
    });
    int64_t short_items = 0;  // classified, shorter than the head was trained on (the writer's count)
    double writing_seconds = 0;  // the writer's, in the store (read once it has stopped)
    std::thread writer([&] {
        name_this_thread("ms-writer");
        constexpr size_t kBatch = 512;
        std::vector<Prediction> predictions;
        std::vector<Embedding> embeddings;
        std::map<std::string, int64_t> seq_ids;
        auto flush = [&]() -> Result<void> {
            const auto t = std::chrono::steady_clock::now();
            if (!predictions.empty()) MS_TRY(store->write_predictions(*run, predictions));
            if (!embeddings.empty()) MS_TRY(store->write_embeddings(*run, embeddings));
            writing_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
            predictions.clear();
            embeddings.clear();
            return {};
        };
        auto body = [&]() -> Result<void> {
            while (auto m = out_q.pop()) {
                if (m->sequence) {
                    MS_ASSIGN(seq_ids[m->sequence->name], store->add_sequence(*run, *m->sequence));
                    continue;
                }
                Result1& res = *m->result;
                const Item& it = res.item;
                const int64_t seq_id = it.kind == ItemKind::read ? 0 : seq_ids[it.name];
                if (!res.probs.empty()) {
                    if (it.end - it.begin < head_cfg->min_length) ++short_items;
                    Prediction p;
                    p.kind = it.kind;
                    p.item = it.name;
                    p.sequence_id = seq_id;
                    p.begin = it.begin;
                    p.end = it.end;
                    size_t best = 0;
                    for (size_t k = 1; k < res.probs.size(); ++k)
                        if (res.probs[k] > res.probs[best]) best = k;
                    p.label = head_cfg->labels[best];
                    p.score = res.probs[best];
                    p.probs = std::move(res.probs);
                    predictions.push_back(std::move(p));
                }
                if (!res.embedding.empty()) {
                    Embedding e;
                    e.kind = it.kind;
                    e.item = it.name;
                    e.sequence_id = seq_id;
                    e.begin = it.begin;
                    e.end = it.end;
                    e.vector = std::move(res.embedding);
                    embeddings.push_back(std::move(e));
                }
                if (std::max(predictions.size(), embeddings.size()) >= kBatch) MS_TRY(flush());
            }
            return {};
        };
        Result<void> r = body();
        // Whatever was computed before a failure or Ctrl-C is kept.
        if (auto f = flush(); r && !f) r = f;
        if (!r) set_error(r.error());
    });
    // Items wait in a window of the input's order and run sorted by length, side by side where the
    // session runs several streams (plan_batches): reads and records of many lengths then run with
    // little padding. Their results go to the writer in input order: --resume relies on what a run
    // holds being a prefix of the input.
    BatchLimits limits{so.batch, (*session)->rows(), so.chunk, {}};
    limits.call_length = [s = session->get()](int64_t n) { return int64_t(s->call_length(int(n))); };
    if (choice->backend->on_cpu()) limits.fill = kCpuChunk;  // an `auto` fallback too
    const int64_t window_items = limits.max_items > 1 ? kWindowBatches * limits.max_items : 1;
    const int64_t window_bases = kWindowBatches * limits.batch_positions();
    std::vector<Item> window;
    int64_t waiting_bases = 0;
    BatchStats batch_stats;
    double engine_seconds = 0;  // running the windows' batches
    std::vector<float> pooled;
    std::vector<size_t> unknown;
    // false: the writer stopped (its error is the job's).
    const auto run_window = [&]() -> Result<bool> {
        if (std::all_of(window.begin(), window.end(), [](const Item& it) { return it.stored; })) {
            window.clear();  // stored whole before an interruption: nothing to run
            waiting_bases = 0;
            return true;
        }
        std::vector<int64_t> lengths;
        for (const Item& it : window) lengths.push_back(int64_t(it.bases.size()));
        pooled.assign(window.size() * size_t(dm), 0.0f);
        unknown.assign(window.size(), 0);
        const auto t = std::chrono::steady_clock::now();
        for (const std::vector<size_t>& batch : plan_batches(lengths, limits)) {
            if (control.cancelled()) {
                (void)(*session)->finish_items();
                return make_error("interrupted");
            }
            std::vector<std::string_view> views;
            int64_t longest = 0;
            for (size_t i : batch) {
                views.emplace_back(window[i].bases);
                longest = std::max(longest, lengths[i]);
                batch_stats.bases += lengths[i];
            }
            batch_stats.batches += 1;
            batch_stats.items += int64_t(batch.size());
            batch_stats.positions += int64_t(batch.size()) * longest;
            if (longest <= so.chunk) {
                // One chunk: started behind the batch before, whose sums are taken while the device
                // computes this one (Session::start_items; the window's batches mostly are such).
                MS_TRY((*session)->start_items(views, [&, batch](size_t k, const ChunkView& v) -> Result<void> {
                    const size_t i = batch[k];
                    for (int c = 0; c < dm; ++c)
                        pooled[i * size_t(dm) + size_t(c)] = float(double(v.row_sums[c]) / double(v.T));
                    unknown[i] = size_t(std::count(v.tokens, v.tokens + v.T, Tokenizer::kUnk));
                    return {};
                }));
                continue;
            }
            // Longer than a chunk: state carried from chunk to chunk, the batch alone.
            MS_TRY((*session)->finish_items());
            PooledItems out;
            MS_ASSIGN(out, (*session)->pool_items(views));
            for (size_t k = 0; k < batch.size(); ++k) {
                std::copy_n(&out.embeddings[k * size_t(dm)], dm, &pooled[batch[k] * size_t(dm)]);
                unknown[batch[k]] = out.unknown_bases[k];
            }
        }
        MS_TRY((*session)->finish_items());
        engine_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
        for (size_t i = 0; i < window.size(); ++i) {
            Item& it = window[i];
            if (it.stored) continue;
            const float* v = &pooled[i * size_t(dm)];
            std::vector<float> probs = head ? classify(*head, v, dm) : std::vector<float>();
            std::vector<float> embedding = store_embeddings ? std::vector<float>(v, v + dm) : std::vector<float>();
            ++items;
            bases += int64_t(it.bases.size());
            unknown_bases += int64_t(unknown[i]);
            it.bases.clear();
            JobProgress p{what, it.name, items.load(), total_items, "items", seconds(), false};
            if (!out_q.push(ToWriter{std::nullopt, Result1{std::move(it), std::move(probs), std::move(embedding)}}))
                return false;
            control.progress(p);
        }
        window.clear();
        waiting_bases = 0;
        return true;
    };
    Result<void> r;
    while (auto next = items_q.pop()) {
        if (control.cancelled()) {
            r = make_error("interrupted");
            break;
        }
        waiting_bases += int64_t(next->bases.size());
        window.push_back(std::move(*next));
        if (int64_t(window.size()) < window_items && waiting_bases < window_bases) continue;
        auto sent = run_window();
        if (!sent) r = sent.error();
        if (!sent || !*sent) break;
    }
    const bool stopped = control.cancelled() || [&] {
        std::lock_guard lock(err_m);
        return first_error.has_value();
    }();
    if (r && !window.empty() && !stopped)
        if (auto sent = run_window(); !sent) r = sent.error();
    if (!r) set_error(r.error());
    items_q.close();
    out_q.close();
    reader.join();
    writer.join();
    if (first_error && r) r = *first_error;   // the reader's or writer's error ends the job too
    const RunStatus status = r ? RunStatus::finished : control.cancelled() ? RunStatus::interrupted : RunStatus::failed;
    auto fin = store->finish_run(*run, status);
    JobOutcome outcome{*run, status, o.db, {}, {}};
    if (!r) {
        if (status == RunStatus::interrupted) {
            outcome.summary =
                cat(what, ": interrupted; ", interrupted_run_note(*run, o.db, fin), ", its committed items kept");
            return outcome;
        }
        return make_error(r.error().message, failed_run_note(*run, o.db, fin, r.error().message));
    }
    if (!fin) return unmarked_finish(*run, o.db, fin.error(), true);
    if (stage_times_wanted()) {
        char line[160];
        std::snprintf(line, sizeof line, "%s: %.2f s; busy: engine %.2f s, writing %.2f s", what, seconds(),
                      engine_seconds, writing_seconds);
        control.note(cat(line, "; ", plural(batch_stats.items, "item"), " in ",
                         plural(batch_stats.batches, "batch", "batches"), ", ", batch_stats.bases, " bases in ",
                         batch_stats.positions, " positions"));
    }
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.2f", seconds());
    outcome.summary = cat(what, ": ", plural(items.load(), "item"), ", ", plural(bases.load(), "base"), " in ", secs,
                          " s on ", choice->backend->name());
    if (fa && !region) outcome.summary += empty_records_note(fa->empty_records());
    if (empty_reads) outcome.summary += cat("; ", plural(empty_reads.load(), "read"), " without A, C, G or T skipped");
    if (empty_items)
        outcome.summary += cat("; ", plural(empty_items.load(), "window or record", "windows or records"),
                               " without A, C, G or T (only N) skipped");
    if (flagged_reads)
        outcome.summary += cat("; ", plural(flagged_reads.load(), "record"), " flagged duplicate or QC-fail left out ",
                               "(--keep-duplicates, --keep-qc-fail keep them)");
    if (renamed_reads)
        outcome.summary +=
            cat("; ", plural(renamed_reads.load(), "read"), " named as an earlier read stored as NAME#2, #3, …");
    if (unknown_bases) outcome.summary += unknown_bases_note(unknown_bases, model->tokenizer);
    // Said, not refused: a short read is still best classified by the head there is, but a biologist
    // reading its class should know the head never saw items that short.
    if (short_items)
        outcome.summary += cat("; warning: ", plural(short_items, "item"), " shorter than the ", head_cfg->min_length,
                               " bases head '", head_cfg->name, "' was trained on at the least: ",
                               short_items == 1 ? "its class is" : "their classes are", " less reliable");
    // Items of one name (reads repeated further apart than neighbours) are one row: said, not hidden.
    int64_t stored = items.load();
    if (head) {
        PredictionQuery pq;
        pq.run_id = *run;
        if (auto n = store->count_predictions(pq)) stored = *n;
    } else if (auto n = store->count_embeddings(*run)) {
        stored = *n;
    }
    if (!o.resume && stored < items.load())
        outcome.summary +=
            cat("; ", plural(items.load() - stored, "item"), " named as an earlier one (reads of one name apart in ",
                "the file) were stored once, the last of them: give every read a name of its own");
    outcome.summary += fold_log_note(*store, o.db);
    // A resumed run: this call's items and the run's total (the call's alone read as the run's).
    const std::string kind = head ? (store_embeddings ? "prediction and embedding" : "prediction") : "embedding";
    const std::string kinds = head ? (store_embeddings ? "predictions and embeddings" : "predictions") : "embeddings";
    outcome.result = o.resume ? cat("results: run ", *run, " in ", o.db, " (", items.load(), " more ",
                                    items.load() == 1 ? kind : kinds, ", ", stored, " in all)")
                              : cat("results: run ", *run, " in ", o.db, " (", plural(stored, kind, kinds), ")");
    return outcome;
}

}  // namespace ms

// What the CLI's jobs (score, embed, classify, merge) share: the error line, the engine options
// every job takes, and the provenance of the run a job records.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "app/job_control.h"
#include "app/run_lock.h"
#include "common/atomic_file.h"
#include "engine/backend.h"
#include "engine/tokenizer.h"
#include "genomics/results_store.h"

namespace CLI {
class App;
class Option;
}

namespace ms {

// Prints "error: MESSAGE" on stderr; returns the exit code 1.
int fail(const std::string& message);
// A command's text on stdout (exit 0), or its error (exit 1): the end of commands that only report.
int print_or_fail(const Result<std::string>& text);

// "I/N" of `score --shard` (and of the shard a run recorded): 1 ≤ I ≤ N, nothing after N.
Result<std::pair<int, int>> parse_shard(const std::string& text);

// A job starting a new run: when the database holds an unfinished run of the same job (its job
// was killed, or stopped on a full disk) that no process writes, a note that --resume would
// continue it — without it the stranded run stayed "running" for good unnoticed; "" otherwise.
// `chunk_auto`: --chunk was not given, so --resume would take a run of another chunk (job_chunk).
std::string unfinished_run_note(ResultsStore& store, const std::string& db, const RunInfo& info,
                                const std::string& what, bool chunk_auto);

// What a job over a whole FASTA says of its records without bases (a header and no sequence, which
// htslib's index leaves out): "; 2 FASTA records without bases left out (e1, e2)", the first five
// named; "" when there are none. They were dropped without a word (found in review).
std::string empty_records_note(const std::vector<std::string>& names);

// "; N bases not in the model's alphabet (…) were read as [UNK]": what a job's summary adds when
// its input held letters the model has no token for (X, U, '*', '-').
std::string unknown_bases_note(int64_t n, const Tokenizer& tokenizer);

// Begins `info`'s run and takes its lock for this job. Where a --resume of another job took the
// lock first (between the run's insertion and the lock), the run is marked failed and that error
// returned.
Result<int64_t> begin_locked_run(ResultsStore& store, const std::string& db, const RunInfo& info,
                                 std::optional<RunLock>& lock);
// Takes the lock of run `run` to resume it; true when the job that held it finished the run
// meanwhile (between the listing that chose it and the lock), so there is nothing to resume.
Result<bool> lock_run_to_resume(ResultsStore& store, const std::string& db, int64_t run, std::optional<RunLock>& lock);

// "1 item", "2 items": a count with its noun, `many` for plurals that are not noun + s.
std::string plural(int64_t n, const std::string& one, const std::string& many = {});
// The SHA-256 of an input the run records, said first when it is large enough for the wait to
// show (a whole genome or BAM: seconds to minutes before the job's first progress line).
Result<std::string> input_sha256(const std::string& path, const std::string& job, const JobControl& control);
// A size as people read it: "812 B", "35.2 KiB", "4.1 MiB", "1.25 GiB".
std::string human_bytes(int64_t bytes);

// What a stopped job's run shows: "run N in 'DB' is marked interrupted", or, where that mark could
// not be written (a full disk), that it shows as running and --resume continues it.
std::string interrupted_run_note(int64_t run, const std::string& db, const Result<void>& marked);

// "(run N in 'DB' marked failed; --resume continues it)" after a job's error, or, where that mark could not be written
// (the disk that failed the job is full), that the run still shows as running and --resume continues it; the mark's own
// error only where it is not `cause`, the job's.
std::string failed_run_note(int64_t run, const std::string& db, const Result<void>& marked, const std::string& cause);

// The error of a run whose results are all stored but whose "finished" mark could not be (the disk
// filled at the last commit), with what the database shows: it said only "the disk is full", and
// the run stayed "running" without a word. `resumable`: the job has --resume, which marks it.
Error unmarked_finish(int64_t run, const std::string& db, const Error& e, bool resumable);

// After a job's run finished: its database's write-ahead log folded into the file
// (ResultsStore::checkpoint), so that the .db alone holds the run; where that failed (a full disk),
// "; warning: …" saying that the -wal file beside it holds the run's last commits and must stay
// with it. Empty when folded, or when another reader kept it from finishing.
std::string fold_log_note(ResultsStore& store, const std::string& db);

// --device, --precision, --chunk, --threads, --quiet with the same words in every job.
struct EngineOptions {
    std::string device = "auto", precision = "auto";
    int chunk = 0;  // 0: auto (job_chunk)
    int threads = 0;
    bool quiet = false;
};
void add_engine_options(CLI::App* sub, EngineOptions& o);

// --chunk's default ("auto"): the positions a call runs best at on the device. A GPU: 65,536 (a
// 256 × 16 model at 6.9–7.2 Mbp/s, ~550 MB). The CPU: ~2,000, where a chunk's activations stay in
// the caches: `score` of 1 Mbp with the bundled 128 × 8 model on 2 cores took 14.6–16.2 s and 63 MB
// at 2,048 against 19.5–21.1 s and 491 MB at 65,536 (docs/performance.md, twenty-fifth session);
// 2,016 since it is a whole number of the CPU products' row blocks (42 × 48, cpu_backend.cpp), so
// a full chunk needs no padded block. Calls of reads side by side on the CPU are filled to the same
// size (BatchLimits::fill).
constexpr int kGpuChunk = 65536;
constexpr int kCpuChunk = 2016;

// The chunk a job runs: --chunk where given; else, under --resume, the chunk of the unfinished run
// it continues (unfinished_run_chunk: a run begun with another default resumes with its own, so
// that it ends as it would have run whole), else kGpuChunk when any of the job's engines is a GPU,
// kCpuChunk when all run on the CPU. `what`: the job ("score", "embed", …), `input` its input file.
int job_chunk(const EngineOptions& o, bool any_gpu, bool resume, const std::string& db, const std::string& what,
              const std::string& input);

// How many items a job runs side by side (Session::pool_items, run_items): `forced` when above 0
// (tests); on a GPU as many items of `item_length` as `chunk` positions hold (a few kbp alone leave
// it at half speed or less, docs/performance.md), no more than the job's `items`, at most 256 (256
// bases fill a 65,536-position chunk). On the CPU as many as `cpu_positions` hold (0: one): a call
// of a few positions there is mostly overhead, and one of many thousands slower a position than
// one of ~2,000 (classify of 2 kbp windows: 10.6 s side by side in 65,536-position calls against
// 9.8 s alone, 918 MB against 82 MB; embed of 150-base reads: 5.2–5.8 s in calls of ~2,000
// positions against 12.2 s alone; score of 3,000 records of 100–500 bases: 19–22 s against 26–38 s).
int side_by_side(const Backend& backend, int forced, int64_t chunk, int64_t item_length, int64_t items,
                 int64_t cpu_positions = 0);

// MAMBASCOPE_STAGE_TIMES set (not empty, not "0"): jobs say where their time went (docs/cli.md,
// Environment).
bool stage_times_wanted();

// Makes a single-locus option (--region of export, info, embed, classify) refuse an empty value:
// `--region "$REGION"` with REGION unset was taken as no --region, and the whole genome was
// exported, embedded or described without a word (found in review). Returns `opt`.
CLI::Option* refuse_empty_locus(CLI::Option* opt);

// An output option given as "" (a shell variable left unset): refused as the options are read,
// not after the job's work, when moving the finished file into place failed.
CLI::Option* refuse_empty_path(CLI::Option* opt);

// A job's --out opened before its long work (the temporary beside it; nothing replaced until the
// commit), so that a missing or read-only folder is found before the scan, not after it; none for
// an empty path.
Result<std::optional<AtomicFile>> open_output_now(const std::string& path);

// A job's progress on stderr: one line rewritten in place on a terminal (every 0.5 s), a plain
// line every 10 s in a log, nothing with --quiet.
class ProgressLine {
public:
    explicit ProgressLine(bool quiet);
    // Whether a line is due now; `last` forces the final one.
    bool due(bool last = false);
    void show(const std::string& text);
    void end();                  // ends the terminal line, if one was shown
    double seconds() const;      // since the job started
private:
    bool quiet_, tty_, shown_ = false;
    std::chrono::steady_clock::time_point t0_, last_;
};

// `path` made absolute and normal (as given where the current folder cannot be read): how runs
// record their input files, so that a job run from another folder finds and compares them.
std::string absolute_path(const std::string& path);

// The provenance of a job's run: this build, the command line, the parameters (JSON), the model
// (directory name and weights' SHA-256), where it ran, and its one input file with its size.
RunInfo job_run_info(const std::string& command, const std::string& params_json, const std::string& model_dir,
                     const std::string& model_sha256, const std::string& device, const std::string& precision,
                     const std::string& input, const std::string& input_format);

}  // namespace ms

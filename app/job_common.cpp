#include "app/job_common.h"

#include "app/run_match.h"

#include "app/run_lock.h"

#include <unistd.h>
#include <algorithm>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "app/digests.h"
#include "common/parse_count.h"
#include "common/version.h"
#include "engine/cli/engine_commands.h"
#include "genomics/locus.h"

namespace ms {

int fail(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return 1;
}

std::string unfinished_run_note(ResultsStore& store, const std::string& db, const RunInfo& info,
                                const std::string& what, bool chunk_auto) {
    auto runs = store.list_runs();
    if (!runs) return {};
    const int64_t unfinished =
        find_resume_match(*runs, info, chunk_auto ? std::set<std::string>{"chunk"} : std::set<std::string>{})
            .unfinished;
    if (!unfinished || RunLock::holder(db, unfinished)) return {};
    return cat(what, ": run ", unfinished, " of '", db, "' is the same job, left unfinished; this starts a new run ",
               "(--resume would have continued that one; `mambascope-cli delete-run --db ", db, " --run ", unfinished,
               "` removes it)");
}

int print_or_fail(const Result<std::string>& text) {
    if (!text) return fail(text.error().message);
    std::fputs(text->c_str(), stdout);
    return 0;
}

Result<std::pair<int, int>> parse_shard(const std::string& text) {
    const auto in = parse_count_pair(text, '/');
    if (!in || in->second < 1 || in->first < 1 || in->first > in->second)
        return make_error("'", text, "': expected I/N with 1 ≤ I ≤ N, e.g. 2/8");
    return *in;
}

std::string empty_records_note(const std::vector<std::string>& names) {
    if (names.empty()) return {};
    std::string listed;
    for (size_t i = 0; i < names.size() && i < 5; ++i) listed += cat(i ? ", " : "", names[i]);
    if (names.size() > 5) listed += ", …";
    return cat("; ", plural(int64_t(names.size()), "FASTA record"), " without bases left out (", listed, ")");
}

std::string unknown_bases_note(int64_t n, const Tokenizer& tokenizer) {
    std::string alphabet;
    for (char c : tokenizer.characters()) alphabet += (alphabet.empty() ? "" : " ") + std::string(1, c);
    return cat("; ", n, " base(s) not in the model's alphabet (", alphabet, ") were read as [UNK]");
}

namespace {
CLI::Option* refuse_empty(CLI::Option* opt, std::string why) {
    return opt->check(CLI::Validator([why](std::string& v) { return v.empty() ? why : std::string(); }, ""));
}
}  // namespace

CLI::Option* refuse_empty_locus(CLI::Option* opt) { return refuse_empty(opt, kEmptyLocus); }

CLI::Option* refuse_empty_path(CLI::Option* opt) { return refuse_empty(opt, "the path is empty: name a file"); }

Result<std::optional<AtomicFile>> open_output_now(const std::string& path) {
    if (path.empty()) return std::optional<AtomicFile>();
    auto f = AtomicFile::create(path);
    if (!f) return f.error();
    return std::optional<AtomicFile>(std::move(*f));
}

int side_by_side(const Backend& backend, int forced, int64_t chunk, int64_t item_length, int64_t items,
                 int64_t cpu_positions) {
    if (forced > 0) return forced;
    const int64_t positions = backend.on_cpu() ? cpu_positions : chunk;
    return int(std::clamp<int64_t>(std::min(positions / std::max<int64_t>(item_length, 1), items), 1, 256));
}

int job_chunk(const EngineOptions& o, bool any_gpu, bool resume, const std::string& db, const std::string& what,
              const std::string& input) {
    if (o.chunk > 0) return o.chunk;
    std::error_code ec;
    if (resume && std::filesystem::exists(db, ec)) {
        RunInfo probe = job_run_info({}, cat(R"({"command":")", what, R"("})"), {}, {}, {}, {}, input, {});
        // Unreadable here, the job's own open of the database says why.
        if (auto store = ResultsStore::open(db, ResultsStore::Mode::read_only))
            if (auto runs = store->list_runs())
                if (const int64_t recorded = unfinished_run_chunk(*runs, probe); recorded > 0 && recorded <= (1 << 22))
                    return int(recorded);
    }
    return any_gpu ? kGpuChunk : kCpuChunk;
}

bool stage_times_wanted() {
    const char* v = std::getenv("MAMBASCOPE_STAGE_TIMES");
    return v && *v && std::string_view(v) != "0";
}

void add_engine_options(CLI::App* sub, EngineOptions& o) {
    sub->add_option("--device", o.device, "auto | cpu | cuda | cuda:N | cuda:all")->capture_default_str();
    sub->add_option("--precision", o.precision, kPrecisionHelp)->capture_default_str();
    sub->add_option("--chunk", o.chunk,
                    "positions per forward call (state carried across; another size changes outputs by float rounding "
                    "only); auto: 65536 on a GPU, 2016 on the CPU, and under --resume the resumed run's own")
        ->type_name("INT in [1 - 4194304] or auto")
        ->default_str("auto")
        ->transform(CLI::Validator(
            [](std::string& v) -> std::string {
                if (v == "auto") {
                    v = "0";
                    return {};
                }
                const auto n = parse_count<int64_t>(v);
                if (!n || *n < 1 || *n > (1 << 22))
                    return cat("'", v, "' is neither auto nor a whole number of 1 to 4194304");
                return {};
            },
            ""));
    sub->add_option("--threads", o.threads, "CPU threads (0: all)")->capture_default_str()->check(CLI::Range(0, 1024));
    sub->add_flag("--quiet", o.quiet, "no progress lines");
}

ProgressLine::ProgressLine(bool quiet)
    : quiet_(quiet), tty_(isatty(fileno(stderr))), t0_(std::chrono::steady_clock::now()), last_(t0_) {}

bool ProgressLine::due(bool last) {
    if (quiet_) return false;
    const auto now = std::chrono::steady_clock::now();
    if (!last && std::chrono::duration<double>(now - last_).count() < (tty_ ? 0.5 : 10.0)) return false;
    last_ = now;
    return true;
}

void ProgressLine::show(const std::string& text) {
    std::fprintf(stderr, "%s%s%s", tty_ ? "\r\033[K" : "", text.c_str(), tty_ ? "" : "\n");
    std::fflush(stderr);
    shown_ = true;
}

void ProgressLine::end() {
    if (shown_ && tty_) std::fputc('\n', stderr);
    shown_ = false;   // a second end() (a note after the line) adds no empty line
}

double ProgressLine::seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

std::string absolute_path(const std::string& path) {
    std::error_code ec;
    const auto a = std::filesystem::absolute(path, ec);
    return ec ? path : a.lexically_normal().string();
}

RunInfo job_run_info(const std::string& command, const std::string& params_json, const std::string& model_dir,
                     const std::string& model_sha256, const std::string& device, const std::string& precision,
                     const std::string& input, const std::string& input_format) {
    namespace fs = std::filesystem;
    RunInfo info;
    info.tool_version = build::version;
    info.git_revision = build::git_revision;
    info.command = command;
    info.params_json = params_json;
    // "models/dna-mamba/" names the model by its folder, trailing slash or not.
    const fs::path dir = fs::path(model_dir).lexically_normal();
    info.model_name = dir.filename().empty() ? dir.parent_path().filename().string() : dir.filename().string();
    info.model_sha256 = model_sha256;
    info.device = device;
    info.precision = precision;
    // Absolute: --resume compares it, and the job resuming may run from another folder.
    std::error_code ec;
    const auto bytes = fs::file_size(input, ec);
    info.inputs.push_back({absolute_path(input), input_format, ec ? -1 : int64_t(bytes)});
    return info;
}

std::string fold_log_note(ResultsStore& store, const std::string& db) {
    auto folded = store.checkpoint();
    if (folded) return {};
    return cat("; warning: ", folded.error().message, ". The run is complete, but its last commits are in '", db,
               "-wal' beside the database: keep the two files together (SQLite folds the log in the next time the ",
               "database is opened with room on the disk); a copy of '", db, "' alone is missing them, and can be ",
               "unreadable as a whole");
}

Result<std::string> input_sha256(const std::string& path, const std::string& job, const JobControl& control) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(path, ec);
    if (!ec && bytes >= (uint64_t(1) << 30))
        control.note(cat(job, ": checksumming '", path, "' (", human_bytes(int64_t(bytes)),
                         ") to record it with the run, so that a resume or merge can tell an edited file"));
    return files_sha256({path});
}

std::string human_bytes(int64_t b) {
    char buf[32];
    if (b < 1024)
        std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(b));
    else if (b < 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f KiB", double(b) / 1024);
    else if (b < int64_t(1) << 30)
        std::snprintf(buf, sizeof buf, "%.1f MiB", double(b) / (1024.0 * 1024));
    else
        std::snprintf(buf, sizeof buf, "%.2f GiB", double(b) / double(int64_t(1) << 30));
    return buf;
}

std::string plural(int64_t n, const std::string& one, const std::string& many) {
    return cat(n, " ", n == 1 ? one : many.empty() ? one + "s" : many);
}

std::string interrupted_run_note(int64_t run, const std::string& db, const Result<void>& marked) {
    if (marked) return cat("run ", run, " in '", db, "' is marked interrupted");
    return cat("run ", run, " in '", db, "' could not be marked interrupted (", marked.error().message,
               "): it shows as running, and --resume continues it");
}

std::string failed_run_note(int64_t run, const std::string& db, const Result<void>& marked, const std::string& cause) {
    if (marked) return cat(" (run ", run, " in '", db, "' marked failed; --resume continues it)");
    const std::string why = marked.error().message == cause ? std::string() : cat(": ", marked.error().message);
    return cat(" (run ", run, " could not be marked failed either", why,
               "; it shows as running, and --resume continues it once the cause is fixed)");
}

Error unmarked_finish(int64_t run, const std::string& db, const Error& e, bool resumable) {
    return make_error(
        e.message, " (run ", run, " in '", db,
        "' holds all its results but could not be marked finished: it shows as running",
        resumable ? "; --resume marks it finished once the cause is fixed)" : "; its results export as they are)");
}

Result<int64_t> begin_locked_run(ResultsStore& store, const std::string& db, const RunInfo& info,
                                 std::optional<RunLock>& lock) {
    int64_t run = 0;
    MS_ASSIGN(run, store.begin_run(info));
    auto held = RunLock::acquire(db, run);
    if (!held) {
        (void)store.finish_run(run, RunStatus::failed);
        return held.error();
    }
    lock.emplace(std::move(*held));
    return run;
}

Result<bool> lock_run_to_resume(ResultsStore& store, const std::string& db, int64_t run, std::optional<RunLock>& lock) {
    auto held = RunLock::acquire(db, run);
    if (!held) return make_error(held.error().message, ", then resume it");
    lock.emplace(std::move(*held));
    std::vector<RunRecord> runs;
    MS_ASSIGN(runs, store.list_runs());
    for (const RunRecord& r : runs)
        if (r.id == run) return r.status == RunStatus::finished;
    return false;
}

}  // namespace ms

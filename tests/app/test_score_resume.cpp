// `score --resume` after SIGKILL at random moments: the process is killed five times in the middle
// of a run, resumed each time, and the final database holds exactly what an uninterrupted run
// writes (every value bit for bit, one run, every sequence once), and passes its integrity check.
// A segmented run killed mid-sequence resumes with exactly its finished segments skipped; Ctrl-C
// marks a run interrupted; `embed --resume` skips the items already stored.
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <thread>

#include "app/results_info.h"
#include "app/run_lock.h"
#include "common/error.h"
#include "genomics/results_store.h"
#include "tests/common/harness.h"

using namespace ms;
namespace fs = std::filesystem;

namespace {

const fs::path kModel = fs::path(MS_TEST_DATA_DIR) / "fixtures" / "tied_k4_s16" / "hf";

// Starts mambascope-cli with these arguments (standard error into `err` when given); returns its pid.
pid_t start_cli(std::vector<std::string> args, const std::string& err = "", const std::string& out = "") {
    const char* cli = std::getenv("CLI");
    if (!cli) throw test::Failure{"CLI (the mambascope-cli path) is not set"};
    args.insert(args.begin(), cli);
    std::fflush(stdout);   // or the child's freopen would write the parent's buffered lines again
    const pid_t pid = fork();
    if (pid == 0) {
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        freopen(out.empty() ? "/dev/null" : out.c_str(), "w", stdout);
        if (!err.empty()) freopen(err.c_str(), "w", stderr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

pid_t start_score(const fs::path& fasta, const fs::path& db, bool resume) {
    std::vector<std::string> args = {"score", "--model", kModel.string(), "--fasta", fasta.string(), "--db",
                                     db.string(), "--device", "cpu", "--threads", "1", "--chunk", "4096", "--quiet"};
    if (resume) args.push_back("--resume");
    return start_cli(args);
}

// `records` records of 200 kbp of random bases, 80 a line.
void write_random_genome(const fs::path& path, int records, uint32_t seed) {
    std::mt19937 rng(seed);
    std::ofstream fa(path);
    for (int r = 0; r < records; ++r) {
        fa << ">chr" << r << "\n";
        for (int line = 0; line < 2500; ++line) {
            for (int i = 0; i < 80; ++i) fa << "ACGT"[rng() % 4];
            fa << "\n";
        }
    }
}

int wait_exit(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Every value of every track of the only run, sequence by sequence, as raw bits.
std::map<std::string, std::vector<uint32_t>> contents(const fs::path& db) {
    auto store = ResultsStore::open(db.string(), ResultsStore::Mode::read_only);
    if (!store) throw test::Failure{store.error().message};
    auto runs = store->list_runs();
    if (!runs || runs->size() != 1) throw test::Failure{"expected exactly one run in " + db.string()};
    const int64_t run = (*runs)[0].id;
    if ((*runs)[0].status != RunStatus::finished) throw test::Failure{"the run did not finish"};
    std::map<std::string, std::vector<uint32_t>> out;
    auto seqs = store->list_sequences(run);
    auto tracks = store->list_tracks(run);
    for (const StoredSequence& s : *seqs) {
        if (!s.complete) throw test::Failure{"sequence " + s.info.name + " not marked complete"};
        for (const StoredTrack& t : *tracks) {
            auto v = store->read_values(t.id, s.id, 0, s.info.length);
            if (!v) throw test::Failure{v.error().message};
            std::vector<uint32_t>& bits = out[s.info.name + "/" + t.name];
            bits.resize(v->size());
            std::memcpy(bits.data(), v->data(), v->size() * 4);
        }
    }
    auto check = store->integrity_check();
    if (!check || *check != "ok") throw test::Failure{"integrity check: " + (check ? *check : check.error().message)};
    return out;
}

// An empty folder for one test under the working directory, with `records` × 200 kbp of random
// bases in genome.fa when records > 0.
fs::path fresh_dir(const char* name, int records = 0, uint32_t seed = 0) {
    const fs::path dir = fs::current_path() / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    if (records > 0) write_random_genome(dir / "genome.fa", records, seed);
    return dir;
}

// Whether run 1 of dir/r.db gets its lock file (a job recorded it and writes it) within 2 s.
bool run_1_locked(const fs::path& dir) {
    for (int i = 0; i < 400; ++i) {
        if (fs::exists(dir / "r.db.run-1.lock")) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

// Every track of every sequence of `got` bit for bit as in `want` (contents()).
void check_same_values(const std::map<std::string, std::vector<uint32_t>>& want,
                       const std::map<std::string, std::vector<uint32_t>>& got) {
    MS_CHECK_EQ(got.size(), want.size());
    for (const auto& [key, bits] : want) {
        auto it = got.find(key);
        MS_CHECK_MSG(it != got.end(), key << " missing after resume");
        MS_CHECK_MSG(it != got.end() && it->second == bits, key << " differs from the uninterrupted run");
    }
}

}  // namespace

MS_TEST(resume_after_sigkill_equals_an_uninterrupted_run) {
    const fs::path dir = fresh_dir("resume_tmp", 12, 17);   // 2.4 Mbp: about 2 s for the fixture model on one core
    const fs::path fasta = dir / "genome.fa";
    MS_CHECK_EQ(wait_exit(start_score(fasta, dir / "ref.db", false)), 0);
    const auto want = contents(dir / "ref.db");

    std::mt19937 rng(23);
    int kills = 0;
    // A kill may land before the run is recorded: resume only once the database holds a run.
    auto has_run = [&] {
        if (!fs::exists(dir / "r.db")) return false;
        auto s = ResultsStore::open((dir / "r.db").string(), ResultsStore::Mode::read_only);
        auto runs = s ? s->list_runs() : Result<std::vector<RunRecord>>(make_error("x"));
        return runs && !runs->empty();
    };
    for (int attempt = 0; kills < 5 && attempt < 20; ++attempt) {
        const pid_t pid = start_score(fasta, dir / "r.db", has_run());
        std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 270));
        kill(pid, SIGKILL);
        const int rc = wait_exit(pid);
        if (rc == 128 + SIGKILL) ++kills;
        MS_CHECK_MSG(rc == 128 + SIGKILL || rc == 0, "score exited with " << rc << " before it was killed");
        if (rc == 0) break;
    }
    MS_CHECK_MSG(kills >= 5, "only " << kills << " kills landed mid-run");
    const int rc = wait_exit(start_score(fasta, dir / "r.db", true));
    MS_CHECK_EQ(rc, 0);
    check_same_values(want, contents(dir / "r.db"));
}

// A run being written cannot be resumed by a second job: it was, both scored it, and the first,
// stopped, flipped the finished run back to "interrupted" (found in review). `info` tells a run being
// written from one whose job was killed (both read "running"); once the writer is gone, --resume
// takes the run and finishes it.
MS_TEST(a_run_being_written_is_not_resumed_twice) {
    const fs::path dir = fresh_dir("lock_tmp", 12, 41);
    const fs::path fasta = dir / "genome.fa", db = dir / "r.db";
    const pid_t writer = start_score(fasta, db, false);
    MS_CHECK(run_1_locked(dir));  // the run is recorded and locked
    const std::string err = (dir / "second.err").string();
    const int second =
        wait_exit(start_cli({"score", "--model", kModel.string(), "--fasta", fasta.string(), "--db", db.string(),
                             "--device", "cpu", "--threads", "1", "--chunk", "4096", "--quiet", "--resume"},
                            err));
    std::ifstream in(err);
    const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    MS_CHECK_MSG(second == 1 && log.find("is being written by another job (process " + std::to_string(writer) +
                                         "); wait for it to end, or stop it, then resume it") != std::string::npos,
                 "exit " << second << ": " << log);
    MS_CHECK(describe_results_database(db.string())
                 ->find("running (a job is writing it: process " + std::to_string(writer) + ")") != std::string::npos);
    kill(writer, SIGKILL);
    MS_CHECK_EQ(wait_exit(writer), 128 + SIGKILL);
    MS_CHECK(describe_results_database(db.string())->find("running (no job is writing it") != std::string::npos);
    MS_CHECK_EQ(wait_exit(start_score(fasta, db, true)), 0);
    MS_CHECK(!fs::exists(dir / "r.db.run-1.lock"));  // a job that ends removes its lock file
    auto store = ResultsStore::open(db.string(), ResultsStore::Mode::read_only);
    MS_CHECK(store.ok() && store->list_runs()->at(0).status == RunStatus::finished);
}

// A new run beside an unfinished one of the same job (its job killed) says so, with the command
// that resumes or removes it — the stranded run stayed "running" unnoticed before.
MS_TEST(a_new_run_beside_a_stranded_one_says_so) {
    const fs::path dir = fresh_dir("stranded_tmp", 12, 43);
    const fs::path fasta = dir / "genome.fa", db = dir / "r.db";
    const pid_t writer = start_score(fasta, db, false);
    MS_CHECK(run_1_locked(dir));
    kill(writer, SIGKILL);
    MS_CHECK_EQ(wait_exit(writer), 128 + SIGKILL);
    const std::string err = (dir / "second.err").string();
    MS_CHECK_EQ(
        wait_exit(start_cli({"score", "--model", kModel.string(), "--fasta", fasta.string(), "--db", db.string(),
                             "--device", "cpu", "--threads", "1", "--chunk", "4096", "--region", "chr0:1-1000"},
                            err)),
        0);
    std::ifstream in(err);
    const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // --region makes it another job: no note then.
    MS_CHECK_MSG(log.find("left unfinished") == std::string::npos, log);
    MS_CHECK_EQ(wait_exit(start_cli({"score", "--model", kModel.string(), "--fasta", fasta.string(), "--db",
                                     db.string(), "--device", "cpu", "--threads", "1", "--chunk", "4096"},
                                    err)),
                0);
    std::ifstream in2(err);
    const std::string log2((std::istreambuf_iterator<char>(in2)), std::istreambuf_iterator<char>());
    MS_CHECK_MSG(
        log2.find("score: run 1 of '" + db.string() + "' is the same job, left unfinished") != std::string::npos &&
            log2.find("delete-run --db " + db.string() + " --run 1") != std::string::npos,
        log2);
}

// A segmented run (four 200 kbp records cut into 50 kbp segments) killed once some segments are
// committed: --resume skips exactly the segments the store records as finished — not only whole
// sequences — and the result equals an uninterrupted segmented run bit for bit.
MS_TEST(segmented_resume_skips_finished_segments) {
    const fs::path dir = fresh_dir("segment_resume_tmp", 4, 31);
    const fs::path fasta = dir / "genome.fa";
    auto args = [&](const fs::path& db, bool resume) {
        std::vector<std::string> a = {"score", "--model", kModel.string(), "--fasta", fasta.string(), "--db", db.string(),
                                      "--device", "cpu", "--threads", "1", "--chunk", "4096", "--segment-length", "50000",
                                      "--warmup", "2000"};
        if (resume) a.push_back("--resume");
        else a.push_back("--quiet");
        return a;
    };
    MS_CHECK_EQ(wait_exit(start_cli(args(dir / "ref.db", false))), 0);
    const auto want = contents(dir / "ref.db");

    // Finished parts recorded in a database (0 while it has no run yet).
    auto finished_parts = [&](const fs::path& db) -> size_t {
        if (!fs::exists(db)) return 0;
        auto s = ResultsStore::open(db.string(), ResultsStore::Mode::read_only);
        if (!s) return 0;
        auto runs = s->list_runs();
        if (!runs || runs->empty()) return 0;
        auto parts = s->list_complete_parts((*runs)[0].id);
        return parts ? parts->size() : 0;
    };
    // Kill as soon as two segments are recorded; tried again unless a sequence is left part-done
    // (skipping whole sequences alone would pass otherwise).
    const fs::path db = dir / "r.db";
    size_t done = 0;
    auto wanted = [&] { return done >= 2 && done % 4 != 0; };
    for (int attempt = 0; attempt < 5 && !wanted(); ++attempt) {
        fs::remove(db);
        fs::remove(dir / "r.db-wal");
        fs::remove(dir / "r.db-shm");
        const pid_t pid = start_cli(args(db, false));
        while (finished_parts(db) < 2 && waitpid(pid, nullptr, WNOHANG) == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        kill(pid, SIGKILL);
        wait_exit(pid);
        done = finished_parts(db);
    }
    MS_CHECK_MSG(wanted(), "no kill left a sequence part-done (" << done << " of 16 segments finished)");
    const std::string err = (dir / "resume.err").string();
    MS_CHECK_EQ(wait_exit(start_cli(args(db, true), err)), 0);
    std::ifstream in(err);
    const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    MS_CHECK_MSG(log.find(cat(", ", done, " of 16 part(s) already finished")) != std::string::npos,
                 "the resumed run did not skip the " << done << " finished segments:\n" << log);
    MS_CHECK_EQ(finished_parts(db), size_t(16));
    check_same_values(want, contents(db));
    // Submitted again once finished (a workflow's retry): nothing to do, exit 0 (it was an error).
    const std::string again = (dir / "again.err").string();
    MS_CHECK_EQ(wait_exit(start_cli(args(db, true), again)), 0);
    std::ifstream again_in(again);
    const std::string again_log((std::istreambuf_iterator<char>(again_in)), std::istreambuf_iterator<char>());
    MS_CHECK_MSG(again_log.find("is finished; nothing to resume") != std::string::npos, again_log);
    check_same_values(want, contents(db));
    // A --resume of a database that is not there starts the run there, as embed and classify do
    // (it was refused, and the workflow tested for the file first), and says so.
    const std::string absent = (dir / "absent.err").string();
    MS_CHECK_EQ(wait_exit(start_cli(args(dir / "absent.db", true), absent)), 0);
    std::ifstream absent_in(absent);
    const std::string absent_log((std::istreambuf_iterator<char>(absent_in)), std::istreambuf_iterator<char>());
    MS_CHECK_MSG(absent_log.find("does not exist yet; starting a run in a new database") != std::string::npos,
                 absent_log);
    check_same_values(want, contents(dir / "absent.db"));
}

// Ctrl-C: score stops between blocks, exits 130, marks its run interrupted and keeps what it
// committed; --resume then finishes it.
// SIGHUP (an ssh session dropped) likewise: it ended the job with its run left "running" (found in
// review).
MS_TEST(ctrl_c_marks_the_run_interrupted) {
    for (const int signal : {SIGINT, SIGHUP}) {
        const fs::path dir = fresh_dir("sigint_tmp", 8, 29);
        const fs::path fasta = dir / "genome.fa";
        const pid_t pid = start_score(fasta, dir / "r.db", false);
        // Once the run is recorded (its lock is taken after the handlers are in place; a signal
        // before them, under a slow sanitizer build, would end the process by its default action).
        for (int i = 0; i < 2000 && !fs::exists(dir / "r.db.run-1.lock"); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        kill(pid, signal);
        MS_CHECK_EQ(wait_exit(pid), 130);
        {
            auto store = ResultsStore::open((dir / "r.db").string(), ResultsStore::Mode::read_only);
            MS_CHECK_MSG(store.ok(), store.error().message);
            auto runs = store->list_runs();
            MS_CHECK_MSG(runs.ok() && runs->size() == 1 && (*runs)[0].status == RunStatus::interrupted,
                         "signal " << signal);
            MS_CHECK_EQ(*store->integrity_check(), std::string("ok"));
        }
        // A --resume with other parameters is refused, naming the one that differs.
        const std::string refused = (dir / "refused.err").string();
        MS_CHECK_EQ(wait_exit(start_cli({"score", "--model", kModel.string(), "--fasta", fasta.string(), "--db",
                                         (dir / "r.db").string(), "--device", "cpu", "--threads", "1", "--chunk",
                                         "2048", "--quiet", "--resume"},
                                        refused)),
                    1);
        std::ifstream refused_in(refused);
        const std::string refused_log((std::istreambuf_iterator<char>(refused_in)), std::istreambuf_iterator<char>());
        MS_CHECK_MSG(
            refused_log.find("unfinished run 1 differs (run 1 vs this job): chunk: 4096 vs 2048") != std::string::npos,
            refused_log);
        MS_CHECK_EQ(wait_exit(start_score(fasta, dir / "r.db", true)), 0);
        MS_CHECK_EQ(contents(dir / "r.db").size(), size_t(8 * 6));
    }
}

// embed over reads, killed mid-run and resumed: the items already stored are skipped, none is
// duplicated, and every vector equals an uninterrupted run's, to the bit. The reads run side by
// side (a window of them sorted by length), and the kill lands inside a window: the resumed run
// runs that window again whole, so each read runs in the batch it ran in before (another batch
// rounds it otherwise).
MS_TEST(embed_resume_after_sigkill) {
    const fs::path dir = fresh_dir("embed_resume_tmp");
    const std::string bam = (fs::path(MS_TEST_DATA_DIR) / "genomics" / "freebayes_tiny" / "NA12878.chr22.tiny.bam").string();
    auto args = [&](const fs::path& db, bool resume) {
        std::vector<std::string> a = {"embed", "--model", kModel.string(), "--reads", bam, "--db", db.string(),
                                      "--device", "cpu", "--threads", "1", "--quiet"};
        if (resume) a.push_back("--resume");
        return a;
    };
    const auto t0 = std::chrono::steady_clock::now();
    MS_CHECK_EQ(wait_exit(start_cli(args(dir / "ref.db", false))), 0);
    const auto whole = std::chrono::steady_clock::now() - t0;
    // Kill it part-way; on a loaded machine the timing of the reference run may not carry over, so
    // try earlier points until a kill lands after the first batch and before the last.
    bool mid_run = false;
    for (int tenths : {6, 4, 2, 8}) {
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove((dir / "r.db").string() + suffix);
        const pid_t pid = start_cli(args(dir / "r.db", false));
        std::this_thread::sleep_for(whole * tenths / 10);
        kill(pid, SIGKILL);
        if (wait_exit(pid) != 128 + SIGKILL || !fs::exists(dir / "r.db")) continue;
        auto part = ResultsStore::open((dir / "r.db").string(), ResultsStore::Mode::read_only);
        if (!part) continue;
        auto stored = part->count_embeddings(1);
        if (stored && *stored > 0 && *stored < 3327) {
            mid_run = true;
            break;
        }
    }
    MS_CHECK_MSG(mid_run, "no kill landed between the first and the last batch");
    const std::string resumed = (dir / "resumed.out").string();
    MS_CHECK_EQ(wait_exit(start_cli(args(dir / "r.db", true), "", resumed)), 0);
    // The summary gives this call's items and the run's total (it gave the call's as the run's).
    std::ifstream resumed_in(resumed);
    const std::string resumed_out((std::istreambuf_iterator<char>(resumed_in)), std::istreambuf_iterator<char>());
    MS_CHECK_MSG(resumed_out.find(" more embeddings, 3327 in all)") != std::string::npos, resumed_out);
    // Submitted again once finished (a workflow's retry): nothing to do, exit 0, as `score` does.
    const std::string again = (dir / "again.err").string();
    MS_CHECK_EQ(wait_exit(start_cli(args(dir / "r.db", true), again)), 0);
    std::ifstream again_in(again);
    const std::string again_log((std::istreambuf_iterator<char>(again_in)), std::istreambuf_iterator<char>());
    MS_CHECK_MSG(again_log.find("is finished; nothing to resume") != std::string::npos, again_log);
    auto ref = ResultsStore::open((dir / "ref.db").string(), ResultsStore::Mode::read_only);
    auto got = ResultsStore::open((dir / "r.db").string(), ResultsStore::Mode::read_only);
    MS_CHECK(ref.ok() && got.ok());
    auto runs = got->list_runs();
    MS_CHECK(runs->size() == 1 && (*runs)[0].status == RunStatus::finished);
    const int64_t n = *ref->count_embeddings(1);
    MS_CHECK_EQ(n, int64_t(3327));
    MS_CHECK_EQ(*got->count_embeddings(1), n);
    // Same items in the same order; ids may differ where a batch was rewritten, so match by item.
    std::map<std::string, std::vector<float>> want;
    for (int64_t id = 1; id <= n; ++id) {
        auto e = ref->read_embedding(id);
        want[e->e.item] = e->e.vector;
    }
    int64_t checked = 0;
    for (int64_t id = 1; checked < n && id <= 4 * n; ++id) {
        auto e = got->read_embedding(id);
        if (!e) continue;
        MS_CHECK_MSG(want.at(e->e.item) == e->e.vector, e->e.item);
        ++checked;
    }
    MS_CHECK_EQ(checked, n);
}

// `embed --resume` where the database holds no run yet (a workflow's first attempt stopped before
// its run was recorded, or no database at all): it starts the run, as `score --resume` does,
// instead of failing and leaving an empty database behind.
MS_TEST(embed_resume_without_a_run_starts_one) {
    const fs::path dir = fresh_dir("embed_resume_empty_tmp");
    const std::string fasta = (fs::path(MS_TEST_DATA_DIR) / "fixtures" / "input.fa").string();
    const fs::path db = dir / "r.db";
    {   // an empty results database, as its job leaves it when killed before the run is recorded
        auto store = ResultsStore::open(db.string(), ResultsStore::Mode::read_write);
        MS_CHECK_MSG(store.ok(), store.error().message);
    }
    const std::string err = (dir / "embed.err").string();
    const int rc = wait_exit(start_cli({"embed", "--model", kModel.string(), "--fasta", fasta, "--db", db.string(),
                                        "--device", "cpu", "--threads", "1", "--resume"},
                                       err));
    std::ifstream in(err);
    const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    MS_CHECK_MSG(rc == 0 && log.find("holds no run yet; starting one") != std::string::npos, "exit " << rc << ": " << log);
    auto store = ResultsStore::open(db.string(), ResultsStore::Mode::read_only);
    MS_CHECK(store.ok());
    auto runs = store->list_runs();
    MS_CHECK(runs->size() == 1 && (*runs)[0].status == RunStatus::finished);
    MS_CHECK(*store->count_embeddings((*runs)[0].id) > 0);
}

// `delete-run`: refuses a run a job is writing (naming the process), removes the run with all it
// holds and leaves the other runs' values as they were; an unknown run lists the ones there are.
MS_TEST(delete_run_removes_one_run_and_spares_the_rest) {
    const fs::path dir = fresh_dir("delete_run_tmp", 1, 51);
    const fs::path fasta = dir / "genome.fa", db = dir / "r.db";
    MS_CHECK_EQ(wait_exit(start_score(fasta, db, false)), 0);
    MS_CHECK_EQ(wait_exit(start_score(fasta, db, false)), 0);  // run 2, the same values
    auto values_of = [&](int64_t run) {
        auto store = ResultsStore::open(db.string(), ResultsStore::Mode::read_only);
        MS_CHECK(store.ok());
        const int64_t track = *store->find_track(run, "loglik");
        const auto seqs = *store->list_sequences(run);
        return *store->read_values(track, seqs.at(0).id, 0, seqs.at(0).info.length);
    };
    const std::vector<float> run2 = values_of(2);
    const std::string err = (dir / "delete.err").string(), out = (dir / "delete.out").string();
    {
        auto lock = ms::RunLock::acquire(db.string(), 1);  // as a job writing run 1 holds it
        MS_CHECK(lock.ok());
        MS_CHECK_EQ(wait_exit(start_cli({"delete-run", "--db", db.string(), "--run", "1"}, err)), 1);
        std::ifstream in(err);
        const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // Deleting is not resuming: the advice is to wait or stop the job (it said "then resume").
        MS_CHECK_MSG(log.find("is being written by another job (process " + std::to_string(getpid()) +
                              "); wait for it to end, or stop it\n") != std::string::npos,
                     log);
    }
    MS_CHECK_EQ(wait_exit(start_cli({"delete-run", "--db", db.string(), "--run", "1", "--vacuum"}, err, out)), 0);
    std::ifstream in(out);
    const std::string said((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    MS_CHECK_MSG(said.find("removed run 1") != std::string::npos && said.find("6 tracks") != std::string::npos &&
                     said.find("vacuumed") != std::string::npos,
                 said);
    auto store = ResultsStore::open(db.string(), ResultsStore::Mode::read_only);
    MS_CHECK(store.ok());
    const auto runs = *store->list_runs();
    MS_CHECK(runs.size() == 1 && runs.at(0).id == 2);
    MS_CHECK_EQ(*store->integrity_check(), std::string("ok"));
    const std::vector<float> kept = values_of(2);
    MS_CHECK(std::memcmp(kept.data(), run2.data(), kept.size() * sizeof(float)) == 0 && kept.size() == run2.size());
    MS_CHECK_EQ(wait_exit(start_cli({"delete-run", "--db", db.string(), "--run", "7"}, err)), 1);
    std::ifstream in7(err);
    const std::string log7((std::istreambuf_iterator<char>(in7)), std::istreambuf_iterator<char>());
    MS_CHECK_MSG(log7.find("has no run 7; it holds run(s) 2") != std::string::npos, log7);
    MS_CHECK_EQ(wait_exit(start_cli({"delete-run", "--db", db.string(), "--run", "0"}, err)), 1);
    std::ifstream in0(err);
    const std::string log0((std::istreambuf_iterator<char>(in0)), std::istreambuf_iterator<char>());
    MS_CHECK_MSG(log0.find("has no run 0; it holds run(s) 2") != std::string::npos, log0);
}

// `delete-run` waits up to a second for a job holding the run's lock; a job that finished in that
// second had its run deleted right after it reported its results, the message still saying
// "running" (found in review). A run whose status changed while delete-run waited is left alone.
MS_TEST(delete_run_leaves_a_run_whose_job_ended_while_it_waited) {
    const fs::path dir = fresh_dir("delete_wait_tmp", 1, 52);
    const fs::path fasta = dir / "genome.fa", db = dir / "r.db";
    MS_CHECK_EQ(wait_exit(start_score(fasta, db, false)), 0);
    const std::string err = (dir / "delete.err").string();
    pid_t child = 0;
    {
        auto store = ResultsStore::open(db.string());
        MS_CHECK(store.ok() && store->reopen_run(1).ok());  // as a job writing run 1 shows it
        auto lock = ms::RunLock::acquire(db.string(), 1);
        MS_CHECK(lock.ok());
        // Until the child first opens the lock file to try it (it has listed the runs by then; it
        // tries for about a second): an inotify watch on the file, made after this process's own
        // open of it.
        const int watch = ::inotify_init1(IN_CLOEXEC);
        MS_CHECK(watch >= 0 && ::inotify_add_watch(watch, (db.string() + ".run-1.lock").c_str(), IN_OPEN) >= 0);
        child = start_cli({"delete-run", "--db", db.string(), "--run", "1"}, err);
        pollfd p{watch, POLLIN, 0};
        MS_CHECK_MSG(::poll(&p, 1, 60000) == 1, "delete-run never tried the lock");
        ::close(watch);
        MS_CHECK(store->finish_run(1, RunStatus::finished).ok());  // the job ends, and lets go
    }
    MS_CHECK_EQ(wait_exit(child), 1);
    std::ifstream in(err);
    const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    MS_CHECK_MSG(log.find("was running when asked and is now finished") != std::string::npos, log);
    auto store = ResultsStore::open(db.string(), ResultsStore::Mode::read_only);
    MS_CHECK(store.ok() && store->list_runs()->size() == 1);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

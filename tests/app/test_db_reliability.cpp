// Results databases under hostile conditions, through the CLI: `info` on a database with each of
// its pages overwritten in turn (never a crash or a hang: an error naming the file, or an integrity
// report), and a reader that browses a database while `score` writes it (as the GUI does): once
// the file opens, every read succeeds and every value it sees is either not yet written (NaN) or
// bit for bit the value the finished run holds. docs/reliability.md quotes the counts printed here.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <thread>

#include "genomics/results_store.h"
#include "tests/common/harness.h"
#include "tests/common/small_disk.h"

using namespace ms;
namespace fs = std::filesystem;

namespace {

const fs::path kModel = fs::path(MS_TEST_DATA_DIR) / "fixtures" / "tied_k4_s16" / "hf";

fs::path scratch(const std::string& name) {
    const fs::path dir = fs::path(MS_TEST_BINARY_DIR) / "db_reliability" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

// Starts mambascope-cli with these arguments, stdout and stderr into `log`; returns its pid.
pid_t start_cli(std::vector<std::string> args, const fs::path& log) {
    const char* cli = std::getenv("CLI");
    if (!cli) throw test::Failure{"CLI (the mambascope-cli path) is not set"};
    args.insert(args.begin(), cli);
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (!freopen(log.c_str(), "w", stdout) || dup2(fileno(stdout), 2) < 0) _exit(126);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

// The exit code, 128 + signal when killed; -1 when it outlived `limit` (it is then killed).
int wait_exit(pid_t pid, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// `records` records of `bases` random bases, 80 a line.
void write_random_genome(const fs::path& path, int records, int bases, uint32_t seed) {
    std::mt19937 rng(seed);
    std::ofstream fa(path);
    for (int r = 0; r < records; ++r) {
        fa << ">chr" << r << "\n";
        for (int i = 0; i < bases; ++i) {
            fa << "ACGT"[rng() % 4];
            if (i % 80 == 79 || i + 1 == bases) fa << "\n";
        }
    }
}

std::vector<std::string> score_args(const fs::path& fasta, const fs::path& db) {
    return {"score", "--model", kModel.string(), "--fasta", fasta.string(), "--db", db.string(),
            "--device", "cpu", "--threads", "1", "--chunk", "4096", "--quiet"};
}

}  // namespace

// Every page of a real database overwritten with random bytes, one copy per page, each opened by
// `info` (which runs the integrity check and decodes every tile).
MS_TEST(info_on_a_database_with_any_page_corrupted_never_crashes) {
    const fs::path dir = scratch("corrupt");
    // Two records of 12 kbp: six tracks of tiles and their zooms over a few dozen pages.
    write_random_genome(dir / "genome.fa", 2, 12'000, 7);
    const fs::path db = dir / "clean.db";
    MS_CHECK_EQ(wait_exit(start_cli(score_args(dir / "genome.fa", db), dir / "score.log"), std::chrono::seconds(300)), 0);
    MS_CHECK(!fs::exists(fs::path(db.string() + "-wal")) || fs::file_size(db.string() + "-wal") == 0);
    const std::string clean = read_file(db);
    const size_t page = 4096;   // the store's page size (SQLite's default)
    MS_CHECK(clean.size() % page == 0 && clean.size() >= 4 * page);

    std::mt19937 rng(11);
    int errors = 0, reported = 0, unnoticed = 0;
    for (size_t p = 0; p < clean.size() / page; ++p) {
        std::string bytes = clean;
        for (size_t i = 0; i < page; ++i) bytes[p * page + i] = static_cast<char>(rng());
        const fs::path copy = dir / ("page" + std::to_string(p) + ".db");
        std::ofstream(copy, std::ios::binary) << bytes;
        const fs::path log = dir / ("page" + std::to_string(p) + ".log");
        const int rc = wait_exit(start_cli({"info", copy.string()}, log), std::chrono::seconds(60));
        const std::string out = read_file(log);
        MS_CHECK_MSG(rc == 0 || rc == 1, "page " << p << ": info exited with " << rc << ":\n" << out);
        if (rc == 1) {
            ++errors;
            MS_CHECK_MSG(out.find("error: ") != std::string::npos && out.find(copy.string()) != std::string::npos,
                         "page " << p << ": the error does not name the file:\n" << out);
        } else if (out.find("integrity ok") != std::string::npos) {
            ++unnoticed;   // a page the data no longer uses (free list, slack) changes nothing read
        } else {
            ++reported;
            MS_CHECK_MSG(out.find("integrity ") != std::string::npos, "page " << p << ": no integrity line:\n" << out);
        }
    }
    // The header page holds SQLite's magic: garbage there is no database at all.
    const std::string first = read_file(dir / "page0.log");
    MS_CHECK_MSG(first.find("is not a MambaScope results database") != std::string::npos, first);
    std::cout << "corrupt pages: " << clean.size() / page << " copies, " << errors << " refused with an error, "
              << reported << " opened with integrity problems listed, " << unnoticed << " unnoticed (unused pages)\n";
    MS_CHECK(errors + reported > 0);
}

// A reader opens the database again and again while `score` writes it, reading every value of
// every sequence of the run; once it has opened the file, nothing may fail, and nothing it saw
// may differ from the finished run.
MS_TEST(a_reader_browsing_while_the_cli_writes_sees_only_committed_values) {
    const fs::path dir = scratch("concurrent");
    write_random_genome(dir / "genome.fa", 4, 150'000, 3);
    const fs::path db = dir / "results.db";
    const pid_t writer = start_cli(score_args(dir / "genome.fa", db), dir / "score.log");

    struct Snapshot {
        std::string sequence;
        std::vector<float> loglik;
        bool complete = false;
    };
    std::vector<Snapshot> seen;
    int reads = 0, reads_mid_run = 0, refused_before_first_open = 0;
    bool opened_once = false;
    int status = 0;
    bool running = true;
    while (running) {
        running = waitpid(writer, &status, WNOHANG) == 0;
        if (!fs::exists(db)) continue;
        auto store = ResultsStore::open(db.string(), ResultsStore::Mode::read_only);
        if (!store) {
            // Before the writer has made the schema the file is not yet a results database: an
            // error that says so and may be retried (ResultsStore::open_when_ready does).
            MS_CHECK_MSG(!opened_once, "open failed after it had worked: " << store.error().message);
            MS_CHECK_MSG(store.error().retryable, "refused for another reason: " << store.error().message);
            ++refused_before_first_open;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            continue;
        }
        opened_once = true;
        auto runs = store->list_runs();
        MS_CHECK_MSG(runs.ok(), runs.error().message);
        if (runs->empty()) continue;
        const int64_t run = (*runs)[0].id;
        auto seqs = store->list_sequences(run);
        auto tracks = store->list_tracks(run);
        MS_CHECK_MSG(seqs.ok() && tracks.ok(), (seqs.ok() ? tracks.error() : seqs.error()).message);
        for (const StoredTrack& t : *tracks) {
            if (t.name != "loglik") continue;
            for (const StoredSequence& s : *seqs) {
                auto v = store->read_values(t.id, s.id, 0, s.info.length);
                MS_CHECK_MSG(v.ok(), v.error().message);
                seen.push_back({s.info.name, std::move(*v), s.complete});
                ++reads;
                reads_mid_run += running;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));   // a browsing pace, not a busy loop
    }
    MS_CHECK_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), 0);

    auto store = ResultsStore::open(db.string(), ResultsStore::Mode::read_only);
    MS_CHECK_MSG(store.ok(), store.error().message);
    const int64_t run = (*store->list_runs())[0].id;
    std::map<std::string, std::vector<float>> final_values;
    const int64_t track = *store->find_track(run, "loglik");
    const auto final_seqs = store->list_sequences(run);
    MS_CHECK_MSG(final_seqs.ok(), final_seqs.error().message);
    for (const StoredSequence& s : *final_seqs)
        final_values[s.info.name] = *store->read_values(track, s.id, 0, s.info.length);
    MS_CHECK_EQ(*store->integrity_check(), std::string("ok"));

    int64_t compared = 0, pending = 0;
    for (const Snapshot& snap : seen) {
        const std::vector<float>& want = final_values.at(snap.sequence);
        MS_CHECK_EQ(snap.loglik.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i) {
            // The first base has no context, so its log-likelihood stays NaN in the finished run too.
            if (std::isnan(snap.loglik[i]) && !std::isnan(want[i])) {
                MS_CHECK_MSG(!snap.complete, snap.sequence << " was complete but position " << i << " was not written");
                ++pending;
                continue;
            }
            MS_CHECK_MSG(std::memcmp(&snap.loglik[i], &want[i], sizeof(float)) == 0 ||
                             (std::isnan(snap.loglik[i]) && std::isnan(want[i])),
                         snap.sequence << " position " << i << ": read " << snap.loglik[i] << " mid-run, finally " << want[i]);
            ++compared;
        }
    }
    std::cout << "concurrent reader: " << reads << " sequence reads (" << reads_mid_run << " while score ran), "
              << compared << " values equal to the finished run, " << pending << " not yet written when read, "
              << refused_before_first_open << " opens refused before the schema existed\n";
    MS_CHECK_MSG(reads_mid_run > 0, "no read landed while score was running");
}

// A disk that fills during `score`: exit 1, and what the message says of the run is what the
// database holds. It said "marked failed" while the run stayed "running": marking it needs space
// too (found in review). A 1 MiB tmpfs; mounting needs root with CAP_SYS_ADMIN, else a skip.
MS_TEST(a_disk_full_during_score_is_reported_as_it_is) {
    const fs::path dir = scratch("full_disk"), mnt = dir / "mnt";
    write_random_genome(dir / "g.fa", 3, 200000, 11);
    const ms::test::SmallDisk disk(mnt, "1m");
    const int rc = wait_exit(start_cli(score_args(dir / "g.fa", mnt / "f.db"), dir / "log"), std::chrono::seconds(300));
    const std::string log = read_file(dir / "log");
    MS_CHECK_MSG(rc == 1, "exit " << rc << ": " << log);
    auto store = ResultsStore::open((mnt / "f.db").string(), ResultsStore::Mode::read_only);
    MS_CHECK_MSG(store.ok(), store.error().message);
    if (!store.ok()) return;
    const auto runs = store->list_runs();
    MS_CHECK(runs.ok() && runs->size() == 1);
    if (!runs.ok() || runs->empty()) return;
    const RunStatus status = (*runs)[0].status;
    // The disk fills while tiles are written (marked failed, or not even that), or at the last
    // commit, the "finished" mark (it said only "the disk is full" there; found in review).
    if (log.find("marked failed; --resume continues it)") != std::string::npos)
        MS_CHECK_MSG(status == RunStatus::failed, log);
    else if (log.find("could not be marked finished: it shows as running") != std::string::npos)
        MS_CHECK_MSG(status == RunStatus::running, log);
    else
        MS_CHECK_MSG(log.find("could not be marked failed either") != std::string::npos && status == RunStatus::running,
                     log);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

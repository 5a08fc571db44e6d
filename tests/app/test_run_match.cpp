// Which run --resume continues, and what a refusal names when none matches: every parameter, the
// model, the precision and the input file count (an embed run once resumed in another precision
// mixed fp32 and bf16 vectors in one run); merge's comparison of shards leaves paths out.
#include <string>
#include <vector>

#include "app/run_match.h"
#include "tests/common/harness.h"

using namespace ms;

namespace {

RunRecord run(int64_t id, RunStatus status, const std::string& params, const std::string& precision = "fp32",
              const std::string& input = "genome.fa", const std::string& sha = "aaaaaaaaaaaaaaaa") {
    RunRecord r;
    r.id = id;
    r.status = status;
    r.info.params_json = params;
    r.info.model_sha256 = sha;
    r.info.precision = precision;
    r.info.inputs.push_back({input, "fasta", 10});
    return r;
}

const std::string kScore = R"({"chunk":4096,"command":"score","strand":"fwd"})";

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

MS_TEST(resume_takes_the_newest_run_of_the_same_job) {
    const std::vector<RunRecord> runs = {
        run(1, RunStatus::interrupted, kScore),
        run(2, RunStatus::finished, kScore),
        run(3, RunStatus::failed, kScore),
        run(4, RunStatus::interrupted, kScore, "bf16"),
        run(5, RunStatus::interrupted, kScore, "fp32", "other.fa"),
        run(6, RunStatus::interrupted, kScore, "fp32", "genome.fa", "bbbbbbbbbbbbbbbb")};
    const RunInfo job = run(0, RunStatus::running, kScore).info;
    const ResumeMatch m = find_resume_match(runs, job);
    MS_CHECK_EQ(m.unfinished, int64_t(3));
    MS_CHECK_EQ(m.finished, int64_t(2));
    RunInfo bf16 = job;
    bf16.precision = "bf16";
    MS_CHECK_EQ(find_resume_match(runs, bf16).unfinished, int64_t(4));
    MS_CHECK_EQ(find_resume_match(runs, bf16).finished, int64_t(0));
    // A finished run newer than the unfinished one (the job was run again without --resume): there
    // is nothing to resume (reviving run 1 left two finished runs, which merge refuses).
    const ResumeMatch later =
        find_resume_match({run(1, RunStatus::interrupted, kScore), run(2, RunStatus::finished, kScore)}, job);
    MS_CHECK_EQ(later.unfinished, int64_t(0));
    MS_CHECK_EQ(later.finished, int64_t(2));
    // A run of the previous version recorded its input as typed (relative): resumed from another
    // folder, the same file name and size are the same input; another size is not.
    RunRecord old = run(4, RunStatus::interrupted, kScore, "fp32", "data/genome.fa");
    RunInfo elsewhere = job;
    elsewhere.inputs[0].path = "/somewhere/else/data/genome.fa";
    MS_CHECK_EQ(find_resume_match({old}, elsewhere).unfinished, int64_t(4));
    elsewhere.inputs[0].bytes = 11;
    MS_CHECK_EQ(find_resume_match({old}, elsewhere).unfinished, int64_t(0));
    // Parameters that are not a JSON object (a damaged database) neither match nor throw.
    MS_CHECK_EQ(run_command(run(5, RunStatus::finished, kScore).info), std::string("score"));
    MS_CHECK_EQ(run_command(run(6, RunStatus::finished, "[1, 2]").info), std::string());
    MS_CHECK_EQ(run_command(run(7, RunStatus::finished, R"({"command": 3})").info), std::string());
    MS_CHECK_EQ(resume_mismatch({run(3, RunStatus::interrupted, "[1, 2]")}, job), std::string());
}

MS_TEST(a_refused_resume_names_what_differs) {
    const RunInfo job = run(0, RunStatus::running, kScore, "bf16").info;
    // Only the precision (a run begun when fp32 was the GPU's default): the option that resumes it.
    std::string why = resume_mismatch({run(7, RunStatus::interrupted, kScore, "fp32")}, job);
    MS_CHECK_MSG(has(why, "unfinished run 7 differs") && has(why, "precision: fp32 vs bf16") &&
                     has(why, "give --precision fp32 to resume it"),
                 why);
    // Parameters, model and input, each named; no precision hint when more than it differs.
    const std::string other = R"({"chunk":8192,"command":"score","strand":"fwd"})";
    why = resume_mismatch({run(8, RunStatus::running, other, "bf16", "old.fa", "cccccccccccccccc")}, job);
    MS_CHECK_MSG(has(why, "chunk: 8192 vs 4096") && has(why, "model: SHA-256 cccccccccccc… vs aaaaaaaaaaaa…") &&
                     has(why, "input: 'old.fa' vs 'genome.fa'") && !has(why, "--precision"),
                 why);
    // A finished run is named where no unfinished one is (a database of another analysis); the
    // unfinished one first; runs of other commands never.
    why = resume_mismatch({run(9, RunStatus::finished, other)}, job);
    MS_CHECK_MSG(has(why, "; finished run 9 differs (run 9 vs this job): chunk: 8192 vs 4096"), why);
    why = resume_mismatch({run(11, RunStatus::interrupted, other), run(12, RunStatus::finished, other)}, job);
    MS_CHECK_MSG(has(why, "; unfinished run 11 differs"), why);
    MS_CHECK_EQ(resume_mismatch({run(10, RunStatus::interrupted, R"({"command":"embed"})")}, job), std::string());
    MS_CHECK_EQ(resume_mismatch({}, job), std::string());
}

MS_TEST(differing_params_leaves_out_ignored_keys) {
    const RunInfo a =
        run(1, RunStatus::finished, R"({"command":"score","fasta":"/a/g.fa","shard":"1/2","chunk":1})").info;
    const RunInfo b =
        run(2, RunStatus::finished, R"({"command":"score","fasta":"/b/g.fa","shard":"2/2","chunk":1})").info;
    MS_CHECK_EQ(differing_params(a, b, {"shard", "fasta"}), std::string());
    MS_CHECK_EQ(differing_params(a, b, {"shard"}), std::string(R"(fasta: "/a/g.fa" vs "/b/g.fa")"));
    RunInfo c = b;
    c.params_json = R"({"command":"score","fasta":"/b/g.fa","shard":"2/2"})";
    c.precision = "bf16";
    MS_CHECK_EQ(differing_params(a, c, {"shard", "fasta"}), std::string("chunk: 1 vs (none); precision: fp32 vs bf16"));
}

// Runs compare as their jobs mean them: regions whatever their thousands separators, and a run of
// the previous version (no input digests recorded) resumes by path and size as it did; two runs that
// both recorded digests must agree on them (found in review: the digests and region text had made
// every earlier run unresumable, or two spellings of a locus two analyses).
MS_TEST(runs_compare_as_their_jobs_mean_them) {
    const std::string typed = R"({"command":"score","regions":["chr1:1-300000"]})";
    const std::string commas = R"({"command":"score","regions":["chr1:1-300,000"]})";
    const std::string other = R"({"command":"score","regions":["chr1:1-300,001"]})";
    const RunInfo job = run(0, RunStatus::running, commas).info;
    MS_CHECK_EQ(find_resume_match({run(1, RunStatus::interrupted, typed)}, job).unfinished, int64_t(1));
    MS_CHECK_EQ(find_resume_match({run(1, RunStatus::interrupted, other)}, job).unfinished, int64_t(0));
    const std::string old = R"({"command":"embed","items":3,"window":1000})";
    const std::string now = R"({"command":"embed","input_sha256":"0123456789abcdef0123","items":3,"window":1000})";
    const std::string changed = R"({"command":"embed","input_sha256":"0123456789abcdef9999","items":3,"window":1000})";
    const RunInfo embed = run(0, RunStatus::running, now).info;
    MS_CHECK_EQ(find_resume_match({run(2, RunStatus::interrupted, old)}, embed).unfinished, int64_t(2));
    MS_CHECK_EQ(find_resume_match({run(3, RunStatus::interrupted, changed)}, embed).unfinished, int64_t(0));
    // Digests that differ past the 12 digits shown still differ.
    const std::string said = resume_mismatch({run(3, RunStatus::interrupted, changed)}, embed);
    MS_CHECK_MSG(has(said, "input_sha256: SHA-256 0123456789ab… vs SHA-256 0123456789ab… (the file's content changed)"),
                 said);
}

// --resume without --chunk continues a run with its own chunk (job_chunk): CPU runs begun before the
// CPU's default went from 65,536 to 2,016 resume as they began.
MS_TEST(resume_without_chunk_takes_the_unfinished_runs_own) {
    const std::string embed = R"({"chunk":150,"command":"embed"})";
    const RunInfo job = run(0, RunStatus::running, R"({"command":"score"})").info;
    MS_CHECK_EQ(unfinished_run_chunk({}, job), int64_t(0));
    // The newest unfinished run of the command on the input, whatever else it differs in.
    MS_CHECK_EQ(
        unfinished_run_chunk({run(1, RunStatus::interrupted, kScore),
                              run(2, RunStatus::failed, R"({"chunk":65536,"command":"score","strand":"both"})", "bf16"),
                              run(3, RunStatus::finished, R"({"chunk":100,"command":"score"})")},
                             job),
        int64_t(65536));
    // Finished runs, other commands and other inputs are not continued.
    MS_CHECK_EQ(unfinished_run_chunk({run(1, RunStatus::finished, kScore), run(2, RunStatus::interrupted, embed),
                                      run(3, RunStatus::interrupted, kScore, "fp32", "other.fa")},
                                     job),
                int64_t(0));
    // A chunk that is not a whole number (a damaged database) is none.
    MS_CHECK_EQ(unfinished_run_chunk({run(1, RunStatus::interrupted, R"({"chunk":"4096","command":"score"})")}, job),
                int64_t(0));
    MS_CHECK_EQ(unfinished_run_chunk({run(1, RunStatus::interrupted, "[1, 2]")}, job), int64_t(0));
    // find_resume_match takes a run of another chunk where the job leaves it to the run (--chunk auto).
    const RunInfo auto_job = run(0, RunStatus::running, R"({"chunk":2016,"command":"score","strand":"fwd"})").info;
    MS_CHECK_EQ(find_resume_match({run(1, RunStatus::interrupted, kScore)}, auto_job).unfinished, int64_t(0));
    MS_CHECK_EQ(find_resume_match({run(1, RunStatus::interrupted, kScore)}, auto_job, {"chunk"}).unfinished,
                int64_t(1));
    // An explicit --chunk that differs is refused with the one that resumes.
    const std::string said =
        resume_mismatch({run(1, RunStatus::interrupted, kScore)},
                        run(0, RunStatus::running, R"({"chunk":2048,"command":"score","strand":"fwd"})").info);
    MS_CHECK_MSG(has(said, "chunk: 4096 vs 2048 — give --chunk 4096, or no --chunk, to resume it"), said);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

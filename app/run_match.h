// Which stored run a job's --resume continues, what keeps any from matching, and the parameters in
// which two runs differ (also `merge`'s check that shards belong to one analysis).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "genomics/results_store.h"

namespace ms {

// The job that made a run ("score", "embed", …) as its parameters name it; "" where they do not (a
// damaged database: text that is not a JSON object, a command that is not a string).
std::string run_command(const RunInfo& info);

// "key: A vs B; …" for each parameter of the two runs (params JSON, precision) whose values differ,
// the keys in `ignored` left out.
std::string differing_params(const RunInfo& a, const RunInfo& b, const std::set<std::string>& ignored = {});

// The newest unfinished run with `info`'s parameters, model, precision and input file (0: none, or
// when a finished one of the same job is newer), and the newest finished one (a job submitted again
// after it finished has nothing to do). Parameters in `ignored` may differ.
struct ResumeMatch {
    int64_t unfinished = 0, finished = 0;
};
ResumeMatch find_resume_match(const std::vector<RunRecord>& runs, const RunInfo& info,
                              const std::set<std::string>& ignored = {});

// The chunk (params "chunk") recorded by the newest unfinished run of `info`'s command on its input,
// whatever its other parameters; 0 when there is none. --resume without --chunk continues a run
// with the chunk it began with (job_chunk): runs begun on the CPU before 2026-12-02 ran chunks of
// 65,536 positions, the CPU's default is 2,016 since.
int64_t unfinished_run_chunk(const std::vector<RunRecord>& runs, const RunInfo& info);

// Why no run matched, for the refusal: what the newest unfinished run of the same command (else its
// newest finished one) differs in, as "; unfinished run N differs (run N vs this job): …", with the
// option that resumes it where only the precision differs (--precision auto computes in bf16 on a
// GPU since 2026-11-30, where fp32 was the default) or only the chunk; "" when there is no run of
// the command.
std::string resume_mismatch(const std::vector<RunRecord>& runs, const RunInfo& info);

}  // namespace ms

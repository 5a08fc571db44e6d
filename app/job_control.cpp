#include "app/job_control.h"

#include <algorithm>
#include <cstdio>

#include "app/interrupt.h"
#include "app/job_common.h"

namespace ms {

double JobProgress::eta() const {
    const double r = rate();
    if (total < 0 || r <= 0) return -1;
    return double(total - done) / r;
}

std::string describe(const JobProgress& p) {
    char line[512];
    const std::string item = p.item.empty() ? std::string() : "  " + p.item;
    if (p.unit == "bases") {
        if (p.total >= 0)
            std::snprintf(line, sizeof line, "%s:%s  %.2f of %.2f Mbp (%.0f%%)  %.3f Mbp/s  ETA %.0f s", p.job.c_str(),
                          item.c_str(), p.done / 1e6, p.total / 1e6, p.total ? 100.0 * p.done / p.total : 100.0,
                          p.rate() / 1e6, std::max(0.0, p.eta()));
        else
            std::snprintf(line, sizeof line, "%s:%s  %.2f Mbp  %.3f Mbp/s", p.job.c_str(), item.c_str(), p.done / 1e6,
                          p.rate() / 1e6);
    } else if (p.total >= 0) {
        std::snprintf(line, sizeof line, "%s:%s  %lld of %lld %s (%.0f%%)  %.0f %s/s  ETA %.0f s", p.job.c_str(),
                      item.c_str(), static_cast<long long>(p.done), static_cast<long long>(p.total), p.unit.c_str(),
                      p.total ? 100.0 * p.done / p.total : 100.0, p.rate(), p.unit.c_str(), std::max(0.0, p.eta()));
    } else {
        std::snprintf(line, sizeof line, "%s:%s  %lld %s, %.0f %s/s", p.job.c_str(), item.c_str(),
                      static_cast<long long>(p.done), p.unit.c_str(), p.rate(), p.unit.c_str());
    }
    return line;
}

int run_cli_job(bool quiet, const std::function<Result<JobOutcome>(const JobControl&)>& job) {
    InterruptScope interrupt;
    ProgressLine line(quiet);
    JobControl control;
    control.cancel = &interrupted();
    control.on_progress = [&](const JobProgress& p) {
        if (line.due(p.last)) line.show(describe(p));
    };
    control.on_note = [&](const std::string& text) {
        if (quiet) return;
        line.end();
        std::fprintf(stderr, "%s\n", text.c_str());
    };
    const Result<JobOutcome> r = job(control);
    line.end();
    if (!r) return fail(r.error().message);
    if (!r->summary.empty()) std::fprintf(stderr, "%s\n", r->summary.c_str());
    if (!r->result.empty()) std::printf("%s\n", r->result.c_str());
    return r->status == RunStatus::interrupted ? 130 : 0;
}

}  // namespace ms

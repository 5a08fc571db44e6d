#include "app/mutagenesis_command.h"

#include <CLI/CLI.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/bundled_model.h"
#include "app/digests.h"
#include "app/effect_engine.h"
#include "app/export_output.h"
#include "app/job_common.h"
#include "app/run_lock.h"
#include "app/variant_effects.h"
#include "common/atomic_file.h"
#include "genomics/locus.h"
#include "genomics/results_store.h"

namespace ms {

namespace {

constexpr const char* kBases = "ACGT";
constexpr std::array<const char*, 4> kTracks{"ism_A", "ism_C", "ism_G", "ism_T"};

int base_index(char c) {
    switch (c) {
        case 'A':
        case 'a':
            return 0;
        case 'C':
        case 'c':
            return 1;
        case 'G':
        case 'g':
            return 2;
        case 'T':
        case 't':
            return 3;
        default:
            return -1;
    }
}

// SAM's M5 of a whole record, read in blocks (a chromosome need not be in memory at once).
Result<std::string> record_md5(const FastaFile& fa, const SequenceRecord& rec) {
    SequenceMd5 md5;
    for (int64_t b = 0; b < rec.length; b += int64_t(1) << 20) {
        auto bases = fa.fetch(rec.name, b, std::min(rec.length, b + (int64_t(1) << 20)));
        if (!bases) return bases.error();
        md5.update(*bases);
    }
    return md5.hex();
}

}  // namespace

void add_mutagenesis_options(CLI::App* sub, MutagenesisOptions& o) {
    add_model_option(sub, o.model);
    sub->add_option("--fasta", o.fasta, "reference FASTA")->required();
    sub->add_option("--region", o.region, "locus to mutate, e.g. chr1:10,001-12,000 (at most 10 kbp)")->required();
    sub->add_option("--db", o.db,
                    "results database: the matrix becomes the tracks ism_A ism_C ism_G ism_T of a new run")
        ->required();
    refuse_empty_path(
        sub->add_option("--out", o.tsv, "also write the matrix as TSV (sequence, pos (1-based), ref, alt, delta_ll)"));
    sub->add_option("--context", o.context, "upstream bases (at least; up to 2x, by position bins) before each site")
        ->capture_default_str()
        ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
    sub->add_option("--downstream", o.downstream, "reference bases scored after each changed base")
        ->capture_default_str()
        ->check(CLI::Range(int64_t(0), int64_t(1) << 20));
    sub->add_option("--batch", o.batch, "allele suffixes run side by side per forward call")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    add_engine_options(sub, o);
}

int cmd_mutagenesis(const MutagenesisOptions& o, const std::string& command) {
    return run_cli_job(o.quiet, [&](const JobControl& control) { return run_mutagenesis(o, command, control); });
}

Result<JobOutcome> run_mutagenesis(const MutagenesisOptions& o, const std::string& command, const JobControl& control) {
    const auto t0 = std::chrono::steady_clock::now();
    MS_TRY(refuse_overwriting_inputs(o.tsv, {o.fasta, o.db, o.model}));
    auto fasta = FastaFile::open(o.fasta);
    if (!fasta) return make_error(fasta.error().message);
    auto region = parse_locus(o.region, ContigList(fasta->records(), fasta->empty_records()));
    if (!region) return make_error(cat("--region '", o.region, "': ", region.error().message));
    if (region->length() > kMaxMutagenesisRegion)
        return make_error(cat("--region '", o.region, "' is ", region->length(), " bases; mutagenesis takes at most ",
                        kMaxMutagenesisRegion, " (3 alleles a position, each with its own downstream window)"));
    // The database is checked first — one that cannot be written (a newer schema, a missing folder)
    // was found only after the scoring, minutes to half an hour on a CPU, with --out already
    // written — but made or changed only after it: a stopped scan leaves no database behind.
    MS_TRY(ResultsStore::check_writable(o.db));
    // --out likewise: a missing or read-only folder was found only after the scoring, and the
    // scan lost.
    auto opened = open_output_now(o.tsv);
    if (!opened) return make_error(opened.error().message);
    std::optional<AtomicFile> tsv = std::move(*opened);
    auto engine = open_effect_engine(o.model, o, o.batch);
    if (!engine) return make_error(engine.error().message);
    for (const std::string& n : engine->notes) control.note(n);
    auto sha = model_sha256(o.model);
    if (!sha) return make_error(sha.error().message);
    auto bases = fasta->fetch(region->contig, region->begin, region->end);
    if (!bases) return make_error(bases.error().message);

    // One site per A/C/G/T position, its three other bases as ALTs.
    std::vector<EffectSite> sites;
    for (int64_t i = 0; i < region->length(); ++i) {
        const char ref = (*bases)[size_t(i)];
        const int b = base_index(ref);
        if (b < 0) continue;
        EffectSite s{region->begin + i, std::string(1, kBases[b]), {}};
        for (int a = 0; a < 4; ++a)
            if (a != b) s.alts.emplace_back(1, kBases[a]);
        sites.push_back(std::move(s));
    }
    if (control.cancelled()) return JobOutcome{0, RunStatus::interrupted, o.db, "mutagenesis: cancelled before it started", {}};
    control.progress(JobProgress{"mutagenesis", format_locus(*region), 0, int64_t(sites.size()), "sites", 0.0, false});
    // Scored in groups of about a quarter of a second, the stop button asked after each: one
    // upstream bin holds up to --context sites, minutes of work on a CPU in one call otherwise.
    EffectSteps steps;
    steps.keep_going = [&](int64_t done) {
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        control.progress(JobProgress{"mutagenesis", format_locus(*region), done, int64_t(sites.size()), "sites", s, false});
        return !control.cancelled();
    };
    auto scored = score_effects(*engine->scorer, *fasta, region->contig, sites, EffectWindow{o.context, o.downstream},
                                false, steps);
    if (!scored) return make_error(scored.error().message);
    if (!*scored) return JobOutcome{0, RunStatus::interrupted, o.db, "mutagenesis: cancelled; nothing written", {}};
    const auto& llr = *scored;

    // [4, L]: the ΔLL of each base at each position; 0 for the reference base, NaN off A/C/G/T.
    const size_t L = size_t(region->length());
    std::vector<std::vector<float>> matrix(4, std::vector<float>(L, std::numeric_limits<float>::quiet_NaN()));
    for (size_t k = 0; k < sites.size(); ++k) {
        const size_t i = size_t(sites[k].pos - region->begin);
        matrix[size_t(base_index(sites[k].ref[0]))][i] = 0.0f;
        for (size_t j = 0; j < 3; ++j) matrix[size_t(base_index(sites[k].alts[j][0]))][i] = float((*llr)[k][j]);
    }

    if (tsv) {
        std::string text = "sequence\tpos\tref\talt\tdelta_ll\n";
        // Full precision (the shortest text that reads back as the same double), as documented:
        // %.6g lost digits the database's float16 tracks keep.
        for (size_t k = 0; k < sites.size(); ++k)
            for (size_t j = 0; j < 3; ++j)
                text += cat(region->contig, '\t', sites[k].pos + 1, '\t', sites[k].ref[0], '\t', sites[k].alts[j][0],
                            '\t', format_number(double((*llr)[k][j])), '\n');
        if (auto w = tsv->write(text.data(), text.size()); !w) return make_error(w.error().message);
        if (auto c = tsv->commit(); !c) return make_error(c.error().message);
    }

    // A stop asked for after the last group keeps the database untouched as well.
    if (control.cancelled()) return JobOutcome{0, RunStatus::interrupted, o.db, "mutagenesis: cancelled; nothing written", {}};
    auto store = ResultsStore::open(o.db);
    if (!store) return make_error(store.error().message);
    const nlohmann::json params = {{"command", "mutagenesis"},        {"fasta", absolute_path(o.fasta)},
                                   {"region", format_locus(*region)}, {"context", o.context},
                                   {"downstream", o.downstream},      {"log", "log2"}};
    const RunInfo info = job_run_info(command, params.dump(), o.model, *sha, engine->device,
                                      precision_name(engine->precision), o.fasta, "fasta");
    std::optional<RunLock> run_lock;  // held while this job writes the run (delete-run refuses it)
    auto run = begin_locked_run(*store, o.db, info, run_lock);
    if (!run) return make_error(run.error().message);
    auto failed = [&](const std::string& message) -> Error {
        (void)store->finish_run(*run, RunStatus::failed);
        return make_error(message);
    };
    const SequenceRecord* rec = fasta->find(region->contig);
    auto md5 = record_md5(*fasta, *rec);
    if (!md5) return failed(md5.error().message);
    auto seq = store->add_sequence(*run, SequenceInfo{rec->name, rec->length, *md5, o.fasta});
    if (!seq) return failed(seq.error().message);
    for (int b = 0; b < 4; ++b) {
        // float16: ΔLL keeps 3 significant digits, its relative precision (2^-11).
        if (auto t = store->create_track(*run, kTracks[size_t(b)], TrackEncoding::float16()); !t)
            return failed(t.error().message);
        if (auto w =
                store->write_track(*run, kTracks[size_t(b)], *seq, region->begin, matrix[size_t(b)].data(), int64_t(L));
            !w)
            return failed(w.error().message);
    }
    if (auto r = store->mark_sequence_complete(*seq); !r) return failed(r.error().message);
    if (auto r = store->finish_run(*run, RunStatus::finished); !r) return unmarked_finish(*run, o.db, r.error(), false);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    JobOutcome outcome{*run, RunStatus::finished, o.db, {}, {}};
    if (!o.quiet) {
        char secs[32];
        std::snprintf(secs, sizeof secs, "%.2f", s);
        outcome.summary = cat("mutagenesis: ", format_locus(*region), ", ", sites.size(), " positions x 3 alleles in ", secs,
                              " s (", engine->scorer->positions_run(), " positions run) on ", engine->device);
    }
    // Said even with --quiet: the .db alone would lack the run (see fold_log_note).
    if (const std::string folded = fold_log_note(*store, o.db); !folded.empty())
        outcome.summary += outcome.summary.empty() ? folded.substr(2) : folded;
    outcome.result = cat("results: run ", *run, " in ", o.db, " (tracks ism_A ism_C ism_G ism_T)");
    return outcome;
}

}  // namespace ms

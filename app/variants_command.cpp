#include "app/variants_command.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "app/bundled_model.h"
#include "app/digests.h"
#include "app/effect_engine.h"
#include "app/job_common.h"
#include "app/read_names.h"
#include "app/run_lock.h"
#include "app/variant_effects.h"
#include "common/ascii.h"
#include "common/atomic_file.h"
#include "common/version.h"
#include "genomics/results_store.h"
#include "genomics/vcf.h"
#include "genomics/vcf_annotator.h"

namespace ms {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
// Records scored together: sites in one upstream bin share a prefix run within a batch.
constexpr size_t kRecordsPerBatch = 512;

std::vector<VcfInfoField> info_fields(const VariantsOptions& o) {
    const std::string what =
        cat("log2-likelihood ratio ALT vs REF under the model: sum of log2 P(base | bases before it) over ",
            "the allele and ", o.downstream, " downstream reference bases, given at least ", o.context,
            " upstream bases; ALT window minus REF window");
    std::vector<VcfInfoField> f{
        {"MS_LLR", "A", "Float",
         o.strand == "both" ? "Mean over both strands of the " + what : "Forward-strand " + what},
        {"MS_REF_MISMATCH", "0", "Flag", "REF differs from the reference FASTA; the record was not scored"}};
    f[0].description += "; missing for symbolic ALTs, ALTs equal to REF and alleles with N or other ambiguity codes";
    if (o.strand == "both") {
        f.push_back({"MS_LLR_FWD", "A", "Float", "MS_LLR on the forward strand"});
        f.push_back({"MS_LLR_REV", "A", "Float", "MS_LLR on the reverse strand (the window reverse-complemented)"});
    }
    return f;
}

struct Counts {
    int64_t records = 0, scored_alts = 0, unscorable_alts = 0, mismatches = 0, duplicates = 0;
};

// Repeated records of one variant (same site, REF and ALT, case aside) are one database row with
// the first record's ID, wherever the repeats are in the file (an unsorted VCF too: adjacent ones
// only were found, and the row took the last ID). Every variant is remembered as a 64-bit hash
// (ReadNames' table, ~16 bytes a variant); a hash seen before is only a candidate, confirmed
// against the variants not yet written and those in the store, so a collision never drops one.
class VariantRepeats {
public:
    // Whether `v` (upper-cased) was seen before: among `pending` (not yet written) or in `run`.
    Result<bool> seen(const Variant& v, const std::vector<Variant>& pending, const ResultsStore* store, int64_t run) {
        if (hashes_.occurrence(cat(v.chrom, '\t', v.pos, '\t', v.ref, '\t', v.alt)) == 1) return false;
        for (const Variant& p : pending)
            if (p.pos == v.pos && p.chrom == v.chrom && p.ref == v.ref && p.alt == v.alt) return true;
        if (!store) return false;
        VariantQuery q;
        q.run_id = run;
        q.chrom = v.chrom;
        q.first_pos = q.last_pos = v.pos;
        q.limit = 1 << 20;
        std::vector<StoredVariant> there;
        MS_ASSIGN(there, store->query_variants(q));
        return std::any_of(there.begin(), there.end(),
                           [&](const StoredVariant& s) { return s.v.ref == v.ref && s.v.alt == v.alt; });
    }

private:
    ReadNames hashes_;
};

// Why a contig may be missing: the same chromosome under the other naming convention ("chr1" in
// UCSC files, "1" in Ensembl's), or another genome.
std::string other_spelling(const std::string& contig, const FastaFile& fasta) {
    std::vector<std::string> names;
    if (contig.starts_with("chr")) {
        names.push_back(contig.substr(3));
        if (contig == "chrM") names.push_back("MT");
    } else {
        names.push_back("chr" + contig);
        if (contig == "MT") names.push_back("chrM");
    }
    for (const std::string& n : names)
        if (fasta.find(n))
            return cat("the FASTA calls it '", n, "': the VCF and the FASTA name chromosomes differently; rename the ",
                       "VCF's contigs, e.g. with `bcftools annotate --rename-chrs`");
    return "is the VCF of another genome?";
}

}  // namespace

void add_variants_options(CLI::App* sub, VariantsOptions& o) {
    add_model_option(sub, o.model);
    sub->add_option("--fasta", o.fasta, "reference FASTA the VCF was called against")->required();
    sub->add_option("--vcf", o.vcf, "input VCF/BCF (plain, bgzip or BCF), read in file order")->required();
    refuse_empty_path(
        sub->add_option("--out", o.out, "output VCF: the input with INFO/MS_LLR added; .gz: bgzip + tabix index")
            ->required());
    sub->add_option("--db", o.db, "also store the scores as a run of this results database");
    sub->add_option("--context", o.context, "upstream bases (at least; up to 2x, by position bins) before each site")
        ->capture_default_str()
        ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
    sub->add_option("--downstream", o.downstream, "reference bases scored after each allele")
        ->capture_default_str()
        ->check(CLI::Range(int64_t(0), int64_t(1) << 20));
    sub->add_option("--strand", o.strand, "fwd, or both: also the reverse complement, MS_LLR the strand mean")
        ->capture_default_str()
        ->check(CLI::IsMember({"fwd", "both"}));
    sub->add_option("--batch", o.batch, "allele suffixes run side by side per forward call")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    add_engine_options(sub, o);
}

int cmd_variants(const VariantsOptions& o, const std::string& command) {
    return run_cli_job(o.quiet, [&](const JobControl& control) { return run_variants(o, command, control); });
}

Result<JobOutcome> run_variants(const VariantsOptions& o, const std::string& command, const JobControl& control) {
    const auto t0 = std::chrono::steady_clock::now();
    MS_TRY(refuse_overwriting_inputs(o.out, {o.vcf, o.fasta, o.db, o.model}));
    // The output is VCF text (bgzip with .gz); a .bcf name over text would mislead every reader.
    if (o.out.ends_with(".bcf"))
        return make_error("--out '", o.out, "': variants writes VCF (.vcf, or .vcf.gz with a tabix index), not BCF; ",
                          "convert it afterwards with `bcftools view -Ob`");
    auto fasta = FastaFile::open(o.fasta);
    if (!fasta) return make_error(fasta.error().message);
    auto reader = VcfReader::open(o.vcf);
    if (!reader) return make_error(reader.error().message);
    reader->check_ref_against(&*fasta);
    auto engine = open_effect_engine(o.model, o, o.batch);
    if (!engine) return make_error(engine.error().message);
    for (const std::string& n : engine->notes) control.note(n);
    auto sha = model_sha256(o.model);
    if (!sha) return make_error(sha.error().message);
    const bool both = o.strand == "both";
    const EffectWindow window{o.context, o.downstream};

    const std::string model_name =
        std::filesystem::path(o.model).lexically_normal().filename().empty()
            ? std::filesystem::path(o.model).lexically_normal().parent_path().filename().string()
            : std::filesystem::path(o.model).lexically_normal().filename().string();
    const std::vector<std::string> meta{
        cat("##mambascope_version=", build::version, " (", build::git_revision, ")"),
        cat("##mambascope_model=", model_name),
        cat("##mambascope_model_sha256=", *sha),
        cat("##mambascope_variants=context=", o.context, ";downstream=", o.downstream, ";strand=", o.strand,
            ";log=log2"),
        cat("##mambascope_engine=device=", engine->device, ";precision=", precision_name(engine->precision)),
        cat("##mambascope_command=", command)};
    // Every field a variants run may write, whatever its options: an earlier annotation's go.
    auto out = VcfAnnotator::create(o.vcf, o.out, info_fields(o), meta, fasta->records(),
                                    {"MS_LLR", "MS_LLR_FWD", "MS_LLR_REV", "MS_REF_MISMATCH"});
    if (!out) return make_error(out.error().message);

    std::optional<ResultsStore> store;
    int64_t run = 0;
    std::optional<RunLock> run_lock;  // held while this job writes the run (delete-run refuses it)
    if (!o.db.empty()) {
        auto s = ResultsStore::open(o.db);
        if (!s) return make_error(s.error().message);
        store = std::move(*s);
        const nlohmann::json params = {
            {"command", "variants"}, {"fasta", absolute_path(o.fasta)}, {"vcf", absolute_path(o.vcf)},
            {"context", o.context},  {"downstream", o.downstream},      {"strand", o.strand},
            {"log", "log2"}};
        RunInfo info = job_run_info(command, params.dump(), o.model, *sha, engine->device,
                                    precision_name(engine->precision), o.vcf, "vcf");
        std::error_code ec;
        const auto fa_bytes = std::filesystem::file_size(o.fasta, ec);
        info.inputs.push_back({absolute_path(o.fasta), "fasta", ec ? -1 : int64_t(fa_bytes)});
        auto r = begin_locked_run(*store, o.db, info, run_lock);
        if (!r) return make_error(r.error().message);
        run = *r;
        // The reference's contigs, so the run's variants can be placed: `export --variants
        // --region` checks a locus against them and the VCF export's ##contig lines carry their
        // lengths. (No MD5: reading a whole genome for it would cost more than the scoring.)
        for (const SequenceRecord& rec : fasta->records())
            if (auto a = store->add_sequence(run, SequenceInfo{rec.name, rec.length, "", o.fasta}); !a) {
                (void)store->finish_run(run, RunStatus::failed);
                return make_error(a.error().message);
            }
    }
    auto failed = [&](const std::string& message) -> Error {
        if (store) (void)store->finish_run(run, RunStatus::failed);
        return make_error(message);
    };

    Counts counts;
    int64_t records_written = 0;  // records of the batches written (scored, stored, in the VCF)
    VariantRepeats repeats;
    std::vector<VariantRecord> batch;
    // Scores a batch of records (one contig) on each strand asked for, then writes them in order.
    auto flush = [&]() -> Result<void> {
        std::vector<EffectSite> sites;
        std::vector<size_t> site_of(batch.size(), SIZE_MAX);
        // A site repeated in the VCF (the same REF and ALTs, in any case) is scored once and its
        // records share the scores: scored in different rows of a batch, they could differ in the
        // last digit, and a user comparing the records would see two scores for one variant.
        std::map<std::string, size_t> scored_site;
        for (size_t i = 0; i < batch.size(); ++i) {
            const VariantRecord& r = batch[i];
            if (r.ref_check != RefCheck::match || !scorable_allele(r.ref)) continue;
            EffectSite s{r.pos, r.ref, {}};
            std::string key = cat(r.pos, ' ', ascii_upper(r.ref));
            for (const std::string& alt : r.alts)
                if (scorable_allele(alt) && !same_ignoring_case(alt, r.ref)) {
                    s.alts.push_back(alt);
                    key += cat(' ', ascii_upper(alt));
                }
            if (s.alts.empty()) continue;
            const auto [it, fresh] = scored_site.emplace(key, sites.size());
            site_of[i] = it->second;
            if (fresh) sites.push_back(std::move(s));
        }
        std::vector<std::vector<double>> fwd, rev;
        // A stop is honoured between upstream bins (a batch of 512 sites can take minutes on a CPU,
        // and a Ctrl-C during a VCF's only batch was lost: the job finished and exited 0).
        EffectSteps steps;
        steps.whole_bins = true;
        steps.keep_going = [&](int64_t) { return !control.cancelled(); };
        for (const bool reverse : {false, true}) {
            if (sites.empty() || (reverse && !both)) continue;
            std::optional<std::vector<std::vector<double>>> got;
            MS_ASSIGN(got, score_effects(*engine->scorer, *fasta, batch.front().contig, sites, window, reverse, steps));
            if (!got) return {};  // stopped: the caller sees control.cancelled()
            (reverse ? rev : fwd) = std::move(*got);
        }
        if (control.cancelled()) return {};
        std::vector<Variant> stored;
        for (size_t i = 0; i < batch.size(); ++i) {
            const VariantRecord& r = batch[i];
            std::vector<VcfInfoValue> info;
            if (r.ref_check == RefCheck::mismatch) {
                info.push_back({"MS_REF_MISMATCH", {}, true});
                ++counts.mismatches;
            } else if (!r.alts.empty()) {
                VcfInfoValue llr{"MS_LLR", {}, false}, f{"MS_LLR_FWD", {}, false}, b{"MS_LLR_REV", {}, false};
                size_t j = 0;  // index among the scorable ALTs
                for (const std::string& alt : r.alts) {
                    // An ALT equal to REF is no change (it was scored 0 and stored as a variant).
                    if (site_of[i] == SIZE_MAX || !scorable_allele(alt) || same_ignoring_case(alt, r.ref)) {
                        for (VcfInfoValue* v : {&llr, &f, &b}) v->values.push_back(kNaN);
                        ++counts.unscorable_alts;
                        continue;
                    }
                    const double vf = fwd[site_of[i]][j], vr = both ? rev[site_of[i]][j] : 0.0;
                    const double mean = both ? 0.5 * (vf + vr) : vf;
                    llr.values.push_back(float(mean));
                    f.values.push_back(float(vf));
                    b.values.push_back(float(vr));
                    ++counts.scored_alts;
                    ++j;
                    if (!store) continue;  // rows only for the database
                    // Alleles upper-cased: soft-masked (lower-case) and plain spellings are one variant.
                    Variant v{r.contig,       r.pos + 1, ascii_upper(r.ref), ascii_upper(alt), r.id == "." ? "" : r.id,
                              {{"llr", mean}}};
                    bool repeat = false;
                    MS_ASSIGN(repeat, repeats.seen(v, stored, &*store, run));
                    if (repeat) {
                        ++counts.duplicates;
                        continue;
                    }
                    if (both) v.scores.insert(v.scores.end(), {{"llr_fwd", vf}, {"llr_rev", vr}});
                    stored.push_back(std::move(v));
                }
                info.push_back(std::move(llr));
                if (both) info.push_back(std::move(f)), info.push_back(std::move(b));
            }
            MS_TRY(out->write_next(r, info));
        }
        if (store && !stored.empty()) MS_TRY(store->write_variants(run, stored));
        records_written += int64_t(batch.size());
        batch.clear();
        return {};
    };

    VariantRecord rec;
    JobOutcome outcome{run, RunStatus::finished, o.db, {}, {}};
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    auto interrupted = [&] {
        // The output VCF is never committed half-written; the scores of the batches written so far
        // stay in the run. A stop inside a VCF's first batch (up to 512 records: a small VCF's
        // only one) had left an empty run "interrupted after N records", N the records read, not
        // scored (found in review); with nothing stored, the run goes too.
        const int64_t written = records_written, pending = int64_t(batch.size());
        outcome.status = RunStatus::interrupted;
        std::string db_note;
        if (store && written == 0 && store->delete_run(run)) {
            outcome.run_id = 0;
            db_note = cat("; nothing was stored (run ", run, " removed from '", o.db, "')");
        } else if (store) {
            const Result<void> marked = store->finish_run(run, RunStatus::interrupted);
            db_note = cat("; the scores of the first ", plural(written, "record"), " are stored in run ", run, " of '",
                          o.db, "', ",
                          marked ? std::string("marked interrupted")
                                 : cat("which could not be marked interrupted (", marked.error().message,
                                       ") and shows as running"),
                          " (variants has no --resume: run it again for the rest)");
        }
        outcome.summary = cat("variants: interrupted ",
                              pending > 0   ? cat("while scoring record(s) ", written + 1, "–", written + pending)
                              : written > 0 ? cat("after record ", written)
                                            : std::string("before its first record"),
                              " of the VCF; no output VCF written", db_note);
        return outcome;
    };
    for (;;) {
        if (control.cancelled()) return interrupted();
        auto more = reader->next(rec);
        if (!more) return failed(more.error().message);
        if (*more) {
            ++counts.records;
            if (rec.ref_check == RefCheck::contig_not_in_reference)
                return failed(cat("VCF '", o.vcf, "': the record at ", rec.contig, ":", rec.pos + 1, " is on contig '",
                                  rec.contig, "', which FASTA '", o.fasta, "' does not have (",
                                  other_spelling(rec.contig, *fasta), ")"));
            if (rec.ref_check == RefCheck::past_reference_end)
                return failed(cat("VCF '", o.vcf, "': the record at ", rec.contig, ":", rec.pos + 1,
                                  " has a REF running past the end of '", rec.contig, "' in FASTA '", o.fasta,
                                  "' (is the VCF of another genome?)"));
        }
        if (!batch.empty() && (!*more || batch.size() == kRecordsPerBatch || rec.contig != batch.front().contig)) {
            if (auto r = flush(); !r) return failed(r.error().message);
            if (control.cancelled()) return interrupted();
            control.progress(JobProgress{"variants", rec.contig, counts.records, -1, "records", seconds(), !*more});
        }
        if (!*more) break;
        batch.push_back(rec);
    }
    if (auto r = out->commit(); !r) return failed(r.error().message);
    if (store)
        if (auto r = store->finish_run(run, RunStatus::finished); !r)
            return unmarked_finish(run, o.db, r.error(), false);
    const double s = seconds();
    if (!o.quiet) {
        char rate[32];
        std::snprintf(rate, sizeof rate, "%.1f", s > 0 ? counts.scored_alts / s : 0.0);
        outcome.summary =
            cat("variants: ", plural(counts.records, "record"), ", ", counts.scored_alts, " ALTs scored (", rate,
                " /s), ", counts.unscorable_alts, " not scorable (symbolic, equal to REF, or N or another ambiguity ",
                "code in REF or ALT), ", counts.mismatches, " REF mismatches, ", engine->scorer->positions_run(),
                " positions run, on ", engine->device);
        if (store && counts.duplicates)
            outcome.summary +=
                cat("; ", counts.duplicates, " repeated record(s) of a site (same REF and ALT) stored once ",
                    "in the database, with the first one's ID (the VCF keeps them all)");
    }
    // Shown even with --quiet: the scores are probably not what was meant.
    if (counts.mismatches > 0 && counts.mismatches * 10 >= counts.records) {
        const std::string warning =
            cat("warning: ", counts.mismatches, " of ", counts.records, " records have a REF that differs from FASTA '",
                o.fasta, "' and were not scored: is the VCF of another genome or assembly version?");
        outcome.summary += outcome.summary.empty() ? warning : "\n" + warning;
    }
    if (store)  // said even with --quiet: the .db alone would lack the run (see fold_log_note)
        if (const std::string folded = fold_log_note(*store, o.db); !folded.empty())
            outcome.summary += outcome.summary.empty() ? folded.substr(2) : folded;
    outcome.result = cat("variants: ", o.out, store ? cat(" and run ", run, " in ", o.db) : std::string());
    return outcome;
}

}  // namespace ms

#include "app/export_command.h"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

#include "app/export_embeddings.h"
#include "app/export_output.h"
#include "app/export_source.h"
#include "app/export_tables.h"
#include "app/export_tracks.h"
#include "app/interrupt.h"
#include "app/job_common.h"
#include "common/ascii.h"
#include "common/atomic_file.h"

namespace ms {

void add_export_options(CLI::App* sub, ExportOptions& o) {
    sub->add_option("--db", o.db, "results database to read")->required();
    sub->add_option("--run", o.run, "run to export (needed when the database holds several)");
    auto* track = sub->add_option("--track", o.track, "a per-position track (prob_A, loglik, entropy ...)");
    auto* pred = sub->add_flag("--predictions", o.predictions, "the run's classifier predictions");
    auto* emb = sub->add_flag("--embeddings", o.embeddings, "the run's embeddings");
    auto* var = sub->add_flag("--variants", o.variants, "the run's scored variants");
    track->excludes(pred, emb, var);
    pred->excludes(emb, var);
    emb->excludes(var);
    sub->add_option("--format", o.format,
                    "bigwig, bedgraph or bed (a track), tsv or csv (predictions, variants), npy (embeddings), vcf "
                    "(variants); default: from --out's extension");
    refuse_empty_path(
        sub->add_option("--out", o.out, "file to write (.gz: bgzip, indexed for bedGraph, BED and VCF)")->required());
    refuse_empty_locus(sub->add_option("--region", o.region, "only this locus (chr1:1,000-2,000, 1-based inclusive)"));
    sub->add_flag("--merge", o.merge, "bedGraph: one line per run of equal neighbouring values");
    sub->add_flag("--bgzip", o.bgzip, "bedGraph/BED: compress with bgzip and write a tabix index");
    auto* above = sub->add_option("--above", o.above, "BED: call regions where the track is >= this");
    auto* below = sub->add_option("--below", o.below, "BED: call regions where the track is <= this");
    above->excludes(below);
    sub->add_option("--enter", o.enter, "BED: level that opens a region (default: the --above/--below threshold)");
    sub->add_option("--exit", o.exit, "BED: level that closes it again (hysteresis; default: the threshold)");
    sub->add_option("--min-length", o.min_length, "BED: drop regions shorter than this many bases")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 40));
    sub->add_option("--name", o.name, "BED: region names are NAME1, NAME2 ... (default: TRACK_)");
}

namespace {

// BGZF by its name, in any case (OUT.VCF.GZ was written as plain text): .gz or .bgz, as `variants` reads it.
bool compressed_name(const std::string& out) {
    const std::string name = ascii_lower(out);
    return name.ends_with(".gz") || name.ends_with(".bgz");
}

// The format a file name names (after a .gz/.bgz), if any.
std::optional<std::string> format_of_name(const std::string& out) {
    std::string name = ascii_lower(out);
    for (const char* z : {".gz", ".bgz"})
        if (name.ends_with(z)) name.resize(name.size() - std::strlen(z));
    const std::pair<const char*, const char*> by_ext[] = {
        {".bw", "bigwig"}, {".bigwig", "bigwig"}, {".bedgraph", "bedgraph"}, {".bg", "bedgraph"}, {".bdg", "bedgraph"},
        {".bed", "bed"},   {".tsv", "tsv"},       {".csv", "csv"},           {".npy", "npy"},     {".vcf", "vcf"}};
    for (const auto& [ext, f] : by_ext)
        if (name.ends_with(ext)) return std::string(f);
    return std::nullopt;
}

Result<std::string> resolve_format(const ExportOptions& o) {
    if (!o.format.empty()) {
        // In any case: the formats' own spellings are bigWig and bedGraph.
        const std::string word = ascii_lower(o.format);
        for (const char* f : {"bigwig", "bedgraph", "bed", "tsv", "csv", "npy", "vcf"}) {
            if (word != f) continue;
            // A binary file named as text, or text named as a binary format, misleads every program
            // that opens it by its extension (a bedGraph named .bw was written; genome browsers then
            // fail on it). Text named as other text (a bedGraph called .bed) is a common convention.
            auto binary = [](const std::string& format) { return format == "bigwig" || format == "npy"; };
            if (const auto named = format_of_name(o.out); named && *named != word && (binary(*named) || binary(word)))
                return make_error("--out '", o.out, "' is named as ", *named, " but --format is ", word,
                                  ": name the file for its format, or leave --format out to write ", *named);
            return word;
        }
        return make_error("--format '", o.format, "' is not one of bigwig, bedgraph, bed, tsv, csv, npy, vcf");
    }
    if (const auto named = format_of_name(o.out)) return *named;
    return make_error(
        "--format is needed: '", o.out,
        "' has no extension that names one (.bw/.bigwig, .bedgraph/.bg/.bdg, .bed, .tsv, .csv, .npy, .vcf)");
}

}  // namespace

Result<std::string> run_export(const ExportOptions& o) {
    const int whats = int(!o.track.empty()) + int(o.predictions) + int(o.embeddings) + int(o.variants);
    if (whats != 1)
        return make_error("say what to export: one of --track NAME, --predictions, --embeddings, --variants");
    MS_TRY(refuse_overwriting_inputs(o.out, {o.db}));
    std::string format;
    MS_ASSIGN(format, resolve_format(o));
    const bool gz_name = compressed_name(o.out);
    const char* what = !o.track.empty() ? "--track"
                       : o.predictions  ? "--predictions"
                       : o.embeddings   ? "--embeddings"
                                        : "--variants";
    const char* fits = !o.track.empty() ? "bigwig, bedgraph or bed"
                       : o.embeddings   ? "npy"
                       : o.predictions  ? "tsv or csv"
                                        : "tsv, csv or vcf";
    const bool track_format = format == "bigwig" || format == "bedgraph" || format == "bed";
    const bool ok = !o.track.empty() ? track_format
                    : o.embeddings   ? format == "npy"
                    : o.predictions  ? format == "tsv" || format == "csv"
                                     : format == "tsv" || format == "csv" || format == "vcf";
    if (!ok) return make_error("--format ", format, " does not fit ", what, "; use ", fits);
    const bool calls = o.above || o.below;
    if (format == "bed" && !calls)
        return make_error(
            "--format bed calls regions from the track: give --above X or --below X (with --enter/--exit for "
            "hysteresis)");
    if (format != "bed" && (calls || o.enter || o.exit || o.min_length || !o.name.empty()))
        return make_error("--above, --below, --enter, --exit, --min-length and --name call BED regions; they need ",
                          "--format bed");
    // NaN compares false with everything: a NaN level never closed a region, or never opened one.
    for (const auto& [flag, level] : {std::pair{"--above", o.above}, std::pair{"--below", o.below},
                                      std::pair{"--enter", o.enter}, std::pair{"--exit", o.exit}})
        if (level && !std::isfinite(*level))
            return make_error(flag, " ", *level, ": a region level must be a finite number");
    if (o.merge && format != "bedgraph") return make_error("--merge applies to --format bedgraph only");
    if (o.bgzip && format != "bedgraph" && format != "bed")
        return make_error("--bgzip applies to bedGraph and BED; name a VCF or table '.gz' to compress it");
    if ((format == "bigwig" || format == "npy") && gz_name)
        return make_error("--out '", o.out, "': ", format, " files are not gzip-compressed; drop the ",
                          o.out.substr(o.out.find_last_of('.')));
    if (o.bgzip && !gz_name) return make_error("--bgzip writes BGZF: name the output '", o.out, ".gz'");

    TrackExport t;
    if (format == "bed") {
        RegionCalls& c = t.calls;
        c.above = bool(o.above);
        const double threshold = o.above ? *o.above : *o.below;
        c.enter = o.enter.value_or(threshold);
        c.exit = o.exit.value_or(threshold);
        // Each level named as given: without --enter/--exit it is --above's or --below's.
        const char* level_flag = c.above ? "--above" : "--below";
        auto level = [&](const char* flag, bool given, double v) {
            return given ? cat(flag, " ", v) : cat(v, " (", level_flag, ")");
        };
        if (c.above ? c.exit > c.enter : c.exit < c.enter)
            return make_error(level("--exit", bool(o.exit), c.exit), (c.above ? " is above " : " is below "),
                              level("--enter", bool(o.enter), c.enter), "; with --", c.above ? "above" : "below",
                              " a region closes ", c.above ? "below" : "above", " the level that opened it");
        c.min_length = o.min_length.value_or(1);
        // The name is the BED's fourth column: a tab would add columns, a line break split lines, and
        // a space splits it for readers of whitespace-separated BED (awk, UCSC's space mode).
        if (o.name.find_first_of(" \t\r\n") != std::string::npos)
            return make_error("--name '", o.name, "': a BED region name cannot hold a space, a tab or a line break");
        c.name = o.name;
    }

    auto opened = open_export_source(o.db, o.run, o.region);
    if (!opened) return opened.error();
    const ExportSource& src = *opened;
    std::string wrote;
    if (!o.track.empty()) {
        t.track = o.track;
        t.format = format == "bigwig"     ? TrackExport::Format::bigwig
                   : format == "bedgraph" ? TrackExport::Format::bedgraph
                                          : TrackExport::Format::bed;
        t.merge = o.merge;
        t.bgzip = o.bgzip || gz_name;
        MS_ASSIGN(wrote, export_track(src, t, o.out));
        wrote += cat(" of track '", o.track, "'");
    } else if (o.embeddings) {
        MS_ASSIGN(wrote, export_embeddings(src, o.out));
    } else if (format == "vcf") {
        MS_ASSIGN(wrote, export_vcf(src, gz_name, o.out));
    } else {
        const TableSyntax syntax = format == "csv" ? TableSyntax::csv : TableSyntax::tsv;
        if (o.predictions)
            MS_ASSIGN(wrote, export_predictions(src, syntax, gz_name, o.out));
        else
            MS_ASSIGN(wrote, export_variants_table(src, syntax, gz_name, o.out));
    }
    // A run that did not finish exports what it stored; say so where the user looks.
    const std::string status = src.run.status == RunStatus::finished
                                   ? std::string()
                                   : cat(", ", to_string(src.run.status), ": its results may be incomplete");
    return cat("export: wrote ", wrote, " (run ", src.run.id, status, ") to ", o.out);
}

int cmd_export(const ExportOptions& o) {
    InterruptScope interrupt;  // Ctrl-C or SIGTERM: the writers stop and remove their temporary file
    auto r = run_export(o);
    if (!r) {
        std::fprintf(stderr, "error: %s\n", r.error().message.c_str());
        return interrupted() ? 130 : 1;
    }
    std::printf("%s\n", r->c_str());
    return 0;
}

}  // namespace ms

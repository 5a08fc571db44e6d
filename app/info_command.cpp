#include "app/info_command.h"

#include <cstdio>
#include <filesystem>

#include "app/job_common.h"
#include "app/results_info.h"
#include "common/atomic_file.h"
#include "engine/cli/engine_commands.h"

namespace ms {

CLI::App* add_info_command(CLI::App& app, InfoCommandOptions& o) {
    auto* info = app.add_subcommand(
        "info",
        "describe files: genomes (FASTA), reads (FASTQ, SAM/BAM/CRAM), variants (VCF/BCF), annotations "
        "(BED/GFF3/GTF), a model directory or a results database (.db)");
    info->add_option("paths", o.paths, "files to describe, each as a tab-separated table with a header line")->required();
    info->add_flag(
        "--json", o.json,
        "one JSON array with an object per file, for programs (genomics files; not model directories or databases)");
    refuse_empty_locus(info->add_option("--region", o.info.region,
                                        "only this locus, 1-based inclusive: chr1, chr1:1,000-2,000, chr1:1000, "
                                        "{HLA-A*01:01}:1-100 (BAM/CRAM/VCF need their index; FASTA its .fai, built "
                                        "when missing)"));
    info->add_option(
        "--reference", o.info.reference,
        "reference FASTA: decodes CRAM; checks each VCF REF (a mismatch is an error); checks BED/GFF3/GTF contigs");
    info->add_option("--find", o.info.find,
                     "BED/GFF3/GTF: list features whose Name or ID holds this text (case ignored)");
    info->add_option("--threads", o.info.threads, "extra threads decompressing bgzip/BAM/CRAM")->check(CLI::Range(0, 64));
    info->add_option("--min-mapq", o.info.filter.min_mapq, "BAM/CRAM: count only reads with MAPQ >= this")
        ->check(CLI::Range(0, 255));
    info->add_flag("--keep-secondary", o.keep_secondary, "BAM/CRAM: count secondary alignments (flag 0x100) too");
    info->add_flag("--keep-supplementary", o.keep_supplementary, "BAM/CRAM: count supplementary alignments (0x800) too");
    info->add_flag("--keep-duplicates", o.keep_duplicates, "BAM/CRAM: count PCR/optical duplicates (0x400) too");
    info->add_flag("--keep-qc-fail", o.keep_qc_fail, "BAM/CRAM: count reads failing QC (0x200) too");
    info->add_flag("--mapped-only", o.mapped_only, "BAM/CRAM: leave unmapped reads out");
    info->add_option(
        "-o,--output", o.output,
        "write the report to this file (genomics files; complete or not at all: nothing is left behind on an error)");
    info->footer(
        "Tables are tab-separated, one per file, after a '# FILE: kind ...' line. FASTA: record, length, GC fraction\n"
        "of A/C/G/T, N bases, N runs, soft-masked bases. FASTQ: read count and length statistics. BAM/CRAM: reads per\n"
        "reference (secondary, supplementary, duplicate and QC-fail records left out unless --keep-...). VCF/BCF:\n"
        "records per contig, samples. BED/GFF3/GTF: features per contig, or those in --region or matching --find.\n"
        "Any error stops with one message naming the file and the record or line.");
    return info;
}

// Sections go to stdout as each file is read, unless the report goes to a file or is JSON, which
// are written whole at the end (an error leaves no partial output file).
int cmd_info(InfoCommandOptions o) {
    o.info.filter.keep_secondary = o.keep_secondary;
    o.info.filter.keep_supplementary = o.keep_supplementary;
    o.info.filter.keep_duplicates = o.keep_duplicates;
    o.info.filter.keep_qc_fail = o.keep_qc_fail;
    o.info.filter.keep_unmapped = !o.mapped_only;
    silence_htslib_messages();
    const bool json = o.json, buffered = o.json || !o.output.empty();
    const std::vector<std::string>& paths = o.paths;
    for (const std::string& path : paths)
        if (auto r = refuse_overwriting_inputs(o.output, {path}); !r) return fail(r.error().message);
    std::string report = json ? "[" : "";
    for (size_t i = 0; i < paths.size(); ++i) {
        const std::string& path = paths[i];
        std::error_code ec;
        const bool folder = std::filesystem::is_directory(path, ec);
        const bool model_dir = folder && std::filesystem::exists(std::filesystem::path(path) / "config.json", ec);
        // A folder named like a database is neither: "a model directory needs a config.json" was
        // all it said.
        if (folder && !model_dir && is_results_database_path(path))
            return fail(cat("'", path, "' is a folder: not a results database (a file), nor a model directory (it ",
                            "has no config.json)"));
        // A folder is a model directory unless its name says it should have been a genomics file.
        if (model_dir || (folder && !file_kind_by_name(path)) || (is_results_database_path(path) && !folder)) {
            if (buffered) return fail(cat("'", path, "': --json and --output are for genomics files; describe ",
                                               "model directories and results databases without them"));
            if (i > 0) std::fputs("\n", stdout);
            std::fflush(stdout);
            if (folder) {
                if (const int rc = cmd_model_info(path); rc != 0) return rc;
                continue;
            }
            auto db = describe_results_database(path);
            if (!db) return fail(db.error().message);
            std::fputs(db->c_str(), stdout);
            continue;
        }
        auto described = describe_file(path, o.info);
        if (!described) return fail(described.error().message);
        if (!described->note.empty()) std::fprintf(stderr, "note: %s\n", described->note.c_str());
        if (json) {
            report += (i ? "," : "") + described->json;
        } else if (buffered) {
            report += (i ? "\n" : "") + described->tsv;
        } else {
            if (i > 0) std::fputs("\n", stdout);
            std::fputs(described->tsv.c_str(), stdout);
        }
    }
    if (json) report += "]\n";
    if (!o.output.empty()) {
        auto file = AtomicFile::create(o.output);
        if (!file) return fail(file.error().message);
        if (auto w = file->write(report.data(), report.size()); !w) return fail(w.error().message);
        if (auto c = file->commit(); !c) return fail(c.error().message);
    } else if (buffered) {
        std::fputs(report.c_str(), stdout);
    }
    return 0;
}

}  // namespace ms

// mambascope-cli: the headless command line. Links no Qt, so it runs on cluster nodes without a
// display stack.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <new>

#include "app/bundled_model.h"
#include "app/cli_examples.h"
#include "app/cli_reference.h"
#include "app/delete_run_command.h"
#include "app/export_command.h"
#include "app/fasta_loader.h"
#include "app/info_command.h"
#include "app/item_command.h"
#include "app/merge_command.h"
#include "app/mutagenesis_command.h"
#include "app/neighbours_command.h"
#include "app/results_info.h"
#include "app/score_command.h"
#include "app/variants_command.h"
#include "app/version_report.h"
#include "engine/cli/engine_commands.h"
#include "genomics/alignments.h"
#include "genomics/file_kind.h"

int main(int argc, char** argv) {
    ms::keep_htslib_offline();  // before any thread reads the environment
    // Every reader turns an htslib failure into one message naming the file and record; htslib's
    // own lines before it named temporary files ('out.vcf.gz.partial-PID') and the paths of the
    // machine a CRAM was made on (found in review).
    ms::silence_htslib_messages();
    CLI::App app{"MambaScope: Mamba DNA language models over genomes", "mambascope-cli"};
    app.require_subcommand(0, 1);
    app.footer("Run 'mambascope-cli COMMAND --help' for a command's options.");
    bool version = false;
    app.add_flag("--version", version, "print version, revision, backends, GPUs and library versions");

    ms::InfoCommandOptions info_opts;
    auto* info = ms::add_info_command(app, info_opts);

    ms::ForwardOptions fwd;
    auto* forward = app.add_subcommand("forward", "run a model over one FASTA record; write logits / hidden states as .npy");
    ms::add_model_option(forward, fwd.model);  // the bundled model by default, as every job
    ms::add_forward_options(forward, fwd, /*with_model=*/false);

    ms::ScoreOptions score_opts;
    auto* score = app.add_subcommand("score", "per-base tracks (A/C/G/T probabilities, log-likelihood, entropy) of a genome into a results database");
    ms::add_score_options(score, score_opts);

    ms::ItemJobOptions embed_opts, classify_opts;
    auto* embed = app.add_subcommand("embed", "pooled embeddings per window, record or read into a results database");
    ms::add_item_options(embed, embed_opts, ms::ItemJob::embed);
    auto* classify = app.add_subcommand("classify", "class probabilities of the model's classifier head per window, record or read");
    ms::add_item_options(classify, classify_opts, ms::ItemJob::classify);

    ms::MergeOptions merge_opts;
    auto* merge = app.add_subcommand("merge", "join the databases of score --shard I/N runs into one");
    ms::add_merge_options(merge, merge_opts);

    ms::ExportOptions export_opts;
    auto* export_cmd = app.add_subcommand("export", "a run's tracks, predictions, embeddings or variants as bigWig, bedGraph, BED, TSV/CSV, .npy or VCF");
    ms::add_export_options(export_cmd, export_opts);

    ms::NeighboursOptions neighbours_opts;
    auto* neighbours = app.add_subcommand(
        "neighbours",
        "the embeddings of a run most like one of them (cosine similarity): windows like a window, reads like a read");
    ms::add_neighbours_options(neighbours, neighbours_opts);

    ms::DeleteRunOptions delete_run_opts;
    auto* delete_run = app.add_subcommand(
        "delete-run", "remove a run and everything it holds from a results database (--vacuum: shrink the file)");
    ms::add_delete_run_options(delete_run, delete_run_opts);

    ms::VariantsOptions variants_opts;
    auto* variants = app.add_subcommand("variants", "variant effects: log2-likelihood ratio of every ALT against REF, into the VCF (INFO/MS_LLR) and optionally a results database");
    ms::add_variants_options(variants, variants_opts);
    ms::MutagenesisOptions mutagenesis_opts;
    auto* mutagenesis = app.add_subcommand("mutagenesis", "in-silico mutagenesis: every other base at every position of a region (<= 10 kbp) scored against the reference");
    ms::add_mutagenesis_options(mutagenesis, mutagenesis_opts);

    ms::BenchOptions bench_opts;
    auto* bench = app.add_subcommand("bench", "measure the engine's speed against the BLAS on the model's own shapes");
    ms::add_bench_options(bench, bench_opts);

    ms::ReferenceOptions reference_opts;
    auto* reference = ms::add_reference_command(app, reference_opts);
    // After every command is in the tree: their examples join their --help.
    ms::add_example_footers(app, ms::example_data_dir());

    if (const auto exit_code = ms::parse_command_line(app, argc, argv)) return *exit_code;
    if (version) {
        std::fputs(ms::version_report("mambascope-cli").c_str(), stdout);
        return 0;
    }
    auto command_line = [&] {
        std::string c;
        for (int i = 0; i < argc; ++i) c += (i ? " " : "") + std::string(argv[i]);
        return c;
    };
    auto dispatch = [&]() -> int {
        if (*reference) return ms::cmd_reference(app, reference_opts);
        if (*info) return ms::cmd_info(info_opts);
        if (*forward) return ms::cmd_forward(fwd, ms::load_fasta_record);
        if (*bench) return ms::cmd_bench(bench_opts);
        if (*export_cmd) return ms::cmd_export(export_opts);
        if (*neighbours) return ms::cmd_neighbours(neighbours_opts);
        if (*delete_run) return ms::cmd_delete_run(delete_run_opts);
        if (*merge) return ms::cmd_merge(merge_opts, command_line());
        if (*variants) return ms::cmd_variants(variants_opts, command_line());
        if (*mutagenesis) return ms::cmd_mutagenesis(mutagenesis_opts, command_line());
        if (*embed) return ms::cmd_items(embed_opts, ms::ItemJob::embed, command_line());
        if (*classify) return ms::cmd_items(classify_opts, ms::ItemJob::classify, command_line());
        if (*score) return ms::cmd_score(score_opts, command_line());
        std::fputs(app.help().c_str(), stdout);
        return 0;
    };
    // Running out of memory (a --chunk or --batch too large for the machine) ends the job with a
    // message rather than std::terminate's.
    try {
        return dispatch();
    } catch (const std::bad_alloc&) {
        return ms::fail(
            "out of memory: the job needs more memory than this machine could give; a smaller --chunk "
            "or --batch needs less");
    }
}

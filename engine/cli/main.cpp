// mambascope-engine: the engine-only command line (model info, forward, bench) for machines where
// only kernels/ and engine/ build, such as the GPU test machine. Users run mambascope-cli.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <new>

#include "common/version.h"
#include "engine/backend_registry.h"
#include "engine/cli/engine_commands.h"

int main(int argc, char** argv) {
    CLI::App app{"MambaScope engine: Mamba DNA language models on CPU and CUDA (engine-only build)", "mambascope-engine"};
    app.require_subcommand(0, 1);
    bool version = false;
    app.add_flag("--version", version, "print version, revision and backends");

    std::string info_dir;
    auto* info = app.add_subcommand("info", "print a model's architecture");
    info->add_option("model_dir", info_dir, "model directory")->required();

    ms::ForwardOptions fwd;
    auto* forward = app.add_subcommand("forward", "run a model over one FASTA record, write logits/hidden as .npy");
    ms::add_forward_options(forward, fwd);

    ms::BenchOptions bench_opts;
    auto* bench = app.add_subcommand("bench", "measure the engine's speed against the BLAS on the model's shapes");
    ms::add_bench_options(bench, bench_opts);

    if (const auto exit_code = ms::parse_command_line(app, argc, argv)) return *exit_code;
    if (version) {
        std::printf("mambascope-engine %s (%s, %s)\n%s", ms::build::version, ms::build::git_revision, ms::build::build_type,
                    ms::backends_report().c_str());
        return 0;
    }
    // Running out of memory (a --chunk too large for the machine) ends the command with a message
    // rather than std::terminate's.
    try {
        if (*info) return ms::cmd_model_info(info_dir);
        if (*forward) return ms::cmd_forward(fwd, ms::read_plain_fasta_record);
        if (*bench) return ms::cmd_bench(bench_opts);
    } catch (const std::bad_alloc&) {
        std::fputs(
            "error: out of memory: the command needs more memory than this machine could give; a smaller --chunk "
            "needs less\n",
            stderr);
        return 1;
    }
    std::fputs(app.help().c_str(), stdout);
    return 0;
}

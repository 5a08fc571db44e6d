// The engine's command-line commands (model info, forward, bench), shared by the engine-only CLI
// (mambascope-engine) and the full CLI (mambascope-cli), which differ only in how FASTA is read.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/backend_registry.h"
#include "engine/cli/plain_fasta.h"
#include "engine/session.h"

namespace CLI {
class App;
}

namespace ms {

using SequenceLoader = std::function<Result<FastaRecord>(const std::string& path, const std::string& record)>;

struct ForwardOptions {
    std::string model, fasta, record, device = "cpu", precision = "auto", logits, hidden;
    int chunk = 4096;
    int threads = 0;
    bool reverse = false;
};

struct BenchOptions {
    std::vector<std::string> shapes{"128x8", "256x16"};   // d_model x layers
    std::vector<int> chunks{1024, 4096, 16384};
    // Sequence lengths streamed chunk by chunk with carried state (0: one chunk, repeated).
    std::vector<int64_t> lengths{0};
    bool logits = false;   // also hand out the full logits (default: per-base scores only)
    std::string device = "cpu";
    std::string precision = "auto";
    int threads = 0;
    double seconds = 1.5;   // per measurement
    int batch = 1;          // independent sequences a forward call
    double spread = 0;      // each sequence's length drawn from [L·(1 − spread), L]
    bool in_turn = false;   // forward() chunk after chunk, instead of the next chunk started ahead as a session runs
    int runners = 1;        // runners side by side on the device, each on a thread (and a GPU stream) of its own
};

// --precision's help, the same words in every command.
inline constexpr char kPrecisionHelp[] = "auto | fp32 | bf16 (auto: bf16 on a GPU, fp32 on the CPU; bf16: GPU only)";

// with_model false: the caller registers --model itself (mambascope-cli's, defaulting to the bundled
// model, which the engine-only build does not have).
void add_forward_options(CLI::App* sub, ForwardOptions& o, bool with_model = true);
void add_bench_options(CLI::App* sub, BenchOptions& o);

// Parses the command line: nullopt to go on, else the exit code — 0 after --help, 1 after a usage
// error, printed as every other error is ("error: ..." on stderr; CLI11's own style and its exit
// codes 100–120 differed from every other failure).
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// Each returns the process exit code and prints errors to stderr.
int cmd_model_info(const std::string& dir);
int cmd_forward(const ForwardOptions& o, const SequenceLoader& load);
int cmd_bench(const BenchOptions& o);

}  // namespace ms

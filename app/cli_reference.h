// The reference of mambascope-cli rendered from its CLI11 command tree, the source --help prints from:
// a roff man page, Markdown (docs/cli.md) and a bash completion script. Hidden subcommands and options
// (CLI11 group "") are left out; each command's examples come from app/cli_examples.h.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace ms {

enum class ReferenceFormat { man, markdown, bash_completion };

// data_dir replaces "{data}" in the examples (app/cli_examples.h): "resources" for docs/cli.md, which
// is read in the source tree, "/usr/share/mambascope" for the man page of the Debian package.
std::string render_cli_reference(const CLI::App& app, ReferenceFormat format, const std::string& data_dir);

struct ReferenceOptions {
    std::string format;     // man | markdown | bash-completion
    std::string data_dir;   // empty: per format, as render_cli_reference says
    std::string output;     // empty: stdout
};

// Registers the hidden `reference` subcommand that the build runs to make the man page and the
// completion script, and that regenerates docs/cli.md.
CLI::App* add_reference_command(CLI::App& app, ReferenceOptions& options);

// Renders app (the whole program, not the `reference` subcommand) as options say; 0 or 1 (error printed).
int cmd_reference(const CLI::App& app, const ReferenceOptions& options);

}  // namespace ms

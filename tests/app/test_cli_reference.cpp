// app/cli_reference: the man page, Markdown and bash completion rendered from a CLI11 tree hold every
// visible command and option with its value, default and constraints, leave hidden ones out, and
// escape what roff and Markdown would otherwise read as markup; app/cli_examples: the examples.
#include <CLI/CLI.hpp>
#include <string>

#include "app/cli_examples.h"
#include "app/cli_reference.h"
#include "tests/common/harness.h"

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A small tree with what the renderers must handle: a required option, a default, a choice set, a
// repeatable option, exclusions, a positional, a hidden option and a hidden subcommand.
struct Tree {
    CLI::App app{"Test program", "mambascope-cli"};
    std::string fasta, strand = "fwd", secret, out;
    std::vector<std::string> regions, paths;
    int threads = 0;
    bool flag = false;
    Tree() {
        app.footer("Run 'mambascope-cli COMMAND --help' for a command's options.");
        auto* score = app.add_subcommand("score", "per-base tracks | a test");
        score->add_option("--fasta", fasta, "genome FASTA")->required();
        score->add_option("--strand", strand, "fwd, or both")->check(CLI::IsMember({"fwd", "both"}))->capture_default_str();
        score->add_option("--threads", threads, "CPU threads (0: all; `bench` measures them)")->capture_default_str();
        score->add_flag("--odd", flag, "an unpaired ` quote");
        auto* region = score->add_option("--region", regions, "locus, e.g. {HLA-A*01:01}:1-100");
        auto* bed = score->add_option("--bed", out, "regions of a BED file");
        region->excludes(bed);
        bed->excludes(region);
        score->add_option("--secret", secret, "never shown")->group("");
        auto* info = app.add_subcommand("info", "describe files");
        info->add_option("paths", paths, "files to describe")->required();
        info->add_flag("--json", flag, "JSON");
        info->footer(".TH line that roff must not take as a request\nand a back\\slash");
        app.add_subcommand("hidden", "never shown")->group("");
    }
};

}  // namespace

MS_TEST(markdown_lists_every_visible_option_with_its_facts) {
    Tree t;
    const std::string md = ms::render_cli_reference(t.app, ms::ReferenceFormat::markdown, "resources");
    MS_CHECK(has(md, "## score\n"));
    MS_CHECK(has(md, "## info\n"));
    MS_CHECK(!has(md, "hidden"));
    MS_CHECK(!has(md, "--secret"));
    MS_CHECK(has(md, "| `--fasta` | `TEXT` | genome FASTA (required) |"));
    MS_CHECK(has(md, "(default: fwd)"));
    MS_CHECK(has(md, "`--region` | `TEXT` | locus, e.g. {HLA-A\\*01:01}:1-100 (repeatable, not with --bed) |"));
    MS_CHECK(has(md, "per-base tracks \\| a test"));   // a '|' would end the table cell
    MS_CHECK(has(md, "(0: all; `bench` measures them)"));  // paired backticks stay code
    MS_CHECK(has(md, "an unpaired \\` quote"));            // one alone cannot swallow the cell
    MS_CHECK(has(md, "mambascope-cli info [OPTIONS] paths...\n"));
    // The examples of the real commands (score has some) in console blocks, demo paths of the source tree.
    MS_CHECK(has(md, "```console\n$ mambascope-cli score --fasta resources/demo/ecoli_k12_mg1655.fa"));
}

MS_TEST(man_page_escapes_roff_and_lists_commands) {
    Tree t;
    const std::string man = ms::render_cli_reference(t.app, ms::ReferenceFormat::man, "/usr/share/mambascope");
    MS_CHECK(has(man, ".TH MAMBASCOPE-CLI 1 "));
    MS_CHECK(has(man, ".SS score\n"));
    MS_CHECK(has(man, ".SS info\n"));
    MS_CHECK(!has(man, "--secret") && !has(man, "\\-\\-secret"));
    MS_CHECK(has(man, "\\fB\\-\\-fasta\\fR \\fITEXT\\fR\ngenome FASTA (required)\n"));
    MS_CHECK(has(man, "\n\\&.TH line that roff"));   // a footer line starting with '.' is text, not a request
    MS_CHECK(has(man, "back\\eslash"));
    MS_CHECK(has(man, "\n$ mambascope\\-cli score \\-\\-fasta /usr/share/mambascope/demo/ecoli_k12_mg1655.fa"));
}

MS_TEST(bash_completion_knows_commands_options_and_choices) {
    Tree t;
    const std::string sh = ms::render_cli_reference(t.app, ms::ReferenceFormat::bash_completion, "");
    MS_CHECK(has(sh, "score|info) cmd=${COMP_WORDS[i]}; break ;;"));
    MS_CHECK(has(sh, "\"score --strand\") COMPREPLY=($(compgen -W \"fwd both\" -- \"$cur\")); return ;;"));
    MS_CHECK(has(sh, "\"score --fasta\""));   // a file
    MS_CHECK(has(sh, "\"score --region\") return ;;"));   // a locus: nothing to offer
    MS_CHECK(!has(sh, "--secret") && !has(sh, "hidden"));
    MS_CHECK(has(sh, "complete -F _mambascope_cli mambascope-cli\n"));
}

MS_TEST(examples_expand_the_data_folder_and_join_the_help) {
    MS_CHECK_EQ(ms::expand_example("x {data}/demo/a.fa {data}/models/m", "/usr/share/mambascope"),
                std::string("x /usr/share/mambascope/demo/a.fa /usr/share/mambascope/models/m"));
    MS_CHECK(!ms::cli_examples("score").empty());
    MS_CHECK(ms::cli_examples("no-such-command").empty());
    Tree t;
    ms::add_example_footers(t.app, "DATA");
    const std::string help = t.app.get_subcommand("score")->help();
    MS_CHECK(has(help, "Examples:\n"));
    MS_CHECK(has(help, "mambascope-cli score --fasta DATA/demo/ecoli_k12_mg1655.fa"));
    // The program's footer, inherited by score, is replaced by score's examples; info keeps its own text.
    MS_CHECK(!has(help, "for a command's options"));
    MS_CHECK(has(t.app.get_subcommand("info")->help(), "roff must not take"));
    // The examples in --help are not repeated as footer text by the renderers (they render them once).
    const std::string md = ms::render_cli_reference(t.app, ms::ReferenceFormat::markdown, "resources");
    MS_CHECK(!has(md, "DATA/demo"));
    MS_CHECK(has(md, "Run 'mambascope-cli COMMAND --help' for a command's options."));
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }

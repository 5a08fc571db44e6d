#include "app/cli_reference.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

#include "app/cli_examples.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/version.h"

namespace ms {

namespace {

// What the renderers need of one option, read once from CLI11.
struct OptionInfo {
    std::vector<std::string> names;   // "-o", "--output"; or the positional's name
    bool positional = false;
    std::string value;                // "FILE"-like label, empty for a flag
    std::vector<std::string> choices; // from a "{a,b}" set validator
    std::string default_value;
    bool required = false;
    bool repeatable = false;
    std::vector<std::string> excludes, needs;   // sorted, so the output does not depend on pointer order
    std::string description;
};

struct CommandInfo {
    std::string name;        // "" for the program itself
    std::string description;
    std::string footer;      // the command's own text beyond its options, examples excluded
    std::vector<OptionInfo> options;
};

constexpr const char* kProgram = "mambascope-cli";

// "INT:INT in [1 - 64]" (CLI11 joins the type and its validator) reads better as "INT in [1 - 64]".
std::string value_label(std::string type) {
    const auto colon = type.find(':');
    if (colon != std::string::npos) {
        const std::string head = type.substr(0, colon), rest = type.substr(colon + 1);
        if (rest.rfind(head + " ", 0) == 0) return rest;
    }
    return type;
}

std::vector<std::string> choices_of(const std::string& type) {
    const auto open = type.find('{'), close = type.find('}');
    std::vector<std::string> out;
    if (open == std::string::npos || close == std::string::npos || close < open) return out;
    std::stringstream in(type.substr(open + 1, close - open - 1));
    for (std::string item; std::getline(in, item, ',');) out.push_back(item);
    return out;
}

std::vector<std::string> sorted_names(const std::set<CLI::Option*>& options) {
    std::vector<std::string> out;
    for (const CLI::Option* o : options) out.push_back(o->get_name());
    std::sort(out.begin(), out.end());
    return out;
}

OptionInfo option_info(const CLI::Option& opt) {
    OptionInfo o;
    o.positional = !opt.nonpositional();
    if (o.positional) {
        o.names.push_back(opt.get_name(true));
    } else {
        for (const std::string& s : opt.get_snames()) o.names.push_back("-" + s);
        for (const std::string& l : opt.get_lnames()) o.names.push_back("--" + l);
    }
    if (opt.get_type_size() != 0) {
        o.value = value_label(opt.get_type_name());
        o.choices = choices_of(opt.get_type_name());
        o.default_value = opt.get_default_str();
        o.repeatable = opt.get_expected_max() >= CLI::detail::expected_max_vector_size;
    }
    o.required = opt.get_required();
    o.excludes = sorted_names(opt.get_excludes());
    o.needs = sorted_names(opt.get_needs());
    o.description = opt.get_description();
    return o;
}

bool visible(const CLI::App* sub) { return !sub->get_group().empty(); }

CommandInfo command_info(const CLI::App& app, const std::string& name, const std::string& inherited_footer) {
    CommandInfo c;
    c.name = name;
    c.description = app.get_description();
    c.footer = app.get_footer();
    // The examples come from cli_examples(), rendered per format; --help shows them in the footer.
    if (const auto at = c.footer.find("Examples:\n"); at != std::string::npos) c.footer.erase(at);
    if (!name.empty() && c.footer.find(inherited_footer) != std::string::npos && !inherited_footer.empty())
        c.footer.clear();
    while (!c.footer.empty() && (c.footer.back() == '\n' || c.footer.back() == ' ')) c.footer.pop_back();
    const CLI::Option* help = app.get_help_ptr();
    for (const CLI::Option* opt : app.get_options([help](const CLI::Option* o) {
             return o != help && !o->get_group().empty();
         }))
        c.options.push_back(option_info(*opt));
    return c;
}

std::vector<CommandInfo> commands_of(const CLI::App& app) {
    std::string root_footer = app.get_footer();
    if (const auto at = root_footer.find("Examples:\n"); at != std::string::npos) {
        // The program's own footer follows its examples (add_example_footers): keep only that part.
        const auto end = root_footer.find("\n\n", at);
        root_footer = end == std::string::npos ? std::string() : root_footer.substr(end + 2);
    }
    std::vector<CommandInfo> out{command_info(app, "", root_footer)};
    out.front().footer = root_footer;
    for (const CLI::App* sub : app.get_subcommands(visible)) out.push_back(command_info(*sub, sub->get_name(), root_footer));
    return out;
}

std::string usage_line(const CommandInfo& c, bool has_subcommands) {
    std::string u = c.name.empty() ? kProgram : cat(kProgram, " ", c.name);
    u += " [OPTIONS]";
    for (const OptionInfo& o : c.options)
        if (o.positional) u += cat(" ", o.required ? "" : "[", o.names.front(), o.repeatable ? "..." : "", o.required ? "" : "]");
    if (has_subcommands) u += " [COMMAND]";
    return u;
}

// Notes after an option's description: default, required, repeatable, exclusions.
std::string option_notes(const OptionInfo& o) {
    std::vector<std::string> notes;
    if (o.required) notes.push_back("required");
    if (!o.default_value.empty()) notes.push_back(cat("default: ", o.default_value));
    if (o.repeatable && o.description.find("repeatable") == std::string::npos) notes.push_back("repeatable");
    auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
        return s;
    };
    if (!o.excludes.empty()) notes.push_back("not with " + join(o.excludes));
    if (!o.needs.empty()) notes.push_back("needs " + join(o.needs));
    return join(notes);
}

// ---- roff (man(7)) -------------------------------------------------------------------------------

// Text in a roff line: backslashes escaped (a leading '.' or '\'' is defused by roff_paragraphs).
std::string roff(const std::string& text) {
    std::string out;
    for (char ch : text) out += ch == '\\' ? std::string("\\e") : std::string(1, ch);
    return out;
}

// Names, values and commands: hyphens as \- so they print (and paste) as ASCII minus signs.
std::string roff_code(const std::string& text) {
    std::string out;
    for (char ch : text) out += ch == '\\' ? std::string("\\e") : ch == '-' ? std::string("\\-") : std::string(1, ch);
    return out;
}

std::string roff_paragraphs(const std::string& text) {
    std::string out;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) out += ".PP\n";
        else out += (line[0] == '.' || line[0] == '\'' ? "\\&" : "") + roff(line) + "\n";
    }
    return out;
}

std::string man_examples(const std::vector<CliExample>& examples, const std::string& data_dir, bool label = true) {
    std::string out = examples.empty() || !label ? "" : ".PP\nExamples:\n";
    bool open = false;
    for (const CliExample& e : examples) {
        if (!e.what.empty()) {
            if (open) out += ".fi\n.RE\n";
            out += cat(".PP\n", roff(e.what), ":\n.RS 4\n.nf\n");
            open = true;
        } else if (!open) {
            out += ".RS 4\n.nf\n";
            open = true;
        }
        out += "$ " + roff_code(expand_example(e.command, data_dir)) + "\n";
    }
    if (open) out += ".fi\n.RE\n";
    return out;
}

std::string man_options(const std::vector<OptionInfo>& options) {
    std::string out;
    for (const OptionInfo& o : options) {
        std::string head;
        for (const std::string& n : o.names) head += (head.empty() ? "" : ", ") + cat("\\fB", roff_code(n), "\\fR");
        if (!o.value.empty() && !o.positional) head += cat(" \\fI", roff_code(o.value), "\\fR");
        const std::string notes = option_notes(o);
        out += cat(".TP\n", head, "\n", roff(o.description), notes.empty() ? "" : cat(" (", roff(notes), ")"), "\n");
    }
    return out;
}

// "MambaScope: Mamba DNA language models over genomes" -> "Mamba DNA language models over genomes".
std::string without_program_name(const std::string& description) {
    const auto colon = description.find(": ");
    return colon == std::string::npos ? description : description.substr(colon + 2);
}

std::string render_man(const std::vector<CommandInfo>& commands, const std::string& data_dir) {
    const CommandInfo& root = commands.front();
    std::string out = cat(".\\\" Generated by `mambascope-cli reference --format man` from the CLI11 tree that --help prints.\n",
                          ".TH MAMBASCOPE-CLI 1 \"\" \"mambascope-cli ", build::version, "\" \"User Commands\"\n",
                          ".SH NAME\nmambascope\\-cli \\- ", roff(without_program_name(root.description)),
                          " (command line)\n",
                          ".SH SYNOPSIS\n");
    for (std::size_t i = 1; i < commands.size(); ++i)
        out += cat(".B mambascope\\-cli ", roff_code(commands[i].name), "\n[\\fIOPTIONS\\fR]",
                   [&] {
                       std::string p;
                       for (const OptionInfo& o : commands[i].options)
                           if (o.positional) p += cat(" \\fI", roff_code(o.names.front()), "\\fR", o.repeatable ? "..." : "");
                       return p;
                   }(),
                   "\n.br\n");
    out += ".B mambascope\\-cli \\-\\-version\n.SH DESCRIPTION\n";
    out += cat("\\fBmambascope\\-cli\\fR runs Mamba DNA language models over genomes and reads, stores per-base tracks, classes, embeddings "
               "and variant scores in a SQLite results database, and exports them as bigWig, bedGraph, BED, VCF, "
               "TSV/CSV and .npy. Without \\fB\\-\\-model\\fR, jobs use the bundled model (see FILES). The desktop "
               "application, \\fBmambascope\\fR(1), shows the results.\n");
    if (!root.footer.empty()) out += ".PP\n" + roff_paragraphs(root.footer);
    out += ".SH OPTIONS\n" + man_options(root.options);
    out += ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nprint a command's options and examples, as this page lists them\n";
    out += ".SH COMMANDS\n";
    for (std::size_t i = 1; i < commands.size(); ++i) {
        const CommandInfo& c = commands[i];
        out += cat(".SS ", roff_code(c.name), "\n", roff(c.description), "\n.PP\n.B ",
                   roff_code(usage_line(c, false)), "\n", man_options(c.options));
        if (!c.footer.empty()) out += ".PP\n" + roff_paragraphs(c.footer);
        out += man_examples(cli_examples(c.name), data_dir);
    }
    out += ".SH EXAMPLES\n" + man_examples(cli_examples(""), data_dir, false);
    out +=
        cat(".PP\nEach command above lists examples of its own; they run in this order on the demo data.\n",
            ".SH ENVIRONMENT\n.TP\n.B MAMBASCOPE_MODEL_DIR\n",
            "the model jobs use when \\fB\\-\\-model\\fR is not given, instead of the bundled one\n",
            ".TP\n.B MAMBASCOPE_BACKEND_DIR\n",
            "a folder searched first for the CUDA backend module, libmambascope_cuda.so\n",
            ".TP\n.B MAMBASCOPE_STAGE_TIMES\n",
            "when set (not 0), \\fBscore\\fR says how long its reading, engine and writing stages worked rather than "
            "waited: the one near the job's time sets its pace; with short records run side by side, also their "
            "batches and the positions those held, padding included; \\fBclassify\\fR and \\fBembed\\fR say how "
            "long their engine and writer worked, and their items' batches and positions\n",
            ".SH FILES\n.TP\n.I ", roff_code(data_dir), "/models/mambascope\\-dna\\-small\n",
            "the bundled model, the default of \\fB\\-\\-model\\fR (an unpacked tarball has it in "
            "share/mambascope/models beside its bin/)\n",
            ".TP\n.I ", roff_code(data_dir), "/demo\n",
            "the demo data of the examples: E. coli K\\-12 genome, annotation, nanopore reads and known "
            "alleles; the lambda phage genome and simulated long reads\n",
            ".TP\n.I /usr/lib/mambascope/libmambascope_cuda.so\n",
            "the CUDA backend module (package mambascope\\-cuda); without it jobs run on the CPU\n",
            ".SH SEE ALSO\n\\fBmambascope\\fR(1), \\fBsamtools\\fR(1), \\fBbcftools\\fR(1)\n");
    return out;
}

// ---- Markdown (docs/cli.md) ---------------------------------------------------------------------

// Prose in Markdown: characters that would start emphasis or break a table cell escaped. Backticks
// are kept: the help texts use them for commands and names (`merge`), which read as code here too;
// an unpaired one is escaped so it cannot swallow the rest of a cell.
std::string md(const std::string& text) {
    const bool paired = std::count(text.begin(), text.end(), '`') % 2 == 0;
    std::string out;
    for (char ch : text) {
        if (ch == '|' || ch == '*' || ch == '\\' || (ch == '`' && !paired)) out += '\\';
        out += ch;
    }
    return out;
}

std::string md_examples(const std::vector<CliExample>& examples, const std::string& data_dir) {
    std::string out = examples.empty() ? "" : "Examples:\n\n";
    bool open = false;
    for (const CliExample& e : examples) {
        if (!e.what.empty()) {
            if (open) out += "```\n\n";
            out += cat(md(e.what), ":\n\n```console\n");
            open = true;
        } else if (!open) {
            out += "```console\n";
            open = true;
        }
        out += "$ " + expand_example(e.command, data_dir) + "\n";
    }
    if (open) out += "```\n\n";
    return out;
}

std::string md_options(const std::vector<OptionInfo>& options) {
    if (options.empty()) return "";
    std::string out = "| option | value | description |\n|---|---|---|\n";
    for (const OptionInfo& o : options) {
        std::string names;
        for (const std::string& n : o.names) names += (names.empty() ? "" : ", ") + cat("`", n, "`");
        const std::string notes = option_notes(o);
        out += cat("| ", names, " | ", o.value.empty() ? "" : cat("`", o.value, "`"), " | ", md(o.description),
                   notes.empty() ? "" : cat(" (", md(notes), ")"), " |\n");
    }
    return out + "\n";
}

std::string render_markdown(const std::vector<CommandInfo>& commands, const std::string& data_dir) {
    const CommandInfo& root = commands.front();
    std::string out = cat(
        "# mambascope-cli reference\n\n",
        "<!-- Generated from the CLI11 command tree that --help prints (app/cli_reference.cpp; examples in\n",
        "     app/cli_examples.cpp). Do not edit: regenerate with\n",
        "     build/release/app/mambascope-cli reference --format markdown --output docs/cli.md -->\n\n",
        md(root.description), ". Every command, its options and examples, as `mambascope-cli COMMAND --help` ",
        "prints them and the man page `mambascope-cli(1)` lists them.\n\n",
        "The examples run on the bundled demo data from the top folder of the source tree (`", data_dir,
        "/demo`, `", data_dir, "/models`; an installed package has them in `/usr/share/mambascope`), in the order ",
        "shown: later commands read the databases earlier ones wrote into `out/`. Without `--model`, jobs use ",
        "the bundled model `mambascope-dna-small`.\n\n");
    for (std::size_t i = 1; i < commands.size(); ++i)
        out += cat("- [", commands[i].name, "](#", commands[i].name, "): ", md(commands[i].description), "\n");
    out += "\n## Program options\n\n```\n" + usage_line(root, true) + "\n```\n\n" + md_options(root.options);
    if (!root.footer.empty()) out += md(root.footer) + "\n\n";
    out += md_examples(cli_examples(""), data_dir);
    for (std::size_t i = 1; i < commands.size(); ++i) {
        const CommandInfo& c = commands[i];
        out += cat("## ", c.name, "\n\n", md(c.description), ".\n\n```\n", usage_line(c, false), "\n```\n\n",
                   md_options(c.options));
        if (!c.footer.empty()) out += md(c.footer) + "\n\n";
        out += md_examples(cli_examples(c.name), data_dir);
    }
    out +=
        "## Environment\n\n"
        "- `MAMBASCOPE_MODEL_DIR`: the model jobs use when `--model` is not given, instead of the bundled one.\n"
        "- `MAMBASCOPE_BACKEND_DIR`: a folder searched first for the CUDA backend module `libmambascope_cuda.so`.\n"
        "- `MAMBASCOPE_STAGE_TIMES`: when set (not `0`), `score` says how long its reading, engine and writing "
        "stages worked rather than waited: the one near the job's time sets its pace; with short records run side by "
        "side, also their batches and the positions those held, padding included; `classify` and `embed` say how "
        "long their engine and writer worked, and their items' batches and positions.\n";
    while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
    return out;
}

// ---- bash completion ----------------------------------------------------------------------------

// Values that name files or folders, by option name: a new option offers nothing until it is listed
// here, which is harmless, where offering file names for a locus or a size would mislead.
bool takes_file(const OptionInfo& o) {
    if (o.value.rfind("TEXT", 0) != 0 || !o.choices.empty()) return false;
    static const char* files[] = {"--model", "--fasta", "--db",  "--bed",    "--reads",  "--reference", "--vcf",
                                  "--out",   "--output", "--logits", "--hidden"};
    for (const char* n : files)
        if (std::find(o.names.begin(), o.names.end(), n) != o.names.end()) return true;
    return false;
}

std::string shell_words(const std::vector<std::string>& words) {
    std::string s;
    for (const std::string& w : words) s += (s.empty() ? "" : " ") + w;
    return s;
}

std::string render_bash_completion(const std::vector<CommandInfo>& commands) {
    std::vector<std::string> subcommands;
    for (std::size_t i = 1; i < commands.size(); ++i) subcommands.push_back(commands[i].name);
    std::string out = cat("# bash completion for mambascope-cli. Generated by `mambascope-cli reference --format ",
                          "bash-completion` from the CLI11 tree that --help prints: do not edit.\n",
                          "_mambascope_cli() {\n",
                          "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd= i\n",
                          "    for ((i = 1; i < COMP_CWORD; i++)); do\n",
                          "        case ${COMP_WORDS[i]} in\n",
                          "            ", [&] {
                              std::string s;
                              for (const std::string& w : subcommands) s += (s.empty() ? "" : "|") + w;
                              return s;
                          }(), ") cmd=${COMP_WORDS[i]}; break ;;\n",
                          "        esac\n",
                          "    done\n",
                          "    case \"$cmd $prev\" in\n");
    // Option values first: choices, files, or nothing to offer (numbers, loci).
    for (const CommandInfo& c : commands) {
        std::vector<std::string> choice_cases, file_cases, none_cases;
        for (const OptionInfo& o : c.options) {
            if (o.positional || o.value.empty()) continue;
            for (const std::string& n : o.names) {
                const std::string key = cat("\"", c.name, " ", n, "\"");
                if (!o.choices.empty())
                    out += cat("        ", key, ") COMPREPLY=($(compgen -W \"", shell_words(o.choices),
                               "\" -- \"$cur\")); return ;;\n");
                else if (takes_file(o))
                    file_cases.push_back(key);
                else
                    none_cases.push_back(key);
            }
        }
        if (!file_cases.empty()) {
            std::string keys;
            for (const std::string& k : file_cases) keys += (keys.empty() ? "" : "|") + k;
            out += cat("        ", keys, ") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
        }
        if (!none_cases.empty()) {
            std::string keys;
            for (const std::string& k : none_cases) keys += (keys.empty() ? "" : "|") + k;
            out += cat("        ", keys, ") return ;;\n");
        }
    }
    out += "    esac\n    case $cmd in\n";
    for (const CommandInfo& c : commands) {
        std::vector<std::string> words{"--help"};
        bool positional_files = false;
        for (const OptionInfo& o : c.options) {
            if (o.positional) positional_files = true;
            else
                for (const std::string& n : o.names)
                    if (n.rfind("--", 0) == 0) words.push_back(n);
        }
        const std::string pattern = c.name.empty() ? "\"\"" : c.name;
        if (c.name.empty()) {
            out += cat("        \"\") COMPREPLY=($(compgen -W \"", shell_words(words), " ", shell_words(subcommands),
                       "\" -- \"$cur\")) ;;\n");
        } else if (positional_files) {
            out += cat("        ", pattern, ")\n            if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"",
                       shell_words(words), "\" -- \"$cur\"))\n",
                       "            else compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); fi ;;\n");
        } else {
            out += cat("        ", pattern, ") COMPREPLY=($(compgen -W \"", shell_words(words), "\" -- \"$cur\")) ;;\n");
        }
    }
    out += "    esac\n}\ncomplete -F _mambascope_cli mambascope-cli\n";
    return out;
}

}  // namespace

std::string render_cli_reference(const CLI::App& app, ReferenceFormat format, const std::string& data_dir) {
    const std::vector<CommandInfo> commands = commands_of(app);
    switch (format) {
        case ReferenceFormat::man: return render_man(commands, data_dir);
        case ReferenceFormat::markdown: return render_markdown(commands, data_dir);
        case ReferenceFormat::bash_completion: return render_bash_completion(commands);
    }
    return {};
}

CLI::App* add_reference_command(CLI::App& app, ReferenceOptions& options) {
    auto* sub = app.add_subcommand("reference", "the reference of these commands as a man page, Markdown or bash completion");
    sub->group("");   // hidden: the build and the docs use it, users read its output
    sub->add_option("--format", options.format, "man | markdown | bash-completion")
        ->required()
        ->check(CLI::IsMember({"man", "markdown", "bash-completion"}));
    sub->add_option("--data-dir", options.data_dir,
                    "folder holding demo/ and models/ as the examples name it (default: resources for Markdown, "
                    "/usr/share/mambascope for the man page)");
    sub->add_option("-o,--output", options.output, "write to this file (default: standard output)");
    return sub;
}

int cmd_reference(const CLI::App& app, const ReferenceOptions& options) {
    const ReferenceFormat format = options.format == "man"        ? ReferenceFormat::man
                                   : options.format == "markdown" ? ReferenceFormat::markdown
                                                                  : ReferenceFormat::bash_completion;
    const std::string data_dir = !options.data_dir.empty()           ? options.data_dir
                                 : format == ReferenceFormat::man ? std::string("/usr/share/mambascope")
                                                                  : std::string("resources");
    const std::string text = render_cli_reference(app, format, data_dir);
    if (options.output.empty()) {
        std::fputs(text.c_str(), stdout);
        return 0;
    }
    auto file = AtomicFile::create(options.output);
    Result<void> written = file ? file.value().write(text.data(), text.size()) : Result<void>(file.error());
    if (written) written = file.value().commit();
    if (!written) {
        std::fprintf(stderr, "error: cannot write the reference to '%s': %s\n", options.output.c_str(),
                     written.error().message.c_str());
        return 1;
    }
    return 0;
}

}  // namespace ms

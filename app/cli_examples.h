// Usage examples of the mambascope-cli commands, run on the bundled demo data and model. One list
// feeds each command's --help footer, the man page and docs/cli.md (app/cli_reference.h), so the three
// show the same examples, and the docs test that runs docs/cli.md's commands keeps all of them working.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace ms {

struct CliExample {
    std::string what;      // one sentence: what the example does
    std::string command;   // one command line; "{data}" stands for the folder holding demo/ and models/
};

// The examples of one subcommand ("" for the program itself); empty when it has none. Commands that
// read a database use the one an earlier example wrote (score before export), in subcommand order.
const std::vector<CliExample>& cli_examples(std::string_view command);

// An example's command line with "{data}" replaced by data_dir ("resources" in the source tree,
// "/usr/share/mambascope" in the Debian package).
std::string expand_example(const std::string& command, const std::string& data_dir);

// Where this program's demo data is shown to be in --help: <exe>/../share/mambascope when installed
// (a Debian package or an unpacked tarball), else "resources" (the source tree, as in docs/cli.md).
std::string example_data_dir();

// Appends an "Examples:" section to the footer of every subcommand of app that has examples (a footer
// a subcommand only inherited from app is replaced, since it talks about the program, not the command).
void add_example_footers(CLI::App& app, const std::string& data_dir);

}  // namespace ms

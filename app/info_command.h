// `mambascope-cli info FILE...`: the subcommand's options and its run, kept out of cli_main.cpp so
// the entry point stays a list of subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "app/file_info.h"

namespace ms {

struct InfoCommandOptions {
    std::vector<std::string> paths;
    InfoOptions info;
    bool json = false, keep_secondary = false, keep_supplementary = false, keep_duplicates = false,
         keep_qc_fail = false, mapped_only = false;
    std::string output;
};

CLI::App* add_info_command(CLI::App& app, InfoCommandOptions& o);
int cmd_info(InfoCommandOptions o);

}  // namespace ms

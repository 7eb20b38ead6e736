// hub: the subcommands of the hub tool, one file each (main.cpp only dispatches).
//
// Each setup_* adds its subcommand's options to `cmd` and returns the body run_tool() runs when that
// subcommand was given (rvkit/cli/tool.hpp: exit 2 for a bad command line, 1 for other errors).
#pragma once
#include <CLI/CLI.hpp>

#include "rvkit/cli/tool.hpp"

namespace hub_tool {

rvkit::ToolBody setup_serve(CLI::App& cmd, rvkit::CommonOptions& common);    // serve_command.cpp
rvkit::ToolBody setup_run(CLI::App& cmd, rvkit::CommonOptions& common);      // run_command.cpp
// control_commands.cpp: clients of a running `hub run`'s control socket.
rvkit::ToolBody setup_status(CLI::App& cmd, rvkit::CommonOptions& common);
rvkit::ToolBody setup_restart(CLI::App& cmd, rvkit::CommonOptions& common);
rvkit::ToolBody setup_stop(CLI::App& cmd, rvkit::CommonOptions& common);
rvkit::ToolBody setup_logs(CLI::App& cmd, rvkit::CommonOptions& common);

}  // namespace hub_tool

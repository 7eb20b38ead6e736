// rvkit: the command-line conventions every tool shares.
//
//   int main(int argc, char** argv) {
//     return rvkit::run_tool("probe", argc, argv, "Describe the messages of a stream.",
//       [&](CLI::App& app, rvkit::CommonOptions& common) {
//         common.add_input(app);  common.add_output(app);  // --in / --out, --max-bytes
//         ... app.add_option(...) ...
//         return [&]() -> int { ... the tool's work ...; return 0; };
//       });
//   }
//
// run_tool() sets the process-wide tool name (rvkit/core/log.hpp), adds --help, --version and -v/--verbose, installs the signal handlers, parses,
// runs the tool, and turns any rvkit::Error (or other exception) into one line
// "TOOL: message" on stderr and exit status 1. Bad options exit with status 2.
#pragma once
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "rvkit/core/log.hpp"
#include "rvkit/core/message.hpp"
#include "rvkit/io/transport.hpp"

namespace rvkit {

struct CommonOptions {
  std::string in = "-";
  std::string out = "-";
  int verbose = 0;
  uint64_t max_bytes = kDefaultMaxPayloadBytes;

  void add_input(CLI::App& app);   // --in, --max-bytes
  void add_output(CLI::App& app);  // --out
  InputOptions input_options() const { return InputOptions{max_bytes}; }
};

using ToolBody = std::function<int()>;
using ToolSetup = std::function<ToolBody(CLI::App&, CommonOptions&)>;

int run_tool(const char* tool, int argc, char** argv, const std::string& description, const ToolSetup& setup);


}  // namespace rvkit

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
// and runs the tool. Exit statuses, each failure one line on stderr:
//   2  a bad command line: CLI11's parse errors and rvkit::OptionError (rvkit/cli/option_error.hpp),
//      wherever thrown (parsing, the tool body, a library checking the values it was given):
//      "TOOL: message (see --help)"
//   1  any other rvkit::Error (or exception) from the tool body: "TOOL: message"
// The options several tools share are declared in rvkit/cli/shared_options.hpp, their values
// parsed by rvkit/cli/option_parsers.hpp.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "rvkit/core/option_error.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/core/message.hpp"
#include "rvkit/io/transport.hpp"

namespace rvkit {

struct CommonOptions {
  std::string in = "-";
  std::string out = "-";
  int verbose = 0;
  uint64_t max_bytes = kDefaultMaxPayloadBytes;

  // --in (one input), --max-bytes and --hub.
  void add_input(CLI::App& app, const std::string& group = "Options");
  // --in, repeatable, into `ins` (for a tool that reads several inputs besides stdin), --max-bytes
  // and --hub.
  void add_inputs(CLI::App& app, std::vector<std::string>& ins, const std::string& group = "Options");
  // --out, --hub, and --lossless / --subscribers for a ZeroMQ or hub output (OutputOptions).
  void add_output(CLI::App& app, const std::string& group = "Options");
  InputOptions input_options() const {
    InputOptions o;
    o.max_payload = max_bytes;
    return o;
  }
  OutputOptions output_options() const { return out_options; }
  OutputOptions out_options;  // --lossless, --subscribers (a tool may set lossless itself: cap, for files)
};

// --hub BASE: where the hub of `--in hub` / `--out hub` is (rvkit/io/hub_address.hpp: set_hub_address;
// without it $RVKIT_HUB, else tcp://127.0.0.1:5550). Added once, however often it is called; a bad
// address is a bad command line. `description` replaces the tools' one (hub serve: the address served).
void add_hub_option(CLI::App& app, const std::string& group = "Options", const std::string& description = "");

using ToolBody = std::function<int()>;
using ToolSetup = std::function<ToolBody(CLI::App&, CommonOptions&)>;

int run_tool(const char* tool, int argc, char** argv, const std::string& description, const ToolSetup& setup);


}  // namespace rvkit

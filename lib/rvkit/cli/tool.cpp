#include "rvkit/cli/tool.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "rvkit/core/signals.hpp"
#include "rvkit/io/hub_address.hpp"

namespace rvkit {

namespace {

constexpr const char* kInputs =
    "'-' (stdin), a file or FIFO, a ZeroMQ endpoint (tcp://HOST:PORT, ipc://PATH[?topic=PREFIX]), shared memory (shm://NAME), or the hub (hub[?topic=PREFIX])";

// The one line and status of a bad command line, whoever found it.
int bad_command_line(const std::string& message) {
  log_line(message + " (see --help)");
  return 2;
}

}  // namespace

void add_hub_option(CLI::App& app, const std::string& group, const std::string& description) {
  if (app.get_option_no_throw("--hub")) return;
  app.add_option_function<std::string>("--hub", [](const std::string& base) { set_hub_address(base); },
                                       !description.empty()
                                           ? description
                                           : fmt::format("Where the hub of --in/--out hub is: tcp://HOST[:PORT] or ipc://DIR "
                                                         "(default: ${}, else tcp://127.0.0.1:{})",
                                                         kHubEnvVar, kDefaultHubPort))
      ->type_name("BASE")
      ->check([](const std::string& base) -> std::string {
        try {
          hub_endpoints_for(base);
          return "";
        } catch (const OptionError& e) {
          return e.what();
        }
      })
      ->group(group);
}

void CommonOptions::add_input(CLI::App& app, const std::string& group) {
  app.add_option("--in", in, fmt::format("Input: {}", kInputs))->capture_default_str()->group(group);
  app.add_option("--max-bytes", max_bytes, "Largest payload accepted, in bytes")->capture_default_str()->group(group);
  add_hub_option(app, group);
}

void CommonOptions::add_inputs(CLI::App& app, std::vector<std::string>& ins, const std::string& group) {
  app.add_option("--in", ins, fmt::format("Input (repeatable; stdin is read too): {}", kInputs))->group(group);
  app.add_option("--max-bytes", max_bytes, "Largest payload accepted, in bytes")->capture_default_str()->group(group);
  add_hub_option(app, group);
}

void CommonOptions::add_output(CLI::App& app, const std::string& group) {
  app.add_option("--out", out,
                 "Output: '-' (stdout), a file or FIFO, a ZeroMQ endpoint to publish on (tcp://*:PORT, ipc://PATH), shared memory for readers on this machine (shm://NAME[?slots=N]), or the hub (hub)")
      ->capture_default_str()
      ->group(group);
  add_hub_option(app, group);
  app.add_flag("--lossless", out_options.lossless,
               "ZeroMQ/hub/shm output: wait for subscribers and never drop (recorded streams; cap sets it for files)")
      ->group(group);
  app.add_option("--subscribers", out_options.subscribers,
                 "Lossless ZeroMQ or shm output: how many subscribers to wait for before the first message")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str()
      ->group(group);
}

int run_tool(const char* tool, int argc, char** argv, const std::string& description, const ToolSetup& setup) {
  set_tool_name(tool);
  CommonOptions common;
  CLI::App app(description, tool);
  app.set_version_flag("--version", fmt::format("{} (rvkit) {}", tool, RVKIT_VERSION));
  app.add_flag("-v,--verbose", common.verbose, "Print a stats line on stderr every second");
  app.get_formatter()->column_width(34);
  ToolBody body;
  try {
    body = setup(app, common);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return bad_command_line(e.what());
  } catch (const OptionError& e) {  // from a shared parser, while parsing
    return bad_command_line(e.what());
  } catch (const std::exception& e) {
    log_line(e.what());
    return 2;
  }
  install_signal_handlers();
  try {
    return body();
  } catch (const OptionError& e) {  // the body, or a library it called, found an option value bad
    return bad_command_line(e.what());
  } catch (const std::exception& e) {
    log_line(e.what());
    return 1;
  }
}

}  // namespace rvkit

// hub run FILE: start and supervise everything in a launch file (docs/launch.md).
//
// Reads the whole file first (a bad one is one line and exit 2, with nothing started), then hands
// it to the supervisor's event loop (rvkit/supervisor/supervisor.hpp), which runs until everything
// has stopped and says by its exit status whether anything failed.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "rvkit/io/hub_address.hpp"
#include "rvkit/supervisor/control_server.hpp"
#include "rvkit/supervisor/launch_file.hpp"
#include "rvkit/supervisor/poll_source.hpp"
#include "rvkit/supervisor/status_page.hpp"
#include "rvkit/supervisor/supervisor.hpp"

namespace hub_tool {

namespace {

struct RunOptions {
  std::string file;
  std::vector<std::string> sets;
  std::optional<int> http_port;
  std::string control;
};

}  // namespace

rvkit::ToolBody setup_run(CLI::App& cmd, rvkit::CommonOptions& common) {
  auto o = std::make_shared<RunOptions>();
  cmd.add_option("FILE", o->file, "The launch file (TOML, docs/launch.md)")->required();
  cmd.add_option("--set", o->sets, "Set a variable of the file's [vars] table: NAME=VALUE (repeatable)");
  cmd.add_option("--http", o->http_port, "Serve the status page on this TCP port (overrides [hub].http)")
      ->check(CLI::Range(1, 65535));
  cmd.add_option("--control", o->control, "The control socket's path (overrides [hub].control)");
  cmd.fallthrough();  // -v, the tool's common flag, may follow `run FILE`
  return [o, &common]() -> int {
    rvkit::supervisor::LaunchFile file;
    try {
      rvkit::supervisor::LaunchOptions launch;
      for (auto& s : o->sets) rvkit::supervisor::add_set_option(launch.vars, s);
      file = rvkit::supervisor::read_launch_file(o->file, launch);
    } catch (const rvkit::supervisor::LaunchFileError& e) {
      rvkit::log_line(e.what());
      return 2;
    }
    if (o->http_port) file.hub.http_port = o->http_port;
    if (!o->control.empty()) file.hub.control = o->control;
    // The control socket and the status page first: one that cannot listen (another hub run has
    // the socket, the port is taken) is an error before anything has started.
    namespace sv = rvkit::supervisor;
    sv::ControlServer control(file.hub.control);
    std::unique_ptr<sv::StatusPage> page;
    if (file.hub.http_port) page = std::make_unique<sv::StatusPage>("", *file.hub.http_port);
    sv::SupervisorOptions options;
    options.hub_address = rvkit::hub_address();
    options.verbose = common.verbose;
    sv::Supervisor supervisor(std::move(file), options);
    sv::ServerPollSource<sv::ControlServer> control_source(control);
    supervisor.add_source(control_source);
    std::unique_ptr<sv::ServerPollSource<sv::StatusPage>> page_source;
    if (page) {
      page_source = std::make_unique<sv::ServerPollSource<sv::StatusPage>>(*page);
      supervisor.add_source(*page_source);
    }
    if (common.verbose) {
      rvkit::log_line("control socket " + control.path());
      if (page) rvkit::log_line("status page http://localhost:" + std::to_string(page->port()) + "/");
    }
    return supervisor.run();
  };
}

}  // namespace hub_tool

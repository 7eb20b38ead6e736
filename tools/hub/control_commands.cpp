// hub status, restart, stop, logs: clients of a running `hub run`'s control socket
// (rvkit/supervisor/control_server.hpp has the protocol). Each sends one request and prints the
// reply; no hub run listening, an unknown name or a refused request is one line and exit 1.
#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "rvkit/supervisor/control_client.hpp"
#include "rvkit/supervisor/status.hpp"

namespace hub_tool {

namespace sv = rvkit::supervisor;

namespace {

struct ClientOptions {
  std::string control;  // "" = the default path
  double timeout_s = 5;
};

std::shared_ptr<ClientOptions> add_client_options(CLI::App& cmd) {
  auto o = std::make_shared<ClientOptions>();
  cmd.add_option("--control", o->control,
                 "The control socket of the hub run (default: $XDG_RUNTIME_DIR/rvkit/hub.sock, "
                 "else /tmp/rvkit-hub-UID/hub.sock)");
  cmd.add_option("--timeout", o->timeout_s, "Seconds to wait for the reply")->check(CLI::PositiveNumber)
      ->capture_default_str();
  return o;
}

}  // namespace

rvkit::ToolBody setup_status(CLI::App& cmd, rvkit::CommonOptions&) {
  auto o = add_client_options(cmd);
  auto json = std::make_shared<bool>(false);
  cmd.add_flag("--json", *json, "Print the processes as a JSON array (the fields of docs/launch.md, \"Control\")");
  return [o, json]() -> int {
    rvkit::Json reply = sv::control_call(o->control, {{"cmd", "status"}}, o->timeout_s);
    const rvkit::Json& list = reply.at("processes");
    if (*json) {
      std::cout << list.dump(2, ' ', false, rvkit::Json::error_handler_t::replace) << "\n";
      return 0;
    }
    std::vector<sv::ProcessStatus> processes;
    for (const rvkit::Json& p : list) processes.push_back(sv::process_status_from_json(p));
    std::cout << sv::status_table(processes);
    return 0;
  };
}

rvkit::ToolBody setup_restart(CLI::App& cmd, rvkit::CommonOptions&) {
  auto o = add_client_options(cmd);
  auto name = std::make_shared<std::string>();
  cmd.add_option("NAME", *name, "The process to restart (its name in the launch file)")->required();
  return [o, name]() -> int {
    sv::control_call(o->control, {{"cmd", "restart"}, {"name", *name}}, o->timeout_s);
    return 0;
  };
}

rvkit::ToolBody setup_stop(CLI::App& cmd, rvkit::CommonOptions&) {
  auto o = add_client_options(cmd);
  auto name = std::make_shared<std::string>();
  cmd.add_option("NAME", *name, "The process to stop (it stays stopped); none: stop everything, hub run ends");
  return [o, name]() -> int {
    rvkit::Json req{{"cmd", "stop"}};
    if (!name->empty()) req["name"] = *name;
    sv::control_call(o->control, req, o->timeout_s);
    return 0;
  };
}

rvkit::ToolBody setup_logs(CLI::App& cmd, rvkit::CommonOptions&) {
  auto o = add_client_options(cmd);
  auto name = std::make_shared<std::string>();
  auto lines = std::make_shared<size_t>(0);
  cmd.add_option("NAME", *name, "The process whose output to show")->required();
  cmd.add_option("-n,--lines", *lines, "Show only the last N lines (default: all that are kept, [hub].log_lines)");
  return [o, name, lines]() -> int {
    rvkit::Json reply =
        sv::control_call(o->control, {{"cmd", "logs"}, {"name", *name}, {"lines", *lines}}, o->timeout_s);
    for (const rvkit::Json& line : reply.at("lines"))
      std::cout << (line.is_string() ? line.get<std::string>() : line.dump()) << "\n";
    return 0;
  };
}

}  // namespace hub_tool

#include "rvkit/nt/connect_options.hpp"

#include <fmt/format.h>

#include "rvkit/core/log.hpp"
#include "rvkit/core/option_error.hpp"
#include "rvkit/core/error.hpp"

namespace rvkit::nt {

void ConnectOptions::add_to(CLI::App& app, const std::string& default_name) {
  name = default_name;
  auto* t = app.add_option("--team", team,
                           "Team number: find the robot as WPILib does (10.TE.AM.2, 172.22.11.2, roboRIO-N-FRC.local, "
                           ".lan, .frc-field.local), all at once")
                ->check(CLI::Range(1, 99999));
  auto* s = app.add_option("--server", server, "NetworkTables server HOST[:PORT] (default: localhost)");
  t->excludes(s);
  app.add_option("--port", port, "Server port when not given with --server")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--client-name", name, "Client name the server and dashboards show")->capture_default_str();
}

ClientOptions ConnectOptions::client_options(bool verbose) const {
  ClientOptions o;
  o.verbose = verbose;
  o.name = name;
  if (o.name.find('@') != std::string::npos)
    throw OptionError("--client-name", name, "must not contain '@'");
  if (team > 0) {
    o.servers = team_addresses(team, port);
  } else if (!server.empty()) {
    o.servers.push_back(parse_server_address(server, port));
  } else {
    o.servers.push_back({"localhost", port});
    log_line(fmt::format("no --team or --server given: connecting to localhost:{} (a robot simulator or ntserver)",
                               port));
  }
  return o;
}

}  // namespace rvkit::nt

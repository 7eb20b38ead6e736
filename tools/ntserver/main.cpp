// ntserver: a standalone NetworkTables 4 server, for benches without a robot (man ntserver).
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "rvkit/cli/shared_options.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/nt/server.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/core/stats.hpp"

int main(int argc, char** argv) {
  rvkit::nt::ServerOptions o;
  return rvkit::run_tool(
      "ntserver", argc, argv,
      "A NetworkTables 4 server (like a robot's), so pipelines and dashboards can be tested on a bench.",
      [&](CLI::App& app, rvkit::CommonOptions& common) {
        rvkit::add_listen_port_option(app, o.port);
        app.add_option("--bind", o.bind, "Address to listen on ('::' is every IPv6 and IPv4 address)")
            ->capture_default_str();
        app.add_option("--persist", o.persist_file,
                       "Load persistent topics from this JSON file at start and save them to it");
        app.add_option("--max-message", o.max_message_bytes,
                       "Largest WebSocket message accepted, in bytes (larger ones close the connection)")
            ->capture_default_str()
            ->check(CLI::Range(size_t(1024), size_t(1) << 30));
        app.add_flag("!--no-v41", o.offer_v41, "Speak only NT 4.0 (to test clients' fallback)");
        app.add_option("--max-clients", o.max_clients, "Clients served at once")->capture_default_str();
        return [&]() -> int {
          o.verbose = common.verbose > 0;
          rvkit::nt::Server server(o);
          server.start();
          rvkit::log_line(fmt::format("listening on port {}", server.port()));
          rvkit::Stats stats("values in", o.verbose);
          uint64_t last_in = 0;
          while (!rvkit::stop_requested()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            auto c = server.counters();
            stats.add(0, c.values_in - last_in);
            last_in = c.values_in;
            stats.report(fmt::format("{} clients, {} topics, {} values out, {} bad messages", c.clients, c.topics,
                                     c.values_out, c.bad_messages));
          }
          server.stop();
          return 0;
        };
      });
}

// ntsub: subscribes to NetworkTables 4 topics and writes their values as records (man ntsub).
#include <string>
#include <vector>

#include "rvkit/cli/shared_options.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/nt/client.hpp"
#include "rvkit/nt/connect_options.hpp"
#include "rvkit/nt/subscriber.hpp"

int main(int argc, char** argv) {
  rvkit::nt::ConnectOptions conn;
  std::vector<std::string> topics;
  bool all_prefix = false, latest = false;
  double period = 0.1, periodic = 0.01, timeout = 0;
  int64_t count = 0;
  return rvkit::run_tool(
      "ntsub", argc, argv,
      "Subscribe to NetworkTables 4 topics and write one {\"type\":\"nt\",...} record per value change.",
      [&](CLI::App& app, rvkit::CommonOptions& common) {
        app.add_option("topics", topics,
                       "Topics to subscribe to; a name ending in '/' is a prefix (default: every topic)");
        common.add_output(app);
        conn.add_to(app, "rvkit-ntsub");
        app.add_flag("--prefix", all_prefix, "Treat every topic given as a prefix");
        app.add_flag("--latest", latest, "Write a snapshot of the latest values every --period instead");
        app.add_option("--period", period, "Seconds between snapshots with --latest")
            ->capture_default_str()
            ->check(CLI::Range(0.001, 3600.0));
        app.add_option("--periodic", periodic, "The subscription's periodic option (seconds): the server combines "
                                               "changes closer together than this")
            ->capture_default_str()
            ->check(CLI::Range(0.001, 10.0));
        rvkit::add_count_option(app, count, "Records");
        app.add_option("--timeout", timeout, "Stop after this many seconds (0: never)")->capture_default_str();
        return [&]() -> int {
          bool verbose = common.verbose > 0;
          rvkit::nt::RecordQueue queue(latest);
          rvkit::nt::ClientOptions co = conn.client_options(verbose);
          rvkit::nt::Client* cp = nullptr;
          co.on_value = [&](const rvkit::nt::TopicInfo& info, const rvkit::nt::Value& v, int64_t ts) {
            queue.add(info, v, ts, cp->time().to_local(ts));
          };
          rvkit::nt::Client client(co);
          cp = &client;
          rvkit::nt::SubscribeOptions so;
          so.periodic = periodic;
          so.all = !latest;
          std::vector<std::string> exact, prefixes;
          if (topics.empty()) prefixes.push_back("");
          for (const auto& t : topics) {
            if (all_prefix || (!t.empty() && t.back() == '/')) prefixes.push_back(t);
            else exact.push_back(t);
          }
          if (!exact.empty()) client.subscribe(exact, so);
          if (!prefixes.empty()) {
            so.prefix = true;
            client.subscribe(prefixes, so);
          }
          auto out = rvkit::open_output(common.out, common.output_options());
          client.start();

          rvkit::Stats stats("records", verbose);
          rvkit::nt::RecordWriterOptions wo;
          wo.snapshots = latest;
          wo.period_s = period;
          wo.count = count;
          wo.timeout_s = timeout;
          wo.verbose = verbose;
          rvkit::nt::write_records(queue, *out, wo, stats, [&] {
            return client.connected() ? "connected to " + client.server() : std::string("not connected");
          });
          client.stop();
          queue.report_drops();
          return 0;
        };
      });
}

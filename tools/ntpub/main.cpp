// ntpub: publishes records (detections, camera announcements, anything via --map) to
// NetworkTables 4 (man ntpub, docs/nt.md).
#include <fmt/format.h>

#include "rvkit/cli/option_parsers.hpp"
#include "rvkit/cli/shared_options.hpp"
#include "rvkit/cli/tool.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/geometry/field_layout.hpp"
#include "rvkit/nt/client.hpp"
#include "rvkit/nt/connect_options.hpp"
#include "rvkit/nt/publisher.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/transport.hpp"

namespace {

// The publisher's topics go to the NT client.
class ClientSink : public rvkit::nt::TopicSink {
 public:
  explicit ClientSink(rvkit::nt::Client& c) : c_(c) {}
  int publish(const std::string& name, const std::string& type, const rvkit::Json& props) override {
    return c_.publish(name, type, props);
  }
  void set(int h, rvkit::nt::Value v, int64_t t) override { c_.set(h, std::move(v), t); }

 private:
  rvkit::nt::Client& c_;
};

}  // namespace

int main(int argc, char** argv) {
  rvkit::nt::ConnectOptions conn;
  rvkit::nt::PublisherOptions popts;
  std::vector<std::string> maps;
  std::string field, field_size;
  double linger = 2.0;
  return rvkit::run_tool(
      "ntpub", argc, argv,
      "Publish records to NetworkTables 4: detections (rvkit or Limelight keys), camera streams, any field.",
      [&](CLI::App& app, rvkit::CommonOptions& common) {
        common.add_input(app);
        conn.add_to(app, "rvkit-ntpub");
        app.add_option("--schema", popts.schema, "Topics for detections: rvkit, limelight (Limelight's keys) or none")
            ->capture_default_str()
            ->check(CLI::IsMember({"rvkit", "limelight", "none"}));
        app.add_option("--table", popts.table,
                       "Table of the detections topics (default /rvkit/<cam>, or limelight; {cam} is replaced; "
                       "with --schema limelight use limelight-NAME)");
        app.add_option("--map", maps, "Publish a record field: 'field.path=/Topic:type' (repeatable)");
        rvkit::add_field_option(app, field, "Field layout, whose size gives botpose and botpose_wpired");
        app.add_option("--field-size", field_size, "Field LENGTH,WIDTH in metres (instead of --field)");
        app.add_option("--linger", linger, "At the end of the input, wait this long for unsent values (seconds)")
            ->capture_default_str()
            ->check(CLI::Range(0.0, 60.0));
        return [&]() -> int {
          for (const auto& m : maps) popts.maps.push_back(rvkit::nt::MapRule::parse(m));
          if (!field.empty()) {
            auto layout = rvkit::geometry::load_field_layout(field);
            if (common.verbose) rvkit::log_line("field layout: " + layout.describe());
            auto [l, w] = rvkit::nt::field_size(layout);
            popts.field_length = l;
            popts.field_width = w;
          }
          if (!field_size.empty()) {
            auto v = rvkit::parse_number_list("--field-size", field_size, "LENGTH,WIDTH");
            if (!(v[0] > 0 && v[1] > 0)) throw rvkit::OptionError("--field-size", field_size, "LENGTH and WIDTH must be positive (metres)");
            popts.field_length = v[0];
            popts.field_width = v[1];
          }
          bool verbose = common.verbose > 0;
          rvkit::nt::Client client(conn.client_options(verbose));
          ClientSink sink(client);
          rvkit::nt::RecordPublisher publisher(sink, popts, [](const std::string& w) { rvkit::log_line(w); });
          client.start();
          auto in = rvkit::open_input(common.in, common.input_options());
          rvkit::Message m;
          rvkit::Stats stats("records", verbose);
          while (in->read(m)) {
            if (m.is_frame()) continue;  // frames pass by; only records are published
            size_t n = publisher.handle(m.header, rvkit::now_us());
            if (n) client.flush();
            stats.add(m.payload.size());
            if (verbose) {
              auto c = client.counters();
              stats.report(client.connected()
                               ? fmt::format("{} values sent, RTT {:.2f} ms, {}", c.values_sent,
                                             client.time().rtt_us() / 1000.0, client.server())
                               : "not connected (keeping the latest value of each topic)");
            }
          }
          if (!rvkit::stop_requested() && linger > 0) {
            client.flush();
            if (!client.wait_idle(int(linger * 1000)))
              rvkit::log_line(fmt::format("input ended; some values were not sent within {} s", linger));
          }
          client.stop();
          return 0;
        };
      });
}

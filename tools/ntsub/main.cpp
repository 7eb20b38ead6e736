// ntsub: subscribes to NetworkTables 4 topics and writes their values as records (man ntsub).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "rvkit/cli/tool.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/nt/client.hpp"
#include "rvkit/nt/connect_options.hpp"
#include "rvkit/nt/geometry.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/records/nt.hpp"

namespace {

constexpr size_t kMaxQueued = 100000;  // records waiting for a slow output; older ones are dropped

// A value as it goes into a record: structs we know are decoded, other raw data is base64.
rvkit::Json record_value(const rvkit::nt::TopicInfo& info, const rvkit::nt::Value& v) {
  if (info.type == "struct:Pose3d" && v.type() == rvkit::nt::NtType::Raw)
    if (auto p = rvkit::nt::unpack_pose3d(v.get<rvkit::nt::Bytes>())) return rvkit::nt::pose_to_json(*p);
  return rvkit::nt::value_to_json(v);
}

}  // namespace

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
        app.add_option("--count", count, "Stop after this many records (0: never)")->capture_default_str();
        app.add_option("--timeout", timeout, "Stop after this many seconds (0: never)")->capture_default_str();
        return [&]() -> int {
          bool verbose = common.verbose > 0;
          std::mutex mu;
          std::condition_variable cv;
          std::deque<rvkit::Json> queue;
          std::map<std::string, std::pair<rvkit::Json, int64_t>> latest_values;
          uint64_t dropped = 0;

          rvkit::nt::ClientOptions co = conn.client_options(verbose);
          rvkit::nt::Client* cp = nullptr;
          co.on_value = [&](const rvkit::nt::TopicInfo& info, const rvkit::nt::Value& v, int64_t ts) {
            int64_t local = cp->time().to_local(ts);
            std::lock_guard<std::mutex> lock(mu);
            if (latest) {
              latest_values[info.name] = {record_value(info, v), local};
              return;
            }
            rvkit::records::Nt n;
            n.topic = info.name;
            n.ntype = info.type;
            n.value = record_value(info, v);
            n.t = local;
            n.t_server = ts;
            n.t_recv = rvkit::now_us();
            rvkit::Json r = n;
            if (queue.size() >= kMaxQueued) {
              queue.pop_front();
              ++dropped;
            }
            queue.push_back(std::move(r));
            cv.notify_one();
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
          auto out = rvkit::open_output(common.out);
          client.start();

          rvkit::Stats stats("records", verbose);
          int64_t written = 0;
          int64_t end = timeout > 0 ? rvkit::mono_us() + int64_t(timeout * 1e6) : 0;
          int64_t next_snapshot = rvkit::mono_us() + int64_t(period * 1e6);
          bool done = false;
          while (!done && !rvkit::stop_requested()) {
            if (end && rvkit::mono_us() >= end) break;
            std::deque<rvkit::Json> batch;
            {
              std::unique_lock<std::mutex> lock(mu);
              int wait_ms = 100;
              if (latest) wait_ms = int(std::max<int64_t>(0, (next_snapshot - rvkit::mono_us()) / 1000));
              cv.wait_for(lock, std::chrono::milliseconds(std::min(wait_ms, 100)), [&] { return !queue.empty(); });
              batch.swap(queue);
              if (latest && rvkit::mono_us() >= next_snapshot) {
                next_snapshot += int64_t(period * 1e6);
                if (next_snapshot < rvkit::mono_us()) next_snapshot = rvkit::mono_us() + int64_t(period * 1e6);
                rvkit::records::NtSnapshot snap;
                snap.t = rvkit::now_us();
                snap.times.emplace();
                for (const auto& [name, vt] : latest_values) {
                  snap.values[name] = vt.first;
                  (*snap.times)[name] = vt.second;
                }
                batch.push_back(rvkit::Json(snap));
              }
            }
            for (auto& r : batch) {
              if (!out->write(r, nullptr, 0)) {
                done = true;  // the reader went away
                break;
              }
              stats.add(0);
              if (count > 0 && ++written >= count) {
                done = true;
                break;
              }
            }
            if (verbose) {
              std::lock_guard<std::mutex> lock(mu);
              stats.report(fmt::format("{} dropped by a slow output, {}", dropped,
                                       client.connected() ? "connected to " + client.server() : "not connected"));
            }
          }
          client.stop();
          if (dropped) rvkit::log_line(fmt::format("{} values were dropped because the output was slow", dropped));
          return 0;
        };
      });
}

// rvkit hub: the proxy loop (see proxy.hpp).
#include "rvkit/hub/proxy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <zmq.hpp>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/core/message.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/hub/last_value_cache.hpp"
#include "rvkit/hub/lossless_ingress.hpp"
#include "rvkit/hub/subscriptions.hpp"
#include "rvkit/hub/topic_stats.hpp"
#include "rvkit/records/hub.hpp"

namespace rvkit::hub {
namespace {

using Parts = std::vector<zmq::message_t>;

constexpr int kBatch = 64;               // messages read from one socket per turn, so none starves
constexpr int kRetryMs = 1;              // how soon a refused lossless send is tried again
constexpr int kIdleMs = 100;             // the longest poll: stop requests are seen this fast
constexpr int64_t kReplayGiveUpUs = 1'000'000;  // a cached record a full subscriber refuses this long is dropped

uint64_t size_of(const Parts& parts) {
  uint64_t n = 0;
  for (const auto& p : parts) n += p.size();
  return n;
}

std::vector<std::string> copy_of(const Parts& parts) {
  std::vector<std::string> out;
  out.reserve(parts.size());
  for (const auto& p : parts) out.push_back(p.to_string());
  return out;
}

// Connections to one bound socket, counted from its monitor's events.
struct ConnectionCount {
  zmq::socket_t pair;
  int connections = 0;

  ConnectionCount(zmq::context_t& ctx, zmq::socket_t& watched, const std::string& name)
      : pair(ctx, zmq::socket_type::pair) {
    std::string address = "inproc://rvkit-hub-monitor-" + name;
    if (zmq_socket_monitor(watched.handle(), address.c_str(), ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0)
      throw Error(fmt::format("hub: cannot monitor the {} socket: {}", name, zmq_strerror(zmq_errno())));
    pair.connect(address);
  }
  void on_readable() {
    for (;;) {
      zmq::message_t event, address;
      if (!pair.recv(event, zmq::recv_flags::dontwait)) return;
      if (event.more()) (void)pair.recv(address, zmq::recv_flags::none);
      if (event.size() < 2) continue;
      uint16_t id;
      std::memcpy(&id, event.data(), sizeof id);
      if (id == ZMQ_EVENT_ACCEPTED) ++connections;
      if (id == ZMQ_EVENT_DISCONNECTED && connections > 0) --connections;
    }
  }
};

void bind_all(zmq::socket_t& sock, const std::vector<std::string>& addresses, const char* role) {
  for (const std::string& a : addresses) {
    try {
      sock.bind(a);
    } catch (const zmq::error_t& e) {
      throw Error(fmt::format("{} endpoint {}: cannot bind: {}", role, a, e.what()));
    }
  }
}

}  // namespace

struct Proxy::Impl {
  ProxyOptions opts;
  zmq::context_t ctx{1};
  zmq::socket_t xsub{ctx, zmq::socket_type::xsub};
  zmq::socket_t xpub{ctx, zmq::socket_type::xpub};           // live: XPUB_NODROP off
  zmq::socket_t router{ctx, zmq::socket_type::router};
  zmq::socket_t xpub_lossless{ctx, zmq::socket_type::xpub};  // lossless: XPUB_NODROP on
  std::unique_ptr<ConnectionCount> publishers, subscribers;
  std::atomic<bool> stopping{false};

  SubscriptionSet subs;           // on the live XPUB (every hub input subscribes on both)
  SubscriptionSet lossless_subs;  // on the lossless XPUB
  TopicStats stats;
  LastValueCache cache;
  LosslessPublishers<Parts> lossless;
  std::deque<Parts> own_queue;  // the hub's own must-deliver messages (eos of a vanished publisher)
  struct Replay {
    LastValueCache::Key key;
    int64_t since;
  };
  std::deque<Replay> replays;   // cached state for new subscriptions, sent on the lossless XPUB

  int64_t start_mono = mono_us();
  int64_t next_report = 0, next_publish = 0, next_verbose = 0;
  records::Hub last_record;
  std::string report_pending;   // the part of a report line not yet written to report_fd
  bool report_broken = false;
  ThrottledLog protocol_log;

  explicit Impl(const ProxyOptions& o) : opts(o) {
    for (zmq::socket_t* s : {&xsub, &xpub, &router, &xpub_lossless}) {
      s->set(zmq::sockopt::linger, 0);
      s->set(zmq::sockopt::heartbeat_ivl, kHubHeartbeatMs);
      s->set(zmq::sockopt::heartbeat_timeout, kHubHeartbeatTimeoutMs);
    }
    xsub.set(zmq::sockopt::rcvhwm, kHubReceiveHighWaterMark);
    xpub.set(zmq::sockopt::sndhwm, kHubSendHighWaterMark);
    xpub.set(zmq::sockopt::xpub_verboser, 1);
    xpub_lossless.set(zmq::sockopt::sndhwm, kHubSendHighWaterMark);
    xpub_lossless.set(zmq::sockopt::xpub_verboser, 1);
    xpub_lossless.set(zmq::sockopt::xpub_nodrop, 1);
    router.set(zmq::sockopt::rcvhwm, 1000);  // credit bounds each publisher to its first grant
    router.set(zmq::sockopt::sndhwm, 1000);
    publishers = std::make_unique<ConnectionCount>(ctx, xsub, "publish");
    subscribers = std::make_unique<ConnectionCount>(ctx, xpub, "subscribe");
    if (!opts.endpoints.ipc_dir.empty() && ::mkdir(opts.endpoints.ipc_dir.c_str(), 0700) != 0 && errno != EEXIST)
      throw Error(fmt::format("hub: cannot create {}: {}", opts.endpoints.ipc_dir, std::strerror(errno)));
    bind_all(xsub, opts.endpoints.publish, "publish");
    bind_all(xpub, opts.endpoints.subscribe, "subscribe");
    bind_all(router, opts.endpoints.lossless, "lossless");
    bind_all(xpub_lossless, opts.endpoints.subscribe_lossless, "subscribe_lossless");
    // Everything, from every publisher, from its first message on (XSUB passes this on to each
    // publisher as it connects).
    const char everything = 1;
    xsub.send(zmq::const_buffer(&everything, 1), zmq::send_flags::none);
    if (opts.report_fd >= 0) {
      int fl = fcntl(opts.report_fd, F_GETFL);
      if (fl < 0 || fcntl(opts.report_fd, F_SETFL, fl | O_NONBLOCK) < 0)
        throw Error(fmt::format("--report-fd {}: {}", opts.report_fd, std::strerror(errno)));
    }
  }

  ~Impl() {
    // libzmq leaves the unix socket files behind (it only replaces a stale one when binding):
    // remove ours, so a stopped hub leaves nothing to connect to.
    for (const auto* list : {&opts.endpoints.publish, &opts.endpoints.subscribe, &opts.endpoints.lossless,
                             &opts.endpoints.subscribe_lossless})
      for (const std::string& a : *list)
        if (a.rfind("ipc://", 0) == 0) ::unlink(a.c_str() + 6);
  }

  // Sends a whole message on an XPUB; the parts are moved out when sent. The live XPUB never
  // refuses (a full subscriber loses the message); the lossless one (XPUB_NODROP) refuses when a
  // matching subscriber is full: false, the parts untouched.
  //
  // Why two XPUBs: on one socket, a live send that finds a subscriber's pipe full makes libzmq set
  // that pipe aside until it drains, and a lossless send meanwhile skips it as if it did not match,
  // silently: mixing XPUB_NODROP on and off per send loses lossless messages. (libzmq also leaves
  // a refused message's subscribers marked as matching until the next message goes out, which
  // reaches them too and is refused while they are full: lossless streams share the pace of a full
  // lossless subscriber until it drains. Their SUB sockets filter out what they did not subscribe to.)
  static bool send_on(zmq::socket_t& sock, Parts& parts) {
    for (size_t i = 0; i < parts.size(); ++i) {
      auto flags = (i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none) | zmq::send_flags::dontwait;
      if (!sock.send(parts[i], flags)) {
        // Only the first part can be refused: the high-water mark is checked per message.
        if (i == 0) return false;
        throw Error("hub: a message was cut short on a subscribe endpoint");
      }
    }
    return true;
  }

  // A live message (or the hub's own record): counted, cached when it is state, sent.
  void forward_live(Parts& parts) {
    std::string_view topic(static_cast<const char*>(parts[0].data()), parts[0].size());
    stats.message(topic, size_of(parts), mono_us());
    if (parts.size() >= 2 && is_state_topic(topic))
      cache.store(topic, std::string_view(static_cast<const char*>(parts[1].data()), parts[1].size()), copy_of(parts));
    send_on(xpub, parts);
  }

  void on_publisher_readable() {
    for (int n = 0; n < kBatch; ++n) {
      Parts parts;
      zmq::message_t part;
      if (!xsub.recv(part, zmq::recv_flags::dontwait)) return;
      bool more = part.more();
      parts.push_back(std::move(part));
      while (more) {
        zmq::message_t next;
        (void)xsub.recv(next, zmq::recv_flags::none);  // the rest of a message is already here
        more = next.more();
        parts.push_back(std::move(next));
      }
      forward_live(parts);
    }
  }

  // Subscriptions on the live XPUB: counted (the `hub` record's subscribers).
  void on_subscriber_readable() {
    for (int n = 0; n < kBatch; ++n) {
      zmq::message_t m;
      if (!xpub.recv(m, zmq::recv_flags::dontwait)) return;
      subs.apply(m.data(), m.size());
    }
  }

  // Subscriptions on the lossless XPUB: a lossless publisher's first message waits for one that
  // matches, and a new one gets the cached state records it matches (its slow-joiner gap), sent
  // on this XPUB: never dropped at the high-water mark however many there are (a robot's NT
  // topics), only given up after kReplayGiveUpUs refused by a full subscriber.
  void on_lossless_subscriber_readable() {
    for (int n = 0; n < kBatch; ++n) {
      zmq::message_t m;
      if (!xpub_lossless.recv(m, zmq::recv_flags::dontwait)) return;
      std::optional<std::string> prefix = lossless_subs.apply(m.data(), m.size());
      if (!prefix) continue;
      int64_t now = mono_us();
      for (auto& key : cache.keys_matching(*prefix)) replays.push_back({std::move(key), now});
    }
  }

  // Returns whether a send was refused.
  bool pump_replays() {
    while (!replays.empty()) {
      const Replay& r = replays.front();
      const LastValueCache::Entry* e = cache.find(r.key);
      if (e) {
        Parts parts;
        for (const std::string& p : e->parts) parts.emplace_back(p.data(), p.size());
        if (!send_on(xpub_lossless, parts)) {
          if (mono_us() - r.since < kReplayGiveUpUs) return true;
          stats.drop(e->topic);
          protocol_log.line(fmt::format("a subscriber full for {} s: the cached {} is not replayed to it",
                                        kReplayGiveUpUs / 1000000, e->topic));
        }
      }
      replays.pop_front();
    }
    return false;
  }

  void send_credit(const std::string& id, int n) {
    std::string count = std::to_string(n);
    router.send(zmq::buffer(id), zmq::send_flags::sndmore);
    router.send(zmq::str_buffer("CREDIT"), zmq::send_flags::sndmore);
    router.send(zmq::buffer(count), zmq::send_flags::none);
  }

  void on_lossless_readable() {
    for (int n = 0; n < kBatch; ++n) {
      Parts parts;
      zmq::message_t part;
      if (!router.recv(part, zmq::recv_flags::dontwait)) return;
      bool more = part.more();
      parts.push_back(std::move(part));
      while (more) {
        zmq::message_t next;
        (void)router.recv(next, zmq::recv_flags::none);
        more = next.more();
        parts.push_back(std::move(next));
      }
      if (parts.size() < 2) continue;
      std::string id = parts[0].to_string();
      std::string command = parts[1].to_string();
      if (int credit = lossless.heard(id, mono_us())) send_credit(id, credit);
      if (command == "MSG" && parts.size() >= 4) {
        std::string topic = parts[2].to_string();
        lossless.message(id, std::move(topic), Parts(std::make_move_iterator(parts.begin() + 2),
                                                     std::make_move_iterator(parts.end())));
      } else if (command == "BYE") {
        lossless.bye(id);
        // Everything before BYE has been read: the publisher may close (see zmq_hub_output.cpp on
        // why it must not close sooner).
        router.send(zmq::buffer(id), zmq::send_flags::sndmore);
        router.send(zmq::str_buffer("DONE"), zmq::send_flags::none);
      } else if (command != "PING") {
        protocol_log.line(fmt::format("lossless endpoint: a publisher sent '{}' ({} parts): not MSG, PING or BYE",
                                      command.substr(0, 16), parts.size()));
      }
    }
  }

  // Returns whether a send was refused (a full subscriber): then the loop polls again soon. Messages
  // held for a subscriber need no polling: a subscription arriving wakes the loop.
  bool pump_lossless() {
    bool refused = pump_replays();
    while (!own_queue.empty()) {
      if (!send_on(xpub_lossless, own_queue.front())) {
        refused = true;
        break;
      }
      own_queue.pop_front();
    }
    lossless.pump([&](const std::string& topic) { return lossless_subs.any_matching(topic); },
                  [&](const std::string& topic, Parts& parts) {
                    uint64_t bytes = size_of(parts);
                    std::vector<std::string> copy;
                    if (parts.size() >= 2 && is_state_topic(topic)) copy = copy_of(parts);
                    if (!send_on(xpub_lossless, parts)) return false;
                    stats.message(topic, bytes, mono_us());
                    if (!copy.empty()) {
                      // The header first: store() takes the parts by value, and an argument list's
                      // order is unspecified (GCC moved `copy` out before reading copy[1]: a crash).
                      const std::string header = copy[1];
                      cache.store(topic, header, std::move(copy));
                    }
                    return true;
                  },
                  [&](const std::string& topic) {
                    stats.retry(topic);
                    refused = true;
                  },
                  [&](const std::string& id, int n) { send_credit(id, n); });
    return refused;
  }

  void end_vanished(int64_t now) {
    for (auto& v : lossless.vanished(now)) {
      std::string cams;
      for (const std::string& cam : v.cams) {
        cams += (cams.empty() ? "" : ", ") + cam;
        Json eos{{"type", "eos"}, {"cam", cam}, {"error", "publisher vanished"}};
        std::string topic = "eos/" + cam + "/";
        std::string head = encode_header(eos);
        Parts parts;
        parts.emplace_back(topic.data(), topic.size());
        parts.emplace_back(head.data(), head.size());
        own_queue.push_back(std::move(parts));
      }
      for (const auto& [topic, n] : v.lost) stats.drop(topic, n);
      log_line(fmt::format("lossless publisher vanished (silent for {} s without BYE){}",
                           LosslessPublishers<Parts>::kVanishUs / 1000000,
                           cams.empty() ? "" : ": ended " + cams + " with an error"));
    }
  }

  records::Hub make_record(int64_t now) {
    records::Hub h;
    h.t = now_us();
    h.uptime_s = double(now - start_mono) / 1e6;
    h.publishers = publishers->connections;
    h.lossless_publishers = int(lossless.size());
    h.subscribers = subscribers->connections;
    h.topics = stats.report(now, subs, lossless.publishers_per_topic());
    for (const auto& [prefix, count] : subs.prefixes()) h.subscriptions.push_back({prefix, count});
    return h;
  }

  void write_report() {
    while (!report_pending.empty()) {
      ssize_t n = ::write(opts.report_fd, report_pending.data(), report_pending.size());
      if (n > 0) {
        report_pending.erase(0, size_t(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // the reader is behind: later
      log_line(fmt::format("--report-fd {}: {}: no more reports", opts.report_fd, std::strerror(errno)));
      report_broken = true;
      report_pending.clear();
      return;
    }
  }

  void on_timers() {
    int64_t now = mono_us();
    if (now >= next_report) {
      next_report = now + opts.report_period_us;
      end_vanished(now);
      last_record = make_record(now);
      if (opts.report_fd >= 0 && !report_broken && report_pending.empty()) {
        report_pending = Json(last_record).dump() + "\n";  // a reader that is behind misses this one
        write_report();
      }
      if (now >= next_publish) {
        next_publish = now + opts.publish_period_us;
        std::string topic = "hub/", head = encode_header(Json(last_record));
        Parts parts;
        parts.emplace_back(topic.data(), topic.size());
        parts.emplace_back(head.data(), head.size());
        forward_live(parts);
      }
    }
    if (opts.verbose && now >= next_verbose) {
      next_verbose = now + 1'000'000;
      double msgs = 0, bytes = 0;
      for (const auto& t : last_record.topics) {
        msgs += t.msgs_per_s;
        bytes += double(t.bytes_per_s);
      }
      log_line(fmt::format("{} topics, {:.1f} msg/s, {:.1f} MB/s, {} live + {} lossless publishers, {} subscribers",
                           last_record.topics.size(), msgs, bytes / 1e6, last_record.publishers,
                           last_record.lossless_publishers, last_record.subscribers));
    }
  }

  void run() {
    if (opts.verbose) {
      auto list = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
        return s;
      };
      log_line(fmt::format("publish {}, subscribe {} and {}, lossless {}", list(opts.endpoints.publish),
                           list(opts.endpoints.subscribe), list(opts.endpoints.subscribe_lossless),
                           list(opts.endpoints.lossless)));
    }
    bool refused = false;
    while (!stopping && !stop_requested()) {
      zmq::pollitem_t items[] = {
          {xsub.handle(), 0, ZMQ_POLLIN, 0},
          {xpub.handle(), 0, ZMQ_POLLIN, 0},
          {router.handle(), 0, ZMQ_POLLIN, 0},
          {publishers->pair.handle(), 0, ZMQ_POLLIN, 0},
          {subscribers->pair.handle(), 0, ZMQ_POLLIN, 0},
          {xpub_lossless.handle(), 0, ZMQ_POLLIN, 0},
          {nullptr, opts.report_fd, ZMQ_POLLOUT, 0},
      };
      int count = report_pending.empty() ? 6 : 7;
      int64_t now = mono_us();
      int64_t until_timer = std::max<int64_t>(0, (next_report - now) / 1000);
      int timeout = int(std::min<int64_t>(kIdleMs, until_timer));
      if (refused) timeout = std::min(timeout, kRetryMs);
      try {
        zmq::poll(items, size_t(count), std::chrono::milliseconds(timeout));
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        throw;
      }
      // Subscriptions first: a subscriber that just arrived is matched before the next message.
      if (items[1].revents & ZMQ_POLLIN) on_subscriber_readable();
      if (items[5].revents & ZMQ_POLLIN) on_lossless_subscriber_readable();
      if (items[0].revents & ZMQ_POLLIN) on_publisher_readable();
      if (items[2].revents & ZMQ_POLLIN) on_lossless_readable();
      refused = pump_lossless();
      if (items[3].revents & ZMQ_POLLIN) publishers->on_readable();
      if (items[4].revents & ZMQ_POLLIN) subscribers->on_readable();
      if (count == 7 && (items[6].revents & (ZMQ_POLLOUT | ZMQ_POLLERR))) write_report();
      on_timers();
    }
  }
};

Proxy::Proxy(const ProxyOptions& options) : impl_(std::make_unique<Impl>(options)) {}
Proxy::~Proxy() = default;
void Proxy::run() { impl_->run(); }
void Proxy::stop() { impl_->stopping = true; }

}  // namespace rvkit::hub

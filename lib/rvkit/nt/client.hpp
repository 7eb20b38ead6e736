// rvkit: an NT4 client (the NT4 spec; docs/nt.md), shared by ntpub and ntsub.
//
//   nt::ClientOptions o;  o.servers = nt::team_addresses(1234, 5810);  o.name = "ntpub";
//   nt::Client c(o);  c.start();
//   int h = c.publish("/rvkit/cam0/tx", "double");
//   c.set(h, nt::Value::float64(3.5), t_capture_us);  c.flush();
//
// The network runs on its own thread (Boost.Asio/Beast). set() only stores the value: it never
// waits for the network, and while disconnected only the latest value of each topic is kept.
// The client connects to every candidate server at once and keeps the first that answers,
// reconnects forever with a short backoff, and re-announces its publishers and subscriptions.
// It offers NT 4.1 and falls back to 4.0 (WebSocket pings only on 4.1; RTT messages on both).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/nt/address.hpp"
#include "rvkit/nt/time_sync.hpp"
#include "rvkit/nt/value.hpp"

namespace rvkit::nt {

struct SubscribeOptions {
  double periodic = 0.1;  // seconds
  bool all = false;
  bool topicsonly = false;
  bool prefix = false;
  Json to_json() const;
};

struct TopicInfo {
  int64_t id = 0;
  std::string name;
  std::string type;
  Json properties = Json::object();
};

struct ClientOptions {
  std::vector<ServerAddress> servers;  // tried in parallel
  std::string name = "rvkit";          // the client name in /nt/<name>
  bool verbose = false;                // log every retry, not only the first of a series
  int connect_timeout_ms = 2000;
  int retry_min_ms = 50;               // reconnect backoff: doubles up to retry_max_ms
  int retry_max_ms = 500;
  size_t max_message_bytes = 16u << 20;
  // Called on the network thread; keep them short.
  std::function<void(const TopicInfo&, const Value&, int64_t server_time_us)> on_value;
  std::function<void(const TopicInfo&, bool announced)> on_topic;
  std::function<void(bool connected)> on_connection;
};

class Client {
 public:
  explicit Client(ClientOptions opts);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void start();
  // Waits up to linger_ms for unsent values to go out, then disconnects and joins the thread.
  void stop(int linger_ms = 0);

  // Declares a topic this client publishes; returns its handle. Publishing the same name again
  // returns the same handle. May be called at any time, connected or not.
  int publish(const std::string& name, const std::string& type, const Json& properties = Json::object());
  // Sets the latest value of a published topic; `wall_time_us` is the moment the value describes
  // (our wall clock, e.g. a record's t_capture), 0 for now. Sent after flush(), stamped in server time.
  void set(int handle, Value v, int64_t wall_time_us = 0);
  void flush();
  // True when every value set so far has been written to the server.
  bool idle() const;
  bool wait_idle(int timeout_ms) const;

  int subscribe(const std::vector<std::string>& topics, const SubscribeOptions& o);

  bool connected() const;
  int version() const;  // 41, 40, or 0 when disconnected
  std::string server() const;
  const TimeSync& time() const;
  bool wait_synced(int timeout_ms) const;

  struct Counters {
    uint64_t values_sent = 0;
    uint64_t values_replaced = 0;  // overwritten by a newer value before they could be sent
    uint64_t values_received = 0;
    uint64_t connects = 0;
    uint64_t bad_messages = 0;
  };
  Counters counters() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rvkit::nt

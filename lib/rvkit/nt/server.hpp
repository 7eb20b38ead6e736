// rvkit: a standalone NT4 server (the NT4 spec's server side; docs/nt.md).
//
// One network thread (Boost.Asio/Beast). Topic ids are global and never reused. Subscribers get
// values as soon as they arrive, at most once per their subscription's `periodic` (leading
// edge: the first change after a quiet period goes out at once, later ones are combined up to
// the period); `all` subscriptions get every value, others the latest. A slow client never
// slows the others: its unsent values are bounded (latest per topic, or a capped queue).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace rvkit::nt {

struct ServerOptions {
  std::string bind = "::";  // "::" listens on IPv6 and IPv4 where the system allows
  int port = 5810;          // 0: any free port (see Server::port())
  std::string persist_file; // persistent topics are loaded from and saved to this JSON file
  size_t max_message_bytes = 1u << 20;  // larger WebSocket messages close the connection (1009)
  size_t max_clients = 64;
  bool offer_v41 = true;    // false: behave as a 4.0-only server (to test clients' fallback)
  bool verbose = false;
};

class Server {
 public:
  explicit Server(ServerOptions opts);  // binds; throws rvkit::Error when it cannot
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  void start();  // runs the network thread
  void stop();   // closes every connection, saves persistent topics, joins the thread

  struct Counters {
    uint64_t clients = 0;       // connected now
    uint64_t topics = 0;        // existing now (meta topics included)
    uint64_t values_in = 0;
    uint64_t values_out = 0;
    uint64_t bad_messages = 0;
    uint64_t connections = 0;   // accepted so far
  };
  Counters counters() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rvkit::nt

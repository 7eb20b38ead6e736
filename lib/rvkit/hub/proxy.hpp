// rvkit hub: the message hub's proxy, the loop behind `hub serve` (docs/protocol.md, "The hub").
//
// One thread polls four ZeroMQ sockets and forwards whole multipart messages, part by part, moving
// each zmq::message_t from the socket it came in on to the one it goes out on (no reassembly, no
// copy; a frame's payload is never touched):
//   XSUB   (publish endpoint)   live publishers (PUB) connect here. It subscribes upstream to
//          everything at once, so a short-lived publisher's first messages reach the hub as soon as
//          its connection is up, whoever subscribes downstream.
//   XPUB   (subscribe endpoint) subscribers connect here. XPUB_VERBOSER hands up every subscribe and
//          unsubscribe (subscriptions.hpp). Live messages go out here with XPUB_NODROP off: a
//          subscriber past its high-water mark loses whole messages, nobody else waits.
//   ROUTER (lossless endpoint)  recorded publishers (DEALER) connect here and send under credit
//          (lossless_ingress.hpp).
//   XPUB   (subscribe_lossless endpoint) where the lossless messages go out, with XPUB_NODROP on,
//          non-blocking: a full subscriber makes the message wait in its publisher's queue, retried,
//          while the live traffic keeps flowing on the other XPUB. A hub input connects to both
//          subscribe endpoints. A new subscription here gets the cached state records it matches
//          (last_value_cache.hpp), sent the same way (given up after 1 s refused). (Two sockets, because mixing NODROP on and off on one XPUB loses
//          lossless messages: see send_on() in proxy.cpp.)
// High-water marks are bounded everywhere, so the hub's memory is too. Per-topic statistics
// (topic_stats.hpp) make the `hub` record (records/hub.hpp), published every second on `hub/` and,
// when a report fd is given, written to it as one JSON line every 250 ms (non-blocking: a reader
// that does not keep up misses reports, it never stalls the hub). Socket monitors count the
// connections of publishers and subscribers.
//
// Construct (binds every endpoint, throws rvkit::Error naming the one that failed), then run() in
// one thread until stop() (from any thread) or rvkit::stop_requested().
#pragma once
#include <cstdint>
#include <memory>

#include "rvkit/hub/serve_endpoints.hpp"

namespace rvkit::hub {

struct ProxyOptions {
  ServeEndpoints endpoints;
  int report_fd = -1;           // -1: no report pipe
  bool verbose = false;         // a stats line on stderr every second
  int64_t report_period_us = 250'000;
  int64_t publish_period_us = 1'000'000;
};

class Proxy {
 public:
  explicit Proxy(const ProxyOptions& options);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  void run();
  void stop();  // thread-safe

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Socket options of the hub (documented in docs/protocol.md, "The hub").
constexpr int kHubSendHighWaterMark = 8;     // messages queued per subscriber before it loses some
constexpr int kHubReceiveHighWaterMark = 16; // messages queued per live publisher
constexpr int kHubHeartbeatMs = 1000;        // ZMTP heartbeats find a vanished peer in 3 s
constexpr int kHubHeartbeatTimeoutMs = 3000;

}  // namespace rvkit::hub

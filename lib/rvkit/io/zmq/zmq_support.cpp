// rvkit io, private: what the ZeroMQ transports share (see zmq_support.hpp).
#include "rvkit/io/zmq/zmq_support.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "rvkit/core/error.hpp"
#include "rvkit/records/eos.hpp"

namespace rvkit::zmqio {

zmq::context_t& context() {
  static zmq::context_t ctx(1);
  return ctx;
}

Endpoint parse_endpoint(const std::string& spec, bool bind_default) {
  Endpoint e;
  std::string s = spec;
  e.bind = bind_default;
  if (!s.empty() && (s[0] == '@' || s[0] == '>')) {
    e.bind = s[0] == '@';
    s.erase(0, 1);
  }
  auto q = s.find('?');
  if (q != std::string::npos) {
    std::string query = s.substr(q + 1);
    s.erase(q);
    size_t p = 0;
    while (p <= query.size()) {
      size_t amp = query.find('&', p);
      std::string kv = query.substr(p, amp == std::string::npos ? std::string::npos : amp - p);
      if (kv.rfind("topic=", 0) == 0)
        e.topics.push_back(kv.substr(6));
      else if (!kv.empty())
        throw Error(fmt::format("{}: unknown endpoint option '{}' (only topic=PREFIX)", spec, kv));
      if (amp == std::string::npos) break;
      p = amp + 1;
    }
  }
  e.address = s;
  if (e.topics.empty()) e.topics.push_back("");
  return e;
}

void attach(zmq::socket_t& sock, const Endpoint& e, const std::string& spec) {
  // Each of its addresses when it lists several separated by ',' (a hub input: both of the hub's
  // subscribe endpoints, the live and the lossless one).
  size_t p = 0;
  for (;;) {
    const size_t comma = e.address.find(',', p);
    const std::string address = e.address.substr(p, comma == std::string::npos ? std::string::npos : comma - p);
    try {
      if (e.bind)
        sock.bind(address);
      else
        sock.connect(address);
    } catch (const zmq::error_t& err) {
      throw Error(fmt::format("{}: cannot {}: {}", spec, e.bind ? "bind" : "connect", err.what()));
    }
    if (comma == std::string::npos) return;
    p = comma + 1;
  }
}

void set_heartbeats(zmq::socket_t& sock) {
  sock.set(zmq::sockopt::heartbeat_ivl, kHeartbeatIvlMs);
  sock.set(zmq::sockopt::heartbeat_timeout, kHeartbeatTimeoutMs);
}

SocketMonitor::SocketMonitor(zmq::socket_t& watched, int events)
    : watched_(watched.handle()), pair_(context(), zmq::socket_type::pair) {
  static std::atomic<uint64_t> next{0};
  std::string address = fmt::format("inproc://rvkit-monitor-{}", next++);
  if (zmq_socket_monitor(watched.handle(), address.c_str(), events) != 0)
    throw Error(fmt::format("cannot monitor a ZeroMQ socket: {}", zmq_strerror(zmq_errno())));
  pair_.set(zmq::sockopt::linger, 0);
  pair_.set(zmq::sockopt::rcvhwm, 0);  // no limit: events nobody read yet must never block the I/O thread
  pair_.connect(address);
}

SocketMonitor::~SocketMonitor() { zmq_socket_monitor(watched_, nullptr, 0); }

int SocketMonitor::next_event() {
  zmq::message_t event, address;
  try {
    if (!pair_.recv(event, zmq::recv_flags::dontwait)) return 0;
    if (event.more()) (void)pair_.recv(address, zmq::recv_flags::none);  // the endpoint, always sent with it
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return 0;
    throw;
  }
  if (event.size() < 2) return 0;
  uint16_t id = 0;
  std::memcpy(&id, event.data(), sizeof id);
  return id;
}

int poll_items(std::vector<zmq::pollitem_t>& items, int timeout_ms) {
  try {
    return zmq::poll(items, std::chrono::milliseconds(timeout_ms));
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return 0;
    throw;
  }
}

}  // namespace rvkit::zmqio

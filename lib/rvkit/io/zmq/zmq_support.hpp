// rvkit io, private: what the ZeroMQ transports share (zmq_transport.cpp, zmq_hub_output.cpp).
//
// The process's one ZeroMQ context, endpoint specs ("@tcp://*:5555?topic=frame/"), binding or
// connecting as a spec says, socket monitors (connection events read from an inproc PAIR),
// heartbeats (a peer that stops answering is disconnected) and sends that wait stop-aware. Not for
// tools: they open endpoints through rvkit/io/transport.hpp.
//
// Threading: a ZeroMQ socket belongs to one thread at a time, and so do the objects here that hold
// one (SocketMonitor). context() is thread-safe.
#pragma once
#include <zmq.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/io/wire/end_of_stream.hpp"

namespace rvkit::zmqio {

constexpr int kHighWaterMark = 4;        // messages queued per peer (send side, and receive side)
constexpr int kHeartbeatIvlMs = 1000;    // ZMTP PING this often on a quiet connection...
constexpr int kHeartbeatTimeoutMs = 5000;  // ...and drop a peer that has not answered for this long
constexpr int kSliceMs = 100;            // a blocking send or wait looks at the stop request this often
constexpr int kLosslessLingerMs = 5000;  // a lossless output's queue, after its eos, gets this to drain
constexpr int kStoppedLingerMs = 500;    // ...or this when a stop (SIGINT) ended it
constexpr int64_t kStoppedEndUs = 1000000;  // how long a stopped lossless output tries to send its eos

zmq::context_t& context();

struct Endpoint {
  std::string address;
  bool bind = false;
  std::vector<std::string> topics;  // inputs' ?topic= filters; {""} when none
};

// Parses "[@|>]ADDRESS[?topic=PREFIX[&topic=...]]"; throws Error naming the spec.
Endpoint parse_endpoint(const std::string& spec, bool bind_default);
// Binds or connects the socket as the endpoint says, to each address of a ','-separated list (a hub
// input: both of the hub's subscribe endpoints); a failure names the spec.
void attach(zmq::socket_t& sock, const Endpoint& e, const std::string& spec);
// ZMTP heartbeats: a peer silent for kHeartbeatTimeoutMs (a dead machine, a cut cable, a stopped
// process) is disconnected, as a closed connection is.
void set_heartbeats(zmq::socket_t& sock);

// Connection events of one socket (zmq_socket_monitor), read without blocking.
class SocketMonitor {
 public:
  // Watches `watched` for `events` (ZMQ_EVENT_* bits). Call before the socket binds or connects.
  SocketMonitor(zmq::socket_t& watched, int events);
  // Stops the monitor before its PAIR closes: ZeroMQ's I/O thread sends events blocking, and an
  // event for a PAIR that is gone would stop that thread, and every socket of the process with it.
  // So destroy it before the watched socket (declare it after), in the thread that owns both.
  ~SocketMonitor();
  SocketMonitor(const SocketMonitor&) = delete;
  SocketMonitor& operator=(const SocketMonitor&) = delete;
  // The socket to poll for ZMQ_POLLIN (an event is waiting).
  zmq::socket_t& socket() { return pair_; }
  // The next waiting event (a ZMQ_EVENT_* value), 0 when none.
  int next_event();

 private:
  void* watched_;
  zmq::socket_t pair_;
};

// Polls `items` for up to timeout_ms; a signal (EINTR) counts as nothing ready.
int poll_items(std::vector<zmq::pollitem_t>& items, int timeout_ms);

// The end of a stream and the cams it names: one definition for every output (io/wire/end_of_stream.hpp).
using wire::CamList;
using wire::eos_records;

}  // namespace rvkit::zmqio

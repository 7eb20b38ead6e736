// rvkit ntserver internals: what the server has yet to send one client, in order.
//
// Control messages and value frames leave in the order they were queued. Values wait here until
// the connection decides that the client's subscription period allows them (compose_value_frames)
// and then become binary frames of about one MTU. For a topic the client gets every value of
// (`all`) each one is kept, up to kMaxQueuedAllBytes per client (then the oldest are dropped);
// for the others only the newest value is kept. So a slow client only grows its own, bounded
// queue. No I/O: server/connection.cpp times the flushes and writes the frames. Threading: one
// connection's, on the network thread.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "rvkit/core/json.hpp"

namespace rvkit::nt::server {

class SendQueue {
 public:
  static constexpr size_t kFrameTarget = 1400;            // combine messages up to about one MTU
  static constexpr size_t kMaxQueuedAllBytes = 4u << 20;  // per client, for `all` subscriptions
  static constexpr size_t kMaxQueuedText = 100000;        // control messages waiting for one client

  // `values_out` counts the value messages composed into frames (the server's counter).
  explicit SendQueue(std::atomic<uint64_t>& values_out) : n_out_(values_out) {}

  // Queues a control message; false, and nothing queued, when kMaxQueuedText are waiting already.
  // Values queued before an unannounce are composed first: the client would drop them after it.
  bool push_text(Json m);
  // Queues the encoded value message `msg` of a topic, for an `all` subscription or not.
  void push_value(int64_t topic_id, const std::string& msg, bool all);
  // Drops the topic's pending newest value (the topic is gone for this client).
  void forget(int64_t topic_id);

  bool values_pending() const { return !latest_.empty() || !all_out_.empty(); }
  // Moves every pending value into binary frames.
  void compose_value_frames();

  struct Frame {
    bool text = false;
    std::string data;
  };
  // True when no frame is ready (pending values are not frames until composed).
  bool empty() const { return out_.empty(); }
  // Takes the next frame: consecutive control messages share one JSON array of up to about
  // kFrameTarget bytes; composed values are one binary frame. Requires !empty().
  Frame pop_frame();

  uint64_t dropped() const { return n_dropped_; }  // `all` values dropped for want of room

 private:
  struct OutItem {
    bool text = false;
    Json msg;         // text
    std::string bin;  // binary frame
  };
  std::deque<OutItem> out_;
  size_t n_text_ = 0;  // control messages in out_
  std::vector<int64_t> latest_order_;
  std::unordered_map<int64_t, std::string> latest_;  // topic id -> encoded value message
  std::deque<std::string> all_out_;
  size_t all_bytes_ = 0;
  uint64_t n_dropped_ = 0;
  std::atomic<uint64_t>& n_out_;
};

}  // namespace rvkit::nt::server

// rvkit: NT4 time synchronisation (the NT4 spec, "Timestamps": Cristian's algorithm).
//
// The client sends its monotonic time in an RTT message; the server answers with its own time.
// RTT = now - sent; when the RTT is the smallest seen so far on this connection, the server time
// equivalent to "now" is server_time + RTT/2, and the offset between our wall clock and the
// server's clock is kept. Values are then stamped server_time = wall_time + offset, so a
// record's t_capture (wall clock) becomes the server time of the capture.
#pragma once
#include <atomic>
#include <cstdint>

namespace rvkit::nt {

class TimeSync {
 public:
  // Forgets the measurements (a new connection).
  void reset();
  // One RTT answer: `sent_mono` is the value we sent, `server_time` the server's timestamp,
  // `now_mono`/`now_wall` our clocks at receipt. Returns true when the offset was updated.
  bool update(int64_t sent_mono, int64_t server_time, int64_t now_mono, int64_t now_wall);
  bool synced() const { return synced_.load(std::memory_order_acquire); }
  int64_t rtt_us() const { return rtt_.load(std::memory_order_relaxed); }
  // server time = wall time + offset
  int64_t offset_us() const { return offset_.load(std::memory_order_relaxed); }
  int64_t to_server(int64_t wall_us) const { return wall_us + offset_us(); }
  int64_t to_local(int64_t server_us) const { return server_us - offset_us(); }

 private:
  std::atomic<bool> synced_{false};
  std::atomic<int64_t> rtt_{-1};
  std::atomic<int64_t> offset_{0};
};

}  // namespace rvkit::nt

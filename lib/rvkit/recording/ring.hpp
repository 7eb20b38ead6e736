// rvkit recording: the ring buffer of `rec --ring` (a "rewind"): the last N seconds of messages,
// kept in memory and written out only when something asks for them.
//
// Messages are kept by their arrival time (`t_rec`, µs since the Unix epoch): add() drops from the
// front everything older than `window_us` before the newest, and then the oldest while the kept
// messages take more than `max_bytes` (payloads plus a fixed 256 bytes a message for its header and
// bookkeeping), so memory is bounded by both. window() hands out the kept messages as shared
// pointers: a save being written keeps its messages alive after the ring has moved on, so at most
// twice the bound is in memory while a save is written.
// Threading: one thread.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "rvkit/core/message.hpp"

namespace rvkit::recording {

class Ring {
 public:
  Ring(int64_t window_us, uint64_t max_bytes) : window_us_(window_us), max_bytes_(max_bytes) {}
  // Takes a message that arrived at `t_rec`.
  void add(Message&& m, int64_t t_rec);
  // Everything kept, oldest first.
  std::vector<std::shared_ptr<const Message>> window() const;
  size_t size() const { return items_.size(); }
  uint64_t bytes() const { return bytes_; }
  // The span of arrival times kept, µs (0 for fewer than two messages).
  int64_t span_us() const { return items_.size() < 2 ? 0 : items_.back().t - items_.front().t; }
  uint64_t evicted() const { return evicted_; }
  static uint64_t cost(const Message& m) { return m.payload.size() + 256; }

 private:
  struct Entry {
    int64_t t;
    std::shared_ptr<const Message> msg;
  };
  int64_t window_us_;
  uint64_t max_bytes_;
  std::deque<Entry> items_;
  uint64_t bytes_ = 0, evicted_ = 0;
};

}  // namespace rvkit::recording

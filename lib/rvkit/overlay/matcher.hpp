// rvkit overlay: pairs frames with the records that describe them (same cam and seq), without ever
// holding a frame back longer than --max-wait.
//
// Per camera, overlay learns whether records come:
//   unknown      (start) a frame waits for its record, at most max-wait
//   expecting    a record with this cam and a seq has been seen: frames wait, at most max-wait
//   not expecting  a frame waited in vain (max-wait passed, or frames piled up while unknown):
//                frames go straight through until a record for this camera arrives again
// So a stream without records costs one max-wait at its start and then flows at full rate, and a
// frame followed by its record (detect --frames) is drawn with it at once.
//
// A frame also stops waiting when a record for a later frame of its camera arrives (records come in
// frame order, so its own will not), and records may arrive before their frame (kept, a few per
// camera). Frames of one camera leave in the order they came. At most max_pending frames wait in
// all; beyond that the oldest goes without its record. Time is passed in (mono µs), for tests.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "rvkit/core/message.hpp"
#include "rvkit/overlay/records.hpp"

namespace rvkit::overlay {

struct MatcherOptions {
  int64_t max_wait_us = 100000;
  size_t max_pending = 16;     // frames waiting, all cameras together
  size_t max_cams = 64;        // cameras remembered
  size_t early_records = 8;    // records kept per camera while their frame has not come
};

enum class Release {
  Matched,      // with its record
  NotExpected,  // no wait: records are not expected for this camera
  Superseded,   // a record for a later frame came first
  TimedOut,     // max-wait passed
  Overflow,     // too many frames waiting
  End,          // the input ended
};

struct ReadyFrame {
  Message msg;
  RecordPtr record;  // null unless Matched
  Release why = Release::NotExpected;
};

class FrameMatcher {
 public:
  explicit FrameMatcher(MatcherOptions o = {}) : o_(o) {}

  // A frame (a header accepted by validate_header) arrived at time now.
  void add_frame(Message&& m, int64_t now);
  // A record with cam and seq arrived.
  void add_record(const RecordPtr& r, int64_t now);
  // Releases the frames whose wait is over at time now.
  void expire(int64_t now);
  // Releases every waiting frame (end of input).
  void release_all();
  // Takes the next frame to draw, in release order.
  bool pop_ready(ReadyFrame& out);

  // When expire() next has something to do (INT64_MAX: nothing waits).
  int64_t next_deadline() const;
  size_t waiting() const { return total_pending_; }
  bool idle() const { return total_pending_ == 0 && ready_.empty(); }

  struct Counts {
    uint64_t matched = 0, not_expected = 0, superseded = 0, timed_out = 0, overflow = 0, end = 0;
    uint64_t late_records = 0;  // records whose frame had already gone
  };
  const Counts& counts() const { return counts_; }

 private:
  enum class State { Unknown, Expecting, NotExpecting };
  struct Pending {
    Message msg;
    int64_t seq = 0;
    uint64_t arrival = 0;   // order of arrival over all cameras
    int64_t deadline = 0;
    RecordPtr record;
    bool resolved = false;  // may leave as soon as it is at the head
    Release why = Release::TimedOut;
  };
  struct Cam {
    State state = State::Unknown;
    std::deque<Pending> pending;
    std::deque<RecordPtr> early;
    int64_t last_frame_seq = -1;
    int64_t last_used = 0;
  };

  Cam& cam(const std::string& name, int64_t now);
  void promote(Cam& c, int64_t now);
  // Releases what can go from every camera, oldest arrival first (so cameras stay interleaved).
  void promote_all(int64_t now, bool everything);
  void release_head(Cam& c, Release why);
  void stop_expecting(Cam& c);
  void count(Release why);

  MatcherOptions o_;
  std::map<std::string, Cam> cams_;
  std::deque<ReadyFrame> ready_;
  size_t total_pending_ = 0;
  uint64_t arrivals_ = 0;
  Counts counts_;
};

}  // namespace rvkit::overlay

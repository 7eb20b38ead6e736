// rvkit supervisor: what the hub's report pipe says about its topics (HELPER-11 item 1).
//
// `hub serve --report-fd 3` writes its `hub` record (docs/records.md) as one JSON line every 250 ms.
// The supervisor links no ZeroMQ, so this pipe is how it learns which topics are alive: for topic
// readiness (`ready = { topic = ... }`), the stall watchdog (`stall = { topic, seconds }`) and the
// age of the last message that `hub status` shows. HubReport turns each line into, per topic, the
// monotonic time its newest message reached the hub (the line's receive time minus its age).
//
// Each line is read as the record it is (records/hub.hpp, the one reader of its fields); a line
// that is not one is reported by feed() and skipped.
//
// Single-threaded: the supervisor's event loop owns it.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "rvkit/supervisor/log_sink.hpp"

namespace rvkit::supervisor {

class HubReport {
 public:
  // Takes bytes read from the pipe at `now_us` (monotonic). Returns "" or the problem with a line
  // ("hub report line 3: ...").
  std::string feed(std::string_view bytes, int64_t now_us);
  // A new hub process: forget everything the old one said.
  void reset();

  // True once a whole record has arrived since the last reset().
  bool reporting() const { return reports_ > 0; }
  int64_t last_report_us() const { return last_report_us_; }
  // The monotonic time of the newest message on any topic that starts with `prefix`; nullopt if the
  // hub has seen none since it started.
  std::optional<int64_t> newest_message_us(const std::string& prefix) const;

 private:
  std::string parse(const std::string& line, int64_t now_us);
  LineSplitter lines_{1 << 20};
  std::map<std::string, int64_t> newest_us_;  // topic -> when its newest message reached the hub
  uint64_t reports_ = 0, line_number_ = 0;
  int64_t last_report_us_ = 0;
};

}  // namespace rvkit::supervisor

// rvkit nt: the ntsub side, NetworkTables values written as records (docs/records.md: nt, nt_snapshot).
//
// The client's network thread hands every value to a RecordQueue (add(): short, never waits for the
// output). By default each value becomes an `nt` record in a queue of at most max_queued records:
// when the output is slower than the values, the oldest are dropped and counted, so memory stays
// bounded and what is written stays recent. With snapshots (ntsub --latest) only each topic's latest
// value is kept, and write_records() writes one `nt_snapshot` record of all of them every period.
//
// write_records() runs in the main thread until `count` records are written, `timeout` passes, the
// reader goes away or a stop is requested (SIGINT/SIGTERM).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "rvkit/core/json.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/transport.hpp"
#include "rvkit/nt/client.hpp"
#include "rvkit/nt/value.hpp"

namespace rvkit::nt {

constexpr size_t kMaxQueuedRecords = 100000;

class RecordQueue {
 public:
  explicit RecordQueue(bool snapshots, size_t max_queued = kMaxQueuedRecords)
      : snapshots_(snapshots), max_queued_(max_queued) {}

  // Network thread: a value of `info`, stamped t_server by the server (its clock, µs) and t_local in
  // ours (Client::time().to_local).
  void add(const TopicInfo& info, const Value& v, int64_t t_server, int64_t t_local);
  // Waits up to timeout_ms for a record, then moves every queued record to the end of `batch`.
  void take(std::deque<Json>& batch, int timeout_ms);
  // The nt_snapshot record of each topic's latest value, stamped t (wall clock, µs).
  Json snapshot(int64_t t) const;
  // Records dropped because the output was slow.
  uint64_t dropped() const;
  // At the end: says how many values were dropped, if any.
  void report_drops() const;

 private:
  const bool snapshots_;
  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Json> queue_;
  std::map<std::string, std::pair<Json, int64_t>> latest_;  // topic: value, t_local
  uint64_t dropped_ = 0;
};

struct RecordWriterOptions {
  bool snapshots = false;  // an nt_snapshot every period instead of the queued records
  double period_s = 0.1;
  int64_t count = 0;       // stop after this many records (0: never)
  double timeout_s = 0;    // stop after this many seconds (0: never)
  bool verbose = false;    // the -v stats line, with drops and `status` (e.g. the connection)
};

// Writes the records of `q` to `out` (see above), counting them in `stats`. Returns how many.
int64_t write_records(RecordQueue& q, Output& out, const RecordWriterOptions& o, Stats& stats,
                      const std::function<std::string()>& status = {});

}  // namespace rvkit::nt

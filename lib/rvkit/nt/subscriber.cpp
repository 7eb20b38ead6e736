#include "rvkit/nt/subscriber.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/nt/pose3d_struct.hpp"
#include "rvkit/records/nt.hpp"

namespace rvkit::nt {
namespace {

// ---- The records (docs/records.md: nt, nt_snapshot, defined in lib/rvkit/records/nt.hpp).

// A value as it goes into a record: structs we know are decoded, other raw data is base64.
Json record_value(const TopicInfo& info, const Value& v) {
  if (info.type == "struct:Pose3d" && v.type() == NtType::Raw)
    if (auto p = unpack_pose3d(v.get<Bytes>())) return geometry::pose_to_json(*p);
  return value_to_json(v);
}

Json nt_record(const TopicInfo& info, const Value& v, int64_t t, int64_t t_server, int64_t t_recv) {
  records::Nt n;
  n.topic = info.name;
  n.ntype = info.type;
  n.value = record_value(info, v);
  n.t = t;
  n.t_server = t_server;
  n.t_recv = t_recv;
  return Json(n);
}

Json nt_snapshot_record(const std::map<std::string, std::pair<Json, int64_t>>& latest, int64_t t) {
  records::NtSnapshot snap;
  snap.t = t;
  snap.times.emplace();
  for (const auto& [name, vt] : latest) {
    snap.values[name] = vt.first;
    (*snap.times)[name] = vt.second;
  }
  return Json(snap);
}

}  // namespace

void RecordQueue::add(const TopicInfo& info, const Value& v, int64_t t_server, int64_t t_local) {
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshots_) {
    latest_[info.name] = {record_value(info, v), t_local};
    return;
  }
  Json r = nt_record(info, v, t_local, t_server, now_us());
  if (queue_.size() >= max_queued_) {
    queue_.pop_front();
    ++dropped_;
  }
  queue_.push_back(std::move(r));
  cv_.notify_one();
}

void RecordQueue::take(std::deque<Json>& batch, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !queue_.empty(); });
  if (batch.empty()) {
    batch.swap(queue_);
  } else {
    for (auto& r : queue_) batch.push_back(std::move(r));
    queue_.clear();
  }
}

Json RecordQueue::snapshot(int64_t t) const {
  std::lock_guard<std::mutex> lock(mu_);
  return nt_snapshot_record(latest_, t);
}

uint64_t RecordQueue::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void RecordQueue::report_drops() const {
  if (uint64_t n = dropped()) log_line(fmt::format("{} values were dropped because the output was slow", n));
}

int64_t write_records(RecordQueue& q, Output& out, const RecordWriterOptions& o, Stats& stats,
                      const std::function<std::string()>& status) {
  const int64_t period_us = int64_t(o.period_s * 1e6);
  const int64_t end = o.timeout_s > 0 ? mono_us() + int64_t(o.timeout_s * 1e6) : 0;
  int64_t next_snapshot = mono_us() + period_us;
  int64_t written = 0;
  bool done = false;
  while (!done && !stop_requested()) {
    if (end && mono_us() >= end) break;
    std::deque<Json> batch;
    int wait_ms = 100;
    if (o.snapshots) wait_ms = int(std::max<int64_t>(0, (next_snapshot - mono_us()) / 1000));
    q.take(batch, std::min(wait_ms, 100));
    if (o.snapshots && mono_us() >= next_snapshot) {
      next_snapshot += period_us;
      if (next_snapshot < mono_us()) next_snapshot = mono_us() + period_us;  // never a burst to catch up
      batch.push_back(q.snapshot(now_us()));
    }
    for (auto& r : batch) {
      if (!out.write(r, nullptr, 0)) {
        done = true;  // the reader went away
        break;
      }
      stats.add(0);
      if (++written == o.count) {
        done = true;
        break;
      }
    }
    if (o.verbose) stats.report(fmt::format("{} dropped by a slow output, {}", q.dropped(), status ? status() : ""));
  }
  return written;
}

}  // namespace rvkit::nt

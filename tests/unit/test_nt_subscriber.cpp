// ntsub's queue and writer (rvkit/nt/subscriber.hpp): values become nt records in arrival order, the
// oldest dropped and counted behind a slow output; --latest keeps each topic's newest value for an
// nt_snapshot every period; the writer stops at its count, its timeout, or when the reader goes.
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "rvkit/core/clock.hpp"
#include "rvkit/nt/pose3d_struct.hpp"
#include "rvkit/nt/subscriber.hpp"

using namespace rvkit;
using namespace rvkit::nt;

namespace {

TopicInfo topic(const std::string& name, const std::string& type) {
  TopicInfo t;
  t.name = name;
  t.type = type;
  return t;
}

// Keeps what is written; the reader goes away after `accept` records (-1: never).
class RecordsOut final : public Output {
 public:
  explicit RecordsOut(int64_t accept = -1) : accept_(accept) { name_ = "records"; }
  bool write(const Json& header, const uint8_t*, size_t n) override {
    CHECK(n == 0);
    if (accept_ >= 0 && int64_t(records.size()) >= accept_) return false;
    records.push_back(header);
    return true;
  }
  std::vector<Json> records;

 private:
  int64_t accept_;
};

}  // namespace

TEST_CASE("RecordQueue: one nt record per value, in order, stamped with both clocks") {
  RecordQueue q(false);
  int64_t before = now_us();
  q.add(topic("/a", "double"), Value::float64(1.5), 1000, 2000);
  q.add(topic("/b", "string"), Value::string("hi"), 1001, 2001);
  std::deque<Json> batch;
  q.take(batch, 0);
  REQUIRE(batch.size() == 2);
  const Json& r = batch[0];
  CHECK(r["type"] == "nt");
  CHECK(r["topic"] == "/a");
  CHECK(r["ntype"] == "double");
  CHECK(r["value"] == 1.5);
  CHECK(r["t"] == 2000);
  CHECK(r["t_server"] == 1000);
  CHECK(r["t_recv"].get<int64_t>() >= before);
  CHECK(batch[1]["value"] == "hi");
  q.take(batch, 0);
  CHECK(batch.size() == 2);  // nothing new: the batch is left as it was
  CHECK(q.dropped() == 0);
}

TEST_CASE("RecordQueue: a Pose3d struct is written as a pose, other raw data as base64") {
  RecordQueue q(false);
  rvkit::geometry::Pose3 p;
  p.t = {1, 2, 3};
  q.add(topic("/pose", "struct:Pose3d"), Value::raw(pack_pose3d(p)), 0, 0);
  q.add(topic("/raw", "raw"), Value::raw({1, 2, 3}), 0, 0);
  std::deque<Json> batch;
  q.take(batch, 0);
  REQUIRE(batch.size() == 2);
  CHECK(batch[0]["value"] == rvkit::geometry::pose_to_json(p));
  CHECK(batch[1]["value"] == value_to_json(Value::raw({1, 2, 3})));
}

TEST_CASE("RecordQueue: behind a slow output the oldest records are dropped and counted") {
  RecordQueue q(false, 3);
  for (int i = 0; i < 5; ++i) q.add(topic("/n", "int"), Value::integer(i), i, i);
  CHECK(q.dropped() == 2);
  std::deque<Json> batch;
  q.take(batch, 0);
  REQUIRE(batch.size() == 3);
  CHECK(batch[0]["value"] == 2);
  CHECK(batch[2]["value"] == 4);
}

TEST_CASE("RecordQueue: take() waits for a record, at most its timeout") {
  RecordQueue q(false);
  std::deque<Json> batch;
  int64_t t0 = mono_us();
  q.take(batch, 50);
  CHECK(batch.empty());
  CHECK(mono_us() - t0 >= 50000);
  std::thread network([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    q.add(topic("/x", "boolean"), Value::boolean(true), 0, 0);
  });
  t0 = mono_us();
  q.take(batch, 5000);
  CHECK(mono_us() - t0 < 2000000);
  CHECK(batch.size() == 1);
  network.join();
}

TEST_CASE("RecordQueue with snapshots: each topic's latest value and its time, no records queued") {
  RecordQueue q(true);
  q.add(topic("/a", "double"), Value::float64(1), 10, 100);
  q.add(topic("/a", "double"), Value::float64(2), 11, 110);
  q.add(topic("/b", "int[]"), Value::int_array({1, 2}), 12, 120);
  std::deque<Json> batch;
  q.take(batch, 0);
  CHECK(batch.empty());
  Json s = q.snapshot(5555);
  CHECK(s == Json{{"type", "nt_snapshot"},
                  {"t", 5555},
                  {"values", {{"/a", 2.0}, {"/b", {1, 2}}}},
                  {"times", {{"/a", 110}, {"/b", 120}}}});
  CHECK(RecordQueue(true).snapshot(1) == Json{{"type", "nt_snapshot"}, {"t", 1}, {"values", Json::object()},
                                              {"times", Json::object()}});
}

TEST_CASE("write_records: stops after --count records, or when the reader goes away") {
  RecordQueue q(false);
  for (int i = 0; i < 10; ++i) q.add(topic("/n", "int"), Value::integer(i), i, i);
  RecordsOut out;
  Stats stats("records", false);
  RecordWriterOptions o;
  o.count = 4;
  CHECK(write_records(q, out, o, stats) == 4);
  REQUIRE(out.records.size() == 4);
  CHECK(out.records[3]["value"] == 3);
  CHECK(stats.total() == 4);

  RecordQueue q2(false);
  for (int i = 0; i < 10; ++i) q2.add(topic("/n", "int"), Value::integer(i), i, i);
  RecordsOut gone(6);
  int64_t t0 = mono_us();
  CHECK(write_records(q2, gone, RecordWriterOptions{}, stats) == 6);
  CHECK(mono_us() - t0 < 2000000);
}

TEST_CASE("write_records: --timeout ends a quiet subscription") {
  RecordQueue q(false);
  RecordsOut out;
  Stats stats("records", false);
  RecordWriterOptions o;
  o.timeout_s = 0.2;
  int64_t t0 = mono_us();
  CHECK(write_records(q, out, o, stats) == 0);
  int64_t took = mono_us() - t0;
  CHECK(took >= 200000);
  CHECK(took < 2000000);
}

TEST_CASE("write_records with snapshots: one nt_snapshot every period") {
  RecordQueue q(true);
  q.add(topic("/a", "double"), Value::float64(3), 1, 2);
  RecordsOut out;
  Stats stats("records", false);
  RecordWriterOptions o;
  o.snapshots = true;
  o.period_s = 0.05;
  o.count = 4;
  int64_t t0 = mono_us();
  CHECK(write_records(q, out, o, stats) == 4);
  int64_t took = mono_us() - t0;
  CHECK(took >= 4 * 50000 - 5000);  // paced by the period, not as fast as possible
  REQUIRE(out.records.size() == 4);
  for (const Json& s : out.records) {
    CHECK(s["type"] == "nt_snapshot");
    CHECK(s["values"]["/a"] == 3.0);
  }
  CHECK(out.records[0]["t"] < out.records[3]["t"]);
}

// Frames and records paired by cam and seq, never holding a frame longer than --max-wait.
#include "test_util.hpp"

#include <vector>

#include "rvkit/overlay/matcher.hpp"

using namespace rvkit;
using namespace rvkit::overlay;

namespace {

constexpr int64_t kWait = 100000;  // µs

Message frame(const std::string& cam, int64_t seq) {
  Message m;
  m.header = {{"type", "frame"}, {"cam", cam}, {"seq", seq}, {"t_capture", 1000 + seq}, {"w", 2}, {"h", 1},
              {"fmt", "gray8"}, {"stride", 2}, {"bytes", 2}};
  m.payload.resize(2);
  return m;
}

RecordPtr record(const std::string& cam, int64_t seq) {
  return make_record({{"type", "detections"}, {"cam", cam}, {"seq", seq}, {"tags", Json::array()}});
}

struct Out {
  std::string cam;
  int64_t seq;
  bool with_record;
  Release why;
};

std::vector<Out> drain(FrameMatcher& m) {
  std::vector<Out> v;
  ReadyFrame r;
  while (m.pop_ready(r)) v.push_back({r.msg.cam(), r.msg.header["seq"].get<int64_t>(), bool(r.record), r.why});
  return v;
}

}  // namespace

TEST_CASE("overlay matcher: a frame followed by its record (detect --frames) goes at once, with it") {
  FrameMatcher m({kWait});
  for (int64_t s = 0; s < 5; ++s) {
    int64_t t = s * 33000;
    m.add_frame(frame("cam0", s), t);
    m.add_record(record("cam0", s), t + 10);
    auto out = drain(m);
    REQUIRE(out.size() == 1);
    CHECK(out[0].seq == s);
    CHECK(out[0].with_record);
    CHECK(out[0].why == Release::Matched);
  }
  CHECK(m.idle());
  CHECK(m.counts().matched == 5);
  CHECK(m.counts().timed_out == 0);
}

TEST_CASE("overlay matcher: without records, one wait at the start and then full rate") {
  FrameMatcher m({kWait});
  m.add_frame(frame("cam0", 0), 0);
  CHECK(drain(m).empty());
  CHECK(m.next_deadline() == kWait);
  m.expire(kWait - 1);
  CHECK(drain(m).empty());  // not before max-wait...
  m.add_frame(frame("cam0", 1), 33000);
  m.add_frame(frame("cam0", 2), 66000);
  m.expire(kWait);          // ...and not a moment after
  auto out = drain(m);
  REQUIRE(out.size() == 3);
  CHECK(out[0].why == Release::TimedOut);
  CHECK(out[1].why == Release::NotExpected);
  CHECK(out[2].seq == 2);
  for (int64_t s = 3; s < 100; ++s) {  // every later frame leaves the moment it comes
    m.add_frame(frame("cam0", s), s * 33000);
    auto o = drain(m);
    REQUIRE(o.size() == 1);
    CHECK(o[0].seq == s);
    CHECK(o[0].why == Release::NotExpected);
  }
  CHECK(m.next_deadline() == INT64_MAX);
  CHECK(m.counts().timed_out == 1);
}

TEST_CASE("overlay matcher: --max-wait 0 never waits") {
  FrameMatcher m({0});
  m.add_frame(frame("cam0", 0), 0);
  auto out = drain(m);
  REQUIRE(out.size() == 1);
  CHECK(out[0].why == Release::NotExpected);
}

TEST_CASE("overlay matcher: records from another input: waiting, early records, skipped frames") {
  FrameMatcher m({kWait});
  m.add_record(record("cam0", 0), 0);  // before its frame (e.g. frames go through a slower path)
  m.add_frame(frame("cam0", 0), 10);
  auto out = drain(m);
  REQUIRE(out.size() == 1);
  CHECK(out[0].why == Release::Matched);

  m.add_frame(frame("cam0", 1), 33000);  // expecting now: it waits
  m.add_frame(frame("cam0", 2), 66000);
  CHECK(drain(m).empty());
  m.add_record(record("cam0", 2), 70000);  // detect skipped frame 1: its record will never come
  out = drain(m);
  REQUIRE(out.size() == 2);
  CHECK(out[0].seq == 1);
  CHECK(out[0].why == Release::Superseded);
  CHECK(out[1].seq == 2);
  CHECK(out[1].why == Release::Matched);
  m.add_record(record("cam0", 1), 80000);  // too late
  CHECK(m.counts().late_records == 1);
}

TEST_CASE("overlay matcher: a time-out stops the waiting until records come again") {
  FrameMatcher m({kWait});
  m.add_frame(frame("cam0", 0), 0);
  m.add_record(record("cam0", 0), 5);
  CHECK(drain(m).size() == 1);
  m.add_frame(frame("cam0", 1), 33000);
  m.add_frame(frame("cam0", 2), 66000);
  m.expire(133000);  // detect stopped: frame 1 waited its 100 ms, frame 2 need not wait any longer
  auto out = drain(m);
  REQUIRE(out.size() == 2);
  CHECK(out[0].why == Release::TimedOut);
  CHECK(out[1].why == Release::NotExpected);
  m.add_frame(frame("cam0", 3), 140000);
  CHECK(drain(m).size() == 1);
  m.add_record(record("cam0", 4), 150000);  // detect is back (its record came first this time)
  m.add_frame(frame("cam0", 4), 160000);
  out = drain(m);
  REQUIRE(out.size() == 1);
  CHECK(out[0].why == Release::Matched);
  m.add_frame(frame("cam0", 5), 190000);
  CHECK(drain(m).empty());  // waiting again
}

TEST_CASE("overlay matcher: a record for an unknown camera changes nothing for the others") {
  FrameMatcher a({kWait}), b({kWait});
  for (auto* m : {&a, &b}) {
    m->add_frame(frame("cam0", 0), 0);
    m->add_record(record("cam0", 0), 1);
  }
  b.add_record(record("ghost", 0), 2);
  b.add_record(record("ghost", 1), 3);
  for (int64_t s = 1; s < 5; ++s)
    for (auto* m : {&a, &b}) {
      m->add_frame(frame("cam0", s), s * 1000);
      m->add_record(record("cam0", s), s * 1000 + 1);
    }
  auto oa = drain(a), ob = drain(b);
  REQUIRE(oa.size() == 5);
  REQUIRE(ob.size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    CHECK(ob[i].seq == oa[i].seq);
    CHECK(ob[i].why == Release::Matched);
  }
}

TEST_CASE("overlay matcher: cameras keep their order, and the total waiting is bounded") {
  MatcherOptions o;
  o.max_wait_us = kWait;
  o.max_pending = 4;
  FrameMatcher m(o);
  m.add_record(record("a", 0), 0);  // camera a expects records
  for (int64_t s = 0; s < 6; ++s) m.add_frame(frame("a", s), s);
  CHECK(m.waiting() == 4);
  auto out = drain(m);
  REQUIRE(out.size() == 2);
  CHECK(out[0].seq == 0);
  CHECK(out[0].why == Release::Matched);
  CHECK(out[1].seq == 1);
  CHECK(out[1].why == Release::Overflow);
  m.add_record(record("a", 3), 10);  // 2 superseded, 3 matched, in order
  out = drain(m);
  REQUIRE(out.size() == 2);
  CHECK(out[0].seq == 2);
  CHECK(out[1].seq == 3);
  CHECK(out[1].with_record);
  m.release_all();
  out = drain(m);
  REQUIRE(out.size() == 2);
  CHECK(out[0].seq == 4);
  CHECK(out[1].why == Release::End);
  CHECK(m.idle());
}

TEST_CASE("overlay matcher: unknown cameras that pile up stop waiting") {
  MatcherOptions o;
  o.max_wait_us = 10000000;  // a recorded stream without records, read as fast as possible
  o.max_pending = 8;
  FrameMatcher m(o);
  size_t out = 0;
  for (int64_t s = 0; s < 100; ++s) {
    m.add_frame(frame("cam0", s), s);
    out += drain(m).size();
  }
  CHECK(out == 100);  // none held: the 9th frame showed that records are not coming
  CHECK(m.counts().overflow == 1);
}

TEST_CASE("overlay matcher: a restarted source (seq back to 0) is matched afresh") {
  FrameMatcher m({kWait});
  for (int64_t s = 0; s < 3; ++s) {
    m.add_frame(frame("cam0", s), s);
    m.add_record(record("cam0", s), s);
  }
  CHECK(drain(m).size() == 3);
  m.add_frame(frame("cam0", 0), 100);
  m.add_record(record("cam0", 0), 101);
  auto out = drain(m);
  REQUIRE(out.size() == 1);
  CHECK(out[0].why == Release::Matched);
}

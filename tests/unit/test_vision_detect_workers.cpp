// detect --workers (rvkit/vision/detect_workers.hpp): records in submission order whatever each
// frame's time, other records in their place, robot settings reaching every worker from the right
// frame on, one worker and several giving exactly the records of a single DetectPipeline, bad frames,
// a closed output, and --track refused.
#include "test_util.hpp"

#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <vector>

#include "rvkit/core/option_error.hpp"
#include "rvkit/image/frame.hpp"
#include "rvkit/vision/detect_workers.hpp"
#include "synthetic_tags.hpp"

using namespace rvkit;
using namespace rvkit::vision;

namespace {

Message frame(const cv::Mat& img, int64_t seq) {
  FrameInfo f;
  f.cam = "cam0";
  f.seq = seq;
  f.t_capture = 1000 + seq;
  Message m;
  mat_to_frame(img, PixelFormat::Gray8, f, m);
  return m;
}

Message note(int i) { return Message{Json{{"type", "note"}, {"i", i}}, {}}; }

// What came out, in the order emit saw it: "f<seq>" for a frame's record, "n<i>" for a note.
struct Collected {
  std::vector<std::string> order;
  std::vector<DetectWorkers::Item> items;
  DetectWorkers::Emit emit() {
    return [this](DetectWorkers::Item& it) {
      if (it.msg.is_frame())
        order.push_back("f" + std::to_string(it.msg.header["seq"].get<int64_t>()));
      else
        order.push_back("n" + std::to_string(it.msg.header["i"].get<int>()));
      items.push_back(std::move(it));
      return true;
    };
  }
};

// Holds the workers that reach it until `n` of them are there at once: the frames that meet it are
// then known to be spread over n different workers (submit hands a frame only to a free worker).
class Latch {
 public:
  explicit Latch(int n) : n_(n) {}
  void arrive() {
    std::unique_lock<std::mutex> lock(mu_);
    ++count_;
    cv_.notify_all();
    if (!cv_.wait_for(lock, std::chrono::seconds(20), [&] { return count_ >= n_; })) timed_out_ = true;
  }
  bool timed_out() {
    std::lock_guard<std::mutex> lock(mu_);
    return timed_out_;
  }

 private:
  int n_, count_ = 0;
  bool timed_out_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
};

DetectOptions plain() {
  DetectOptions opt;
  opt.apriltag.threads = 1;
  return opt;
}

cv::Mat tags_image() {
  synth::Camera cam = synth::Camera::with_hfov(320, 240, 70);
  std::vector<synth::Tag> tags{{1, synth::tag_in_front(1.2, 0.25, 0, 10, 0)}, {2, synth::tag_in_front(1.2, -0.25, 0, -10, 0)}};
  return synth::render(cam, tags);
}

}  // namespace

TEST_CASE("detect workers: records in submission order with random per-frame delays, other records in place") {
  cv::Mat img(24, 32, CV_8UC1, cv::Scalar(128));
  std::mt19937 rng(7);
  std::vector<int> delay_ms(60);
  for (int& d : delay_ms) d = int(rng() % 6);
  Collected got;
  std::vector<std::string> want;
  Latch latch(3);
  std::set<int> workers_used;
  std::mutex mu;
  {
    DetectWorkers pool(3, plain(), got.emit(), [&](int w, const Message& m) {
      int64_t seq = m.header["seq"].get<int64_t>();
      if (seq < 3) latch.arrive();
      {
        std::lock_guard<std::mutex> lock(mu);
        workers_used.insert(w);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms[size_t(seq)]));
    });
    CHECK(pool.size() == 3);
    int notes = 0;
    for (int i = 0; i < 60; ++i) {
      if (i % 7 == 3) {  // a record between frames, sometimes two
        want.push_back("n" + std::to_string(notes));
        CHECK(pool.submit(note(notes++)));
        if (i % 2) {
          want.push_back("n" + std::to_string(notes));
          CHECK(pool.submit(note(notes++)));
        }
      }
      want.push_back("f" + std::to_string(i));
      CHECK(pool.submit(frame(img, i)));
    }
    want.push_back("n" + std::to_string(notes));
    CHECK(pool.submit(note(notes)));
    pool.finish();
    CHECK(pool.busy() == 0);
  }
  CHECK_FALSE(latch.timed_out());
  CHECK(got.order == want);
  CHECK(workers_used == std::set<int>{0, 1, 2});
  for (const auto& it : got.items) {
    if (!it.msg.is_frame()) {
      CHECK(it.worker == -1);
      CHECK_FALSE(it.rec);
      continue;
    }
    REQUIRE(it.rec);
    REQUIRE(it.rec->seq);
    CHECK(*it.rec->seq == it.msg.header["seq"].get<int64_t>());
    CHECK(it.rec->t_capture == 1000 + *it.rec->seq);
    CHECK(it.msg.payload.size() == 24 * 32);  // the frame itself comes back, for --frames
  }
}

TEST_CASE("detect workers: robot settings reach every worker from the frame after them on") {
  cv::Mat img = tags_image();
  Collected got;
  Latch before(3), after(3);
  DetectWorkers pool(3, plain(), got.emit(), [&](int, const Message& m) {
    int64_t seq = m.header["seq"].get<int64_t>();
    if (seq < 3) before.arrive();               // frames 0..2 on three workers, before the settings
    if (seq >= 3 && seq < 6) after.arrive();     // frames 3..5 on three workers, after them
  });
  for (int i = 0; i < 3; ++i) REQUIRE(pool.submit(frame(img, i)));
  RobotSetting filter;
  filter.kind = RobotSetting::Kind::id_filter;
  filter.ids = {2};
  pool.update(filter);
  RobotSetting priority;
  priority.kind = RobotSetting::Kind::priority_id;
  priority.priority_id = 2;
  pool.update(priority);
  for (int i = 3; i < 9; ++i) REQUIRE(pool.submit(frame(img, i)));
  RobotSetting none;
  none.kind = RobotSetting::Kind::priority_id;  // -1: no priority id again; the filter stays
  pool.update(none);
  for (int i = 9; i < 12; ++i) REQUIRE(pool.submit(frame(img, i)));
  pool.finish();
  CHECK_FALSE(before.timed_out());
  CHECK_FALSE(after.timed_out());
  REQUIRE(got.items.size() == 12);
  std::set<int> before_workers, after_workers;
  for (const auto& it : got.items) {
    REQUIRE(it.rec);
    const records::Detections& r = *it.rec;
    REQUIRE(r.tags);
    std::set<int> ids;
    for (const auto& t : *r.tags) ids.insert(t.id);
    REQUIRE(r.seq);
    const int64_t seq = *r.seq;
    INFO("frame " << seq << " on worker " << it.worker);
    if (seq < 3) {
      before_workers.insert(it.worker);
      CHECK(ids == std::set<int>{1, 2});
      CHECK_FALSE(r.priority_id);
    } else if (seq < 9) {
      if (seq < 6) after_workers.insert(it.worker);
      CHECK(ids == std::set<int>{2});
      CHECK(r.priority_id == 2);
    } else {
      CHECK(ids == std::set<int>{2});
      CHECK_FALSE(r.priority_id);
    }
  }
  CHECK(before_workers == std::set<int>{0, 1, 2});
  CHECK(after_workers == std::set<int>{0, 1, 2});
}

TEST_CASE("detect workers: one worker and two give exactly a single pipeline's records") {
  cv::Mat img = tags_image();
  cv::Mat shifted;
  cv::flip(img, shifted, 1);  // another scene: the frames differ
  DetectOptions opt = plain();
  opt.fov_deg = 70;  // tx/ty too
  std::vector<std::string> want;
  {
    DetectPipeline p(opt);
    for (int i = 0; i < 8; ++i) {
      records::Detections r = p.process(frame(i % 2 ? shifted : img, i));
      CHECK(r.t_start);  // when it began: the one field that differs from run to run
      r.t_start.reset();
      want.push_back(Json(r).dump());
    }
  }
  CHECK(want[0].find("\"id\":1") != std::string::npos);
  for (int n : {1, 2}) {
    Collected got;
    DetectWorkers pool(n, opt, got.emit());
    for (int i = 0; i < 8; ++i) REQUIRE(pool.submit(frame(i % 2 ? shifted : img, i)));
    pool.finish();
    std::vector<std::string> records;
    for (const auto& it : got.items) {
      REQUIRE(it.rec);
      records::Detections r = *it.rec;
      r.t_start.reset();
      records.push_back(Json(r).dump());
    }
    INFO("--workers " << n);
    CHECK(records == want);
  }
}

TEST_CASE("detect workers: a bad frame keeps its place, a closed output stops, --track is refused") {
  cv::Mat img(24, 32, CV_8UC1, cv::Scalar(128));
  {
    Collected got;
    DetectWorkers pool(2, plain(), got.emit());
    REQUIRE(pool.submit(frame(img, 0)));
    FrameInfo f;
    f.cam = "cam0";
    f.seq = 1;
    f.t_capture = 1001;
    Message bad;
    const uint8_t junk[16] = {1, 2, 3};
    jpeg_to_frame(junk, sizeof junk, 32, 24, f, bad);  // not a JPEG
    REQUIRE(pool.submit(std::move(bad)));
    REQUIRE(pool.submit(frame(img, 2)));
    pool.finish();
    CHECK(got.order == std::vector<std::string>{"f0", "f1", "f2"});
    REQUIRE(got.items.size() == 3);
    CHECK_FALSE(got.items[1].rec);
    CHECK_FALSE(got.items[1].bad_frame.empty());
    CHECK(got.items[2].rec);
  }
  {
    int emitted = 0;
    DetectWorkers pool(2, plain(), [&](DetectWorkers::Item&) { return ++emitted < 3; });
    bool ok = true;
    int submitted = 0;
    while (ok && submitted < 1000) ok = pool.submit(frame(img, submitted++));
    pool.finish();
    CHECK_FALSE(ok);  // the output closed after the third record
    CHECK(emitted == 3);
  }
  DetectOptions track = plain();
  track.track = TrackOptions{};
  CHECK_THROWS_AS(DetectWorkers(2, track, [](DetectWorkers::Item&) { return true; }), OptionError);
  CHECK_THROWS_AS(DetectWorkers(0, plain(), [](DetectWorkers::Item&) { return true; }), OptionError);
  CHECK_NOTHROW(DetectWorkers(1, track, [](DetectWorkers::Item&) { return true; }));
}

TEST_CASE("detect workers: a lone frame gets the lone threads, a frame beside a busy worker one, with the same records") {
  cv::Mat img = tags_image();
  std::mutex mu;
  std::condition_variable cv;
  bool started1 = false;
  size_t emitted = 0;
  Latch both(2);  // frames 1 and 2 are held until both are in work
  std::vector<DetectWorkers::Item> items;
  auto emit = [&](DetectWorkers::Item& it) {
    std::lock_guard<std::mutex> lock(mu);
    items.push_back(std::move(it));
    ++emitted;
    cv.notify_all();
    return true;
  };
  auto before = [&](int, const Message& m) {
    const int64_t seq = m.header["seq"].get<int64_t>();
    if (seq == 1) {
      {
        std::lock_guard<std::mutex> lock(mu);
        started1 = true;
      }
      cv.notify_all();
    }
    if (seq == 1 || seq == 2) both.arrive();
  };
  auto wait_for = [&](auto pred) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(20), pred);
  };
  DetectWorkers pool(2, plain(), emit, before, 3);
  // Frame 0 alone: the lone threads.
  REQUIRE(pool.submit(frame(img, 0)));
  REQUIRE(wait_for([&] { return emitted == 1; }));
  // Frame 1 alone, frame 2 while frame 1 is in work: 3 threads, then 1.
  REQUIRE(pool.submit(frame(img, 1)));
  REQUIRE(wait_for([&] { return started1; }));
  REQUIRE(pool.submit(frame(img, 2)));
  REQUIRE(wait_for([&] { return emitted == 3; }));
  // Frame 3 alone again, after both: the lone threads again (the worker that had one switches back).
  REQUIRE(pool.submit(frame(img, 3)));
  pool.finish();
  CHECK_FALSE(both.timed_out());
  REQUIRE(items.size() == 4);
  CHECK(items[0].threads == 3);
  CHECK(items[1].threads == 3);
  CHECK(items[2].threads == 1);
  CHECK(items[3].threads == 3);
  // The thread count changes nothing in the records.
  for (const auto& it : items) {
    REQUIRE(it.rec);
    REQUIRE(it.rec->tags);
    CHECK(it.rec->tags->size() == 2);
  }
  CHECK(Json(*items[0].rec)["tags"] == Json(*items[2].rec)["tags"]);
  // Without lone threads every frame has the options' count; a count out of range is refused.
  {
    Collected got;
    DetectWorkers fixed(2, plain(), got.emit());
    REQUIRE(fixed.submit(frame(img, 0)));
    fixed.finish();
    REQUIRE(got.items.size() == 1);
    CHECK(got.items[0].threads == 1);
  }
  CHECK_THROWS_AS(DetectWorkers(2, plain(), [](DetectWorkers::Item&) { return true; }, nullptr, 300), OptionError);
}

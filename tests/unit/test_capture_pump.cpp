// cap's loop (rvkit/capture/pump.hpp): recorded sources never drop, live sources deliver the newest
// frame and count the rest as dropped, the end comes from the source, --count, the reader or a source
// stuck in a device read, and a source's error reaches the caller.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "rvkit/capture/pump.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"

using namespace rvkit;

namespace {

// Frames of 8x8 gray; records (is_message) wherever `record_every` says.
class FakeSource final : public Source {
 public:
  bool is_live = false;
  int64_t frames = -1;          // how many to deliver (-1: until cancelled)
  int64_t period_us = 0;        // between frames
  int64_t throw_after = -1;     // grab() throws rvkit::Error after this many frames
  int64_t block_after = -1;     // grab() blocks (ignoring cancel) after this many, until unblock()
  int record_every = 0;         // every Nth item is a recorded record
  bool bad_jpeg = false;        // deliver undecodable camera JPEG
  std::atomic<bool> cancelled{false};

  bool live() const override { return is_live; }
  std::string default_name() const override { return "fake"; }
  void cancel() override { cancelled = true; }

  bool grab(CapturedFrame& f) override {
    if (block_after >= 0 && delivered_ >= block_after) {  // a device read that hangs, cancelled or not
      std::unique_lock<std::mutex> lock(mu_);
      blocked_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return unblocked_; });
      return false;
    }
    if (cancelled) return false;
    if (throw_after >= 0 && delivered_ >= throw_after) throw Error("fake: the device went away");
    if (frames >= 0 && delivered_ >= frames) return false;
    if (period_us) {
      timespec ts{0, long(period_us * 1000)};
      nanosleep(&ts, nullptr);
    }
    ++items_;
    if (record_every && items_ % record_every == 0) {
      f = CapturedFrame();
      f.is_message = true;
      f.message.header = Json{{"type", "note"}, {"n", items_}};
      return true;
    }
    f.is_message = false;
    f.jpeg.clear();
    if (bad_jpeg) {
      const uint8_t junk[] = {0xff, 0xd8, 0x00};
      f.jpeg.assign(junk, sizeof junk);
    } else {
      f.image = cv::Mat(8, 8, CV_8UC1, cv::Scalar(uint8_t(delivered_)));
    }
    f.w = f.h = 8;
    f.t_capture = now_us();
    ++delivered_;
    return true;
  }

  bool wait_blocked(int64_t timeout_us) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::microseconds(timeout_us), [&] { return blocked_; });
  }
  void unblock() {
    std::lock_guard<std::mutex> lock(mu_);
    unblocked_ = true;
    cv_.notify_all();
  }

 private:
  int64_t delivered_ = 0, items_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool blocked_ = false, unblocked_ = false;
};

// Keeps every header written; each write takes `delay_us`; the reader goes away after `accept` writes.
struct Written {
  std::vector<Json> headers;
  int64_t accept = -1;
  bool closed = false;
  std::function<void()> before_write;
};
class FakeOutput final : public Output {
 public:
  FakeOutput(Written& w, int64_t delay_us) : w_(w), delay_us_(delay_us) { name_ = "fake"; }
  ~FakeOutput() override { w_.closed = true; }
  bool write(const Json& header, const uint8_t*, size_t) override {
    if (w_.accept >= 0 && int64_t(w_.headers.size()) >= w_.accept) return false;
    if (w_.before_write) w_.before_write();
    if (delay_us_) {
      timespec ts{0, long(delay_us_ * 1000)};
      nanosleep(&ts, nullptr);
    }
    w_.headers.push_back(header);
    return true;
  }

 private:
  Written& w_;
  int64_t delay_us_;
};

std::vector<int64_t> frame_seqs(const Written& w) {
  std::vector<int64_t> v;
  for (const auto& h : w.headers)
    if (h.value("type", "") == "frame") v.push_back(h["seq"].get<int64_t>());
  return v;
}

CaptureEncoderOptions encoder_options() {
  CaptureEncoderOptions o;
  o.cam = "fake";
  return o;
}

}  // namespace

TEST_CASE("capture pump: a recorded source never drops, however slow the output") {
  FakeSource src;
  src.frames = 30;
  Written w;
  CaptureEncoder enc(encoder_options());
  Stats stats("", false);
  PumpCounts n = pump(src, std::make_unique<FakeOutput>(w, 2000), enc, stats);
  CHECK(n.frames == 30);
  CHECK(n.dropped == 0);
  CHECK(stats.total() == 30);
  CHECK(stats.dropped() == 0);
  std::vector<int64_t> seqs = frame_seqs(w);
  REQUIRE(seqs.size() == 30);
  for (int64_t i = 0; i < 30; ++i) CHECK(seqs[size_t(i)] == i);
  CHECK(w.closed);
}

TEST_CASE("capture pump: a live source faster than the output delivers the newest frames and counts the rest") {
  FakeSource src;
  src.is_live = true;
  src.period_us = 1000;  // 1000 fps against an output taking 20 ms a frame
  Written w;
  CaptureEncoder enc(encoder_options());
  Stats stats("", false);
  PumpOptions o;
  o.count = 10;
  PumpCounts n = pump(src, std::make_unique<FakeOutput>(w, 20000), enc, stats, o);
  CHECK(n.frames == 10);
  CHECK(src.cancelled);  // the capture thread was told to end
  std::vector<int64_t> seqs = frame_seqs(w);
  REQUIRE(seqs.size() == 10);
  for (size_t i = 1; i < seqs.size(); ++i) CHECK(seqs[i] > seqs[i - 1]);
  // Every frame captured before the last one written was either written or counted as dropped.
  CHECK(n.dropped > 0);
  CHECK(n.dropped >= uint64_t(seqs.back() + 1 - 10));
  CHECK(stats.dropped() == n.dropped);
  CHECK(stats.total() == 10);
  CHECK(w.closed);
}

TEST_CASE("capture pump: a live source that ends is written to its last frame") {
  FakeSource src;
  src.is_live = true;
  src.frames = 20;
  src.period_us = 2000;
  Written w;
  CaptureEncoder enc(encoder_options());
  Stats stats("", false);
  PumpCounts n = pump(src, std::make_unique<FakeOutput>(w, 0), enc, stats);
  CHECK(n.frames + int64_t(n.dropped) == 20);  // each frame written or counted, none lost unseen
  REQUIRE_FALSE(frame_seqs(w).empty());
  CHECK(frame_seqs(w).back() == 19);           // the newest is never left behind
}

TEST_CASE("capture pump: records pass through without counting as frames") {
  FakeSource src;
  src.frames = 6;
  src.record_every = 3;  // items 3, 6, 9: records
  Written w;
  CaptureEncoder enc(encoder_options());
  Stats stats("", false);
  PumpOptions o;
  o.count = 5;
  PumpCounts n = pump(src, std::make_unique<FakeOutput>(w, 0), enc, stats, o);
  CHECK(n.frames == 5);
  REQUIRE(w.headers.size() == 7);  // f f r f f r f: the 5th frame ends it
  CHECK(w.headers[2] == Json{{"type", "note"}, {"n", 3}});
  CHECK(w.headers[5] == Json{{"type", "note"}, {"n", 6}});
  CHECK(frame_seqs(w) == std::vector<int64_t>{0, 1, 2, 3, 4});  // records take no seq
}

TEST_CASE("capture pump: the reader going away is a normal end, live or recorded") {
  for (bool live : {false, true}) {
    CAPTURE(live);
    FakeSource src;
    src.is_live = live;
    src.period_us = 1000;
    Written w;
    w.accept = 3;
    CaptureEncoder enc(encoder_options());
    Stats stats("", false);
    PumpCounts n = pump(src, std::make_unique<FakeOutput>(w, 0), enc, stats);
    CHECK(n.frames == 3);
    CHECK(w.closed);
  }
}

TEST_CASE("capture pump: a source's error reaches the caller after the output is closed") {
  for (bool live : {false, true}) {
    CAPTURE(live);
    FakeSource src;
    src.is_live = live;
    src.throw_after = 3;
    Written w;
    CaptureEncoder enc(encoder_options());
    Stats stats("", false);
    CHECK_THROWS_WITH_AS(pump(src, std::make_unique<FakeOutput>(w, 0), enc, stats), "fake: the device went away", Error);
    CHECK(w.closed);
    CHECK_FALSE(frame_seqs(w).empty());
  }
}

TEST_CASE("capture pump: camera frames whose JPEG does not decode are skipped and counted, the stream goes on") {
  for (bool live : {false, true}) {
    FakeSource src;
    src.is_live = live;
    src.bad_jpeg = true;
    src.frames = 20;
    src.period_us = live ? 1000 : 0;
    Written w;
    CaptureEncoderOptions eo = encoder_options();
    eo.format = PixelFormat::Bgr8;  // the camera's JPEG must be decoded
    CaptureEncoder enc(eo);
    Stats stats("", false);
    PumpCounts c = pump(src, std::make_unique<FakeOutput>(w, 0), enc, stats);
    CHECK(c.bad >= 1);
    CHECK(c.bad <= 20);
    CHECK(c.frames == 0);
    CHECK(w.headers.empty());
    CHECK(w.closed);
    if (!live) CHECK(c.bad == 20);  // a recorded source hands over every frame
  }
  // The error itself names the camera and TurboJPEG's reason.
  CaptureEncoderOptions eo = encoder_options();
  eo.format = PixelFormat::Bgr8;
  CaptureEncoder enc(eo);
  CapturedFrame f;
  const uint8_t junk[] = {0xff, 0xd8, 0x00};
  f.jpeg.assign(junk, sizeof junk);
  f.w = f.h = 8;
  Message m;
  CHECK_THROWS_WITH_AS(enc.encode(f, 0, m), doctest::Contains("fake: the camera delivered a JPEG that does not decode: JPEG of "),
                       BadCameraFrame);
}

TEST_CASE("capture pump: a capture thread stuck in a device read is not waited for") {
  FakeSource src;
  src.is_live = true;
  src.block_after = 1;  // then blocks in grab(), deaf to cancel()
  Written w;
  w.before_write = [&] { REQUIRE(src.wait_blocked(5000000)); };  // the capture thread is in grab() for good
  CaptureEncoder enc(encoder_options());
  Stats stats("", false);
  PumpOptions o;
  o.count = 1;
  o.stuck_wait_us = 50000;
  int64_t stuck_at = 0, t0 = mono_us();
  o.on_stuck = [&] {
    stuck_at = mono_us();
    src.unblock();
  };
  PumpCounts n = pump(src, std::make_unique<FakeOutput>(w, 0), enc, stats, o);
  CHECK(n.frames == 1);
  REQUIRE(stuck_at != 0);  // the pump gave up on the thread
  CHECK(stuck_at - t0 < 3000000);
  CHECK(w.closed);
}

namespace {

// An output with one "slot" of its own, as shm:// has (rvkit/io/transport.hpp reserve_payload): it
// notes whether each frame was built there (no copy in write()) and what its bytes were.
struct SlotWrites {
  std::vector<bool> in_slot;
  std::vector<std::vector<uint8_t>> payloads;
  int reserves = 0;
};
class SlotOutput final : public Output {
 public:
  explicit SlotOutput(SlotWrites& w) : w_(w) { name_ = "slot"; }
  uint8_t* reserve_payload(size_t n) override {
    ++w_.reserves;
    slot_.assign(n, 0xee);  // a slot holds whatever its last frame left
    return slot_.data();
  }
  bool write(const Json&, const uint8_t* payload, size_t n) override {
    w_.in_slot.push_back(!slot_.empty() && payload == slot_.data() && n == slot_.size());
    w_.payloads.emplace_back(payload, payload + n);
    slot_.assign(1, 0xdd);  // written: the writer must not point into it any more
    return true;
  }

 private:
  SlotWrites& w_;
  std::vector<uint8_t> slot_;
};

}  // namespace

TEST_CASE("capture pump: frames are built in the output's reserved memory, raw and JPEG, and records are not") {
  for (std::optional<PixelFormat> format : {std::optional<PixelFormat>(), std::optional(PixelFormat::Bgr8),
                                            std::optional(PixelFormat::Jpeg)}) {
    CAPTURE(format ? int(*format) : -1);
    FakeSource src;
    src.frames = 6;
    src.record_every = 3;  // items 3, 6, ... are records (no payload)
    SlotWrites w;
    CaptureEncoderOptions eo = encoder_options();
    eo.format = format;
    CaptureEncoder enc(eo);
    Stats stats("", false);
    PumpCounts n = pump(src, std::make_unique<SlotOutput>(w), enc, stats);
    REQUIRE(n.frames == 6);
    REQUIRE(w.payloads.size() == 8);  // 6 frames and 2 records, the 3rd and 6th items
    CHECK(w.reserves == 6);
    int frame = 0;
    for (size_t i = 0; i < w.payloads.size(); ++i) {
      if ((i + 1) % 3 == 0) {
        CHECK(w.payloads[i].empty());
        continue;
      }
      CHECK(w.in_slot[i]);
      const std::vector<uint8_t>& p = w.payloads[i];
      if (format == PixelFormat::Jpeg) {
        REQUIRE(p.size() > 2);
        CHECK((p[0] == 0xff && p[1] == 0xd8));
      } else {
        size_t channels = format == PixelFormat::Bgr8 ? 3 : 1;
        REQUIRE(p.size() == 64 * channels);
        CHECK(std::count(p.begin(), p.end(), uint8_t(frame)) == long(p.size()));  // frame k is grey k
      }
      ++frame;
    }
  }
}

// stream's pieces: request parsing, per-client pacing and bandwidth, the shared per-variant
// encoder, and the camera-announcement record.
#include "test_util.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "rvkit/core/clock.hpp"
#include "rvkit/image/frame.hpp"
#include "rvkit/mjpeg/announce.hpp"
#include "rvkit/mjpeg/camera.hpp"
#include "rvkit/mjpeg/pacing.hpp"
#include "rvkit/mjpeg/request.hpp"

using namespace rvkit;
using namespace rvkit::mjpeg;

namespace {

Route route_of(const std::string& target) {
  std::string err;
  auto t = parse_target(target, err);
  REQUIRE_MESSAGE(t, err);
  return route(*t);
}

std::unique_ptr<Message> test_frame(int w, int h, PixelFormat fmt, int64_t seq, const std::string& cam = "c") {
  cv::Mat img(h, w, CV_8UC3);
  cv::randu(img, 0, 255);
  cv::rectangle(img, cv::Rect(w / 4, h / 4, w / 2, h / 2), cv::Scalar(255, 255, 255), cv::FILLED);
  FrameInfo info;
  info.cam = cam;
  info.seq = seq;
  info.t_capture = 1700000000000000 + seq * 33333;
  auto m = std::make_unique<Message>();
  mat_to_frame(img, fmt, info, *m, 90);
  return m;
}

cv::Mat decode(const EncodedFrame& e) { return cv::imdecode(e.jpeg, cv::IMREAD_UNCHANGED); }

// Collects what a Camera delivers, for the test thread to wait on.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<VariantKey, EncodedPtr>> got;
  int batches = 0;
  Camera::Deliver fn() {
    return [this](const std::string&, std::vector<std::pair<VariantKey, EncodedPtr>> r) {
      std::lock_guard<std::mutex> l(mu);
      for (auto& x : r) got.push_back(x);
      ++batches;
      cv.notify_all();
    };
  }
  bool wait_for(size_t n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(10), [&] { return got.size() >= n; });
  }
};

}  // namespace

TEST_CASE("request targets: paths, %-escapes, queries and traversal") {
  std::string err;
  auto t = parse_target("/cam%201/stream.mjpg?fps=15&name=a+b&&x", err);
  REQUIRE(t);
  CHECK(t->path == "/cam 1/stream.mjpg");
  REQUIRE(t->param("fps"));
  CHECK(*t->param("fps") == "15");
  CHECK(*t->param("name") == "a b");
  CHECK(*t->param("x") == "");
  CHECK(t->param("nope") == nullptr);

  CHECK_FALSE(parse_target("/../etc/passwd", err));
  CHECK(err.find("..") != std::string::npos);
  CHECK_FALSE(parse_target("/a/%2e%2e/b", err));
  CHECK_FALSE(parse_target("/a/..", err));
  CHECK(parse_target("/a/..b/c", err));  // only whole ".." segments climb
  CHECK_FALSE(parse_target("/bad%zz", err));
  CHECK_FALSE(parse_target("/bad%2", err));
  CHECK_FALSE(parse_target("/nul%00", err));
  CHECK_FALSE(parse_target("http://host/x", err));
  CHECK_FALSE(parse_target("", err));
  CHECK_FALSE(parse_target("/?a=%G1", err));
}

TEST_CASE("routes: cscore's and rvkit's endpoints and per-client parameters") {
  CHECK(route_of("/").endpoint == Endpoint::Page);
  CHECK(route_of("/index.html").endpoint == Endpoint::Page);
  CHECK(route_of("/state").endpoint == Endpoint::State);
  CHECK(route_of("/nope").endpoint == Endpoint::NotFound);
  CHECK(route_of("/?action=command&x=1").endpoint == Endpoint::NotFound);

  Route r = route_of("/stream.mjpg");
  CHECK(r.endpoint == Endpoint::Stream);
  CHECK(r.cam == "");
  CHECK(r.settings.quality == -1);
  CHECK(r.settings.w == 0);

  r = route_of("/?action=stream&resolution=320x240&fps=15&compression=30&cam=back");
  CHECK(r.endpoint == Endpoint::Stream);
  CHECK(r.cam == "back");
  CHECK(r.settings.w == 320);
  CHECK(r.settings.h == 240);
  CHECK(r.settings.fps == 15);
  CHECK(r.settings.quality == 30);
  CHECK(r.error.empty());

  r = route_of("/front%20cam/stream.mjpg?kbps=500");
  CHECK(r.endpoint == Endpoint::Stream);
  CHECK(r.cam == "front cam");
  CHECK(r.settings.max_kbps == 500);

  r = route_of("/a/b/snapshot.jpg");
  CHECK(r.endpoint == Endpoint::Snapshot);
  CHECK(r.cam == "a/b");
  CHECK(route_of("/?action=snapshot").endpoint == Endpoint::Snapshot);
  CHECK(route_of("/snapshot.jpg?cam=x").cam == "x");

  CHECK(route_of("/stream.mjpg?resolution=abc").error.find("resolution") != std::string::npos);
  CHECK_FALSE(route_of("/stream.mjpg?resolution=5000x10").error.empty());
  CHECK_FALSE(route_of("/stream.mjpg?fps=-1").error.empty());
  CHECK_FALSE(route_of("/stream.mjpg?fps=nan").error.empty());
  CHECK_FALSE(route_of("/stream.mjpg?compression=101").error.empty());
  CHECK_FALSE(route_of("/stream.mjpg?compression=1.5").error.empty());
  CHECK(route_of("/stream.mjpg?compression=-1").error.empty());
  CHECK(route_of("/stream.mjpg?fps=7.5&t=123&name=x").error.empty());  // unknown parameters are ignored

  int w = -1, h = -1;
  CHECK(parse_resolution("640x0", w, h));
  CHECK(w == 640);
  CHECK(h == 0);
  CHECK_FALSE(parse_resolution("640", w, h));
  CHECK_FALSE(parse_resolution("x480", w, h));
  CHECK_FALSE(parse_resolution("-1x2", w, h));
}

TEST_CASE("FpsLimiter keeps the asked rate by capture time") {
  auto count = [](double src_fps, double want, int n) {
    FpsLimiter f(want);
    int sent = 0;
    for (int i = 0; i < n; ++i) {
      int64_t jitter = (i * 7919 % 5 - 2) * 300;  // ±0.6 ms
      if (f.accept(int64_t(i * 1e6 / src_fps) + jitter)) ++sent;
    }
    return sent;
  };
  CHECK(count(30, 0, 300) == 300);
  CHECK(count(30, 30, 300) == 300);
  CHECK(count(30, 15, 300) == 150);
  CHECK(count(30, 20, 300) == doctest::Approx(200).epsilon(0.02));
  CHECK(count(30, 10, 300) == 100);
  CHECK(count(30, 1, 300) == 10);
  CHECK(count(30, 60, 300) == 300);

  // After a pause the schedule starts afresh instead of bursting to catch up.
  FpsLimiter f(10);
  CHECK(f.accept(0));
  CHECK_FALSE(f.accept(50000));
  CHECK(f.accept(100000));
  CHECK(f.accept(10000000));
  CHECK_FALSE(f.accept(10033000));
}

TEST_CASE("BandwidthLimiter: quality first, then frame rate, never above the cap") {
  CHECK(quality_ladder(-1) == std::vector<int>{-1, 70, 50, 35, 20, 10});
  CHECK(quality_ladder(40) == std::vector<int>{40, 35, 20, 10});
  CHECK(quality_ladder(5) == std::vector<int>{5});

  // 30 fps; frame size halves per level: 40 kB, 20 kB, 10 kB, 5 kB, 2.5 kB, 1.25 kB.
  auto size_at = [](int level) { return 40000.0 / (1 << level); };
  BandwidthLimiter bw(2000, 6);  // 2 Mbit/s = 250 kB/s: fits at 5 kB * 30 fps = 150 kB/s (level 3)
  REQUIRE(bw.enabled());
  int64_t t = 1000000;
  uint64_t sent = 0;
  for (int i = 0; i < 30 * 20; ++i, t += 33333) {
    int level = bw.choose_level(30, size_at, t);
    if (bw.admit(size_t(size_at(level)), t)) sent += uint64_t(size_at(level));
  }
  CHECK(bw.level() == 3);
  // Never more than the cap plus the burst allowance over the 20 s.
  CHECK(double(sent) <= 250000.0 * 20 + 250000.0 * 0.25 + 40000);

  // A cap below even the lowest quality: frames are skipped to stay under it.
  BandwidthLimiter tight(100, 2);  // 12.5 kB/s; the smallest frame is 20 kB
  sent = 0;
  int frames = 0;
  t = 1000000;
  for (int i = 0; i < 30 * 20; ++i, t += 33333) {
    int level = tight.choose_level(30, size_at, t);
    if (tight.admit(size_t(size_at(level)), t)) sent += uint64_t(size_at(level)), ++frames;
  }
  CHECK(tight.level() == 1);
  CHECK(frames < 30 * 20 / 10);
  CHECK(double(sent) <= 12500.0 * 20 + 12500.0 * 0.25 + 40000);

  // Steps back up when the better quality fits comfortably.
  BandwidthLimiter up(2000, 6);
  t = 1000000;
  for (int i = 0; i < 30 * 10; ++i, t += 33333) up.choose_level(30, [](int l) { return 40000.0 / (1 << l); }, t);
  CHECK(up.level() == 3);
  for (int i = 0; i < 30 * 30; ++i, t += 33333) up.choose_level(30, [](int l) { return 4000.0 / (1 << l); }, t);
  CHECK(up.level() == 0);

  CHECK_FALSE(BandwidthLimiter().enabled());
  CHECK(BandwidthLimiter().admit(1 << 30, 0));
}

TEST_CASE("encode_variant: pass-through, quality and resolution") {
  auto raw = test_frame(320, 240, PixelFormat::Bgr8, 7);
  auto e = encode_variant(*raw, VariantKey{}, 80);
  REQUIRE(e);
  CHECK(e->seq == 7);
  CHECK(e->w == 320);
  CHECK(e->quality == 80);
  cv::Mat img = decode(*e);
  CHECK(img.cols == 320);
  CHECK(img.rows == 240);
  CHECK(e->part_header.rfind(std::string("--") + kBoundary + "\r\n", 0) == 0);
  CHECK(e->part_header.find("Content-Type: image/jpeg\r\n") != std::string::npos);
  CHECK(e->part_header.find("Content-Length: " + std::to_string(e->jpeg.size()) + "\r\n") != std::string::npos);
  CHECK(e->part_header.find("X-Timestamp: 1700000000.233331\r\n") != std::string::npos);
  CHECK(e->part_header.substr(e->part_header.size() - 4) == "\r\n\r\n");

  auto small = encode_variant(*raw, VariantKey{160, 0, 30}, 80);
  CHECK(small->w == 160);
  CHECK(small->h == 120);
  CHECK(decode(*small).cols == 160);
  CHECK(small->jpeg.size() < e->jpeg.size());

  auto jpeg = test_frame(320, 240, PixelFormat::Jpeg, 8);
  auto same = encode_variant(*jpeg, VariantKey{}, 80);
  CHECK(same->quality == -1);
  REQUIRE(same->jpeg.size() == jpeg->payload.size());
  CHECK(std::equal(same->jpeg.begin(), same->jpeg.end(), jpeg->payload.data()));
  auto same_size = encode_variant(*jpeg, VariantKey{320, 240, -1}, 80);
  CHECK(same_size->quality == -1);  // asking for the camera's own size changes nothing
  auto requality = encode_variant(*jpeg, VariantKey{0, 0, 20}, 80);
  CHECK(requality->quality == 20);
  CHECK(decode(*requality).cols == 320);

  auto gray = test_frame(64, 48, PixelFormat::Gray8, 9);
  CHECK(decode(*encode_variant(*gray, VariantKey{}, 80)).channels() == 1);

  int w, h;
  variant_size(VariantKey{0, 100, -1}, 640, 480, w, h);
  CHECK(w == 133);
  CHECK(h == 100);
  variant_size(VariantKey{4096, 4096, -1}, 640, 480, w, h);  // never scaled up
  CHECK(w == 480);
  CHECK(h == 480);
  variant_size(VariantKey{1280, 0, -1}, 640, 480, w, h);
  CHECK(w == 640);
  CHECK(h == 480);

  CHECK(x_timestamp(1712345678000001) == "1712345678.000001");
  CHECK(x_timestamp(0) == "0.000000");
}

TEST_CASE("encode_variant: smaller variants of JPEG input (scaled decodes) look like the full decode resized") {
  // A smooth picture: what a scaled decode and a resize of the full decode may differ in is
  // detail finer than the smaller image can hold anyway.
  cv::Mat img(480, 640, CV_8UC3);
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b(uint8_t(x * 255 / 640), uint8_t(y * 255 / 480), 128);
  cv::rectangle(img, cv::Rect(160, 120, 320, 240), cv::Scalar(250, 250, 250), cv::FILLED);
  FrameInfo info;
  info.cam = "c";
  info.seq = 3;
  Message m;
  mat_to_frame(img, PixelFormat::Jpeg, info, m, 90);
  cv::Mat full = cv::imdecode(cv::Mat(1, int(m.payload.size()), CV_8UC1, m.payload.data()), cv::IMREAD_COLOR);
  REQUIRE(full.cols == 640);
  // 320x240: a half-size decode, no resize; 200x150: from the half-size decode, resized;
  // 160x120: a quarter-size decode; 80x60: an eighth.
  for (auto [w, h] : {std::pair{320, 240}, std::pair{200, 150}, std::pair{160, 120}, std::pair{80, 60}}) {
    CAPTURE(w);
    auto e = encode_variant(m, VariantKey{w, h, 95}, 80);
    CHECK(e->w == w);
    CHECK(e->h == h);
    cv::Mat got = decode(*e);
    REQUIRE(got.cols == w);
    REQUIRE(got.rows == h);
    cv::Mat want;
    cv::resize(full, want, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    CHECK(cv::PSNR(want, got) > 30);
  }
}

TEST_CASE("Camera: one encoding per variant per frame, shared by every client of it") {
  Inbox inbox;
  Camera cam("c", 80, 3, inbox.fn());
  VariantKey native{}, small{80, 60, 50};
  CHECK(cam.subscribe(native));
  CHECK(cam.subscribe(native));  // a second client of the same variant
  CHECK(cam.subscribe(small));
  cam.push(test_frame(160, 120, PixelFormat::Bgr8, 1));
  REQUIRE(inbox.wait_for(2));
  {
    std::lock_guard<std::mutex> l(inbox.mu);
    CHECK(inbox.got.size() == 2);  // two variants, not three clients
    CHECK(inbox.batches == 1);
  }
  CameraStats st = cam.stats();
  CHECK(st.frames == 1);
  CHECK(st.encoded == 2);
  CHECK(st.w == 160);
  CHECK(st.variants == 2);

  // request(): the newest frame again for a new client, without encoding it again.
  cam.request(native);
  REQUIRE(inbox.wait_for(3));
  {
    std::lock_guard<std::mutex> l(inbox.mu);
    CHECK(inbox.got[2].second == (inbox.got[0].first == native ? inbox.got[0].second : inbox.got[1].second));
  }
  CHECK(cam.stats().encoded == 2);

  // A limited number of different variants per camera.
  CHECK(cam.subscribe(VariantKey{40, 30, 50}));
  CHECK_FALSE(cam.subscribe(VariantKey{20, 15, 50}));
  cam.unsubscribe(VariantKey{40, 30, 50});
  CHECK(cam.subscribe(VariantKey{20, 15, 50}));

  // Without subscribers frames are taken but nothing is encoded.
  Inbox quiet;
  Camera idle("i", 80, 4, quiet.fn());
  for (int i = 0; i < 5; ++i) idle.push(test_frame(32, 24, PixelFormat::Bgr8, i));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(idle.stats().encoded == 0);
  CHECK(idle.stats().frames == 5);
  idle.request(VariantKey{});  // a snapshot
  REQUIRE(quiet.wait_for(1));
  std::lock_guard<std::mutex> l(quiet.mu);
  CHECK(quiet.got[0].second->seq == 4);  // the newest frame
}

TEST_CASE("Camera: push() never blocks on a slow encoder and recycles messages") {
  Inbox inbox;
  Camera cam("c", 80, 4, inbox.fn());
  cam.subscribe(VariantKey{});
  int recycled = 0;  // messages handed back with a frame's buffer, ready for the next read
  {
    // The encoder's first delivery waits for this lock while all 200 pushes happen, so pushes are
    // faster than encodings however fast the machine (an idle one once encoded every frame).
    std::unique_lock<std::mutex> hold(inbox.mu);
    for (int i = 0; i < 200; ++i) {
      auto back = cam.push(test_frame(640, 480, PixelFormat::Bgr8, i));
      REQUIRE(back != nullptr);
      recycled += back->payload.size() == size_t(640 * 480 * 3);
    }
  }
  // Each push faster than an encoding replaces the unencoded newest frame and hands it back.
  CHECK(recycled >= 100);
  // The encoder skipped to the newest frames instead of queueing them.
  REQUIRE(inbox.wait_for(1));
  cam.stop();
  CameraStats st = cam.stats();
  CHECK(st.frames == 200);
  CHECK(st.encoded + st.skipped >= 199);
  CHECK(st.encoded < 200);
}

TEST_CASE("announcement record and URLs") {
  auto urls = stream_urls({"10.12.34.11", "127.0.0.1"}, 1181, "front cam");
  REQUIRE(urls.size() == 2);
  CHECK(urls[0] == "http://10.12.34.11:1181/?action=stream&cam=front%20cam");
  Json j = camera_record("front cam", urls, 640, 480, 29.97);
  CHECK(j["type"] == "camera");
  CHECK(j["cam"] == "front cam");
  CHECK(j["description"] == "rvkit stream");
  CHECK(j["w"] == 640);
  CHECK(j["fps"] == doctest::Approx(30.0));
  CHECK(j["urls"].size() == 2);
  CHECK(j["connected"] == true);

  auto all = reachable_hosts("");
  REQUIRE_FALSE(all.empty());
  CHECK(all.back() == "127.0.0.1");  // loopback last
  CHECK(reachable_hosts("127.0.0.1") == std::vector<std::string>{"127.0.0.1"});
  CHECK(reachable_hosts("::1") == std::vector<std::string>{"[::1]"});
  CHECK(url_escape("a/b c&d") == "a%2Fb%20c%26d");
}

TEST_CASE("CameraAnnouncer: appears, rate known, size change, stalled and back, end") {
  CameraHub hub(80, 4, 4, nullptr);
  std::vector<Json> recs;
  bool reader = true;
  {
    CameraAnnouncer ann(hub, {"127.0.0.1"}, 1181, [&](const Json& r) {
      recs.push_back(r);
      return reader;
    });
    ann.check(mono_us());
    CHECK(recs.empty());  // no camera yet
    auto cam = hub.get_or_create("front", nullptr);
    cam->push(test_frame(64, 48, PixelFormat::Gray8, 0, "front"));
    ann.check(mono_us());
    REQUIRE(recs.size() == 1);
    CHECK(recs[0]["type"] == "camera");
    CHECK(recs[0]["cam"] == "front");
    CHECK(recs[0]["w"] == 64);
    CHECK(recs[0]["connected"] == true);
    CHECK(recs[0]["urls"][0] == "http://127.0.0.1:1181/?action=stream&cam=front");
    ann.check(mono_us());
    CHECK(recs.size() == 1);  // nothing changed
    cam->push(test_frame(32, 24, PixelFormat::Gray8, 1, "front"));
    ann.check(mono_us());
    REQUIRE(recs.size() == 2);
    CHECK(recs[1]["w"] == 32);
    ann.check(mono_us() + 2500000);  // no frame for 2.5 s
    REQUIRE(recs.size() == 3);
    CHECK(recs[2]["connected"] == false);
    cam->push(test_frame(32, 24, PixelFormat::Gray8, 2, "front"));
    ann.check(mono_us());
    REQUIRE(recs.size() == 4);
    CHECK(recs[3]["connected"] == true);
  }
  REQUIRE(recs.size() == 5);  // the end: disconnected
  CHECK(recs[4]["connected"] == false);

  // A reader that went away: no more writes.
  recs.clear();
  reader = false;
  {
    CameraAnnouncer ann(hub, {"127.0.0.1"}, 1181, [&](const Json& r) {
      recs.push_back(r);
      return reader;
    });
    ann.check(mono_us());
    hub.get_or_create("back", nullptr)->push(test_frame(16, 12, PixelFormat::Gray8, 0, "back"));
    ann.check(mono_us());
  }
  CHECK(recs.size() == 1);
}

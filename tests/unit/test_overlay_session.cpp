// overlay's run (rvkit/overlay/session.hpp): when it ends (stdin decides; without it, the inputs that
// carried frames), frames never linger at the end, tiles and their last partial tile, problems
// counted, the reader going away, an input's error; and the drawing-time summary.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/image/frame.hpp"
#include "rvkit/overlay/session.hpp"

using namespace rvkit;
using namespace rvkit::overlay;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char d[] = "/tmp/rvkit-overlay-session-XXXXXX";
    REQUIRE(mkdtemp(d));
    path = d;
  }
  ~TempDir() { REQUIRE(system(("rm -rf " + path).c_str()) == 0); }
};

Message session_frame(const std::string& cam, int64_t seq, int w = 32, int h = 24) {
  Message m;
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(40, 80, 120));
  FrameInfo f;
  f.cam = cam;
  f.seq = seq;
  f.t_capture = now_us();
  mat_to_frame(img, PixelFormat::Bgr8, f, m);
  return m;
}

Message record(const Json& header) {
  Message m;
  m.header = header;
  return m;
}

// Writes a stream file of these messages and returns its path.
std::string stream_file(const TempDir& dir, const std::string& name, const std::vector<Message>& msgs) {
  std::string p = dir.path + "/" + name;
  auto out = open_output(p);
  for (const Message& m : msgs) REQUIRE(out->write(m));
  return p;
}

// Keeps every header written; the reader goes away after `accept` messages (-1: never).
class Frames final : public Output {
 public:
  explicit Frames(int64_t accept = -1) : accept_(accept) { name_ = "frames"; }
  bool write(const Json& header, const uint8_t*, size_t n) override {
    if (accept_ >= 0 && int64_t(headers.size()) >= accept_) return false;
    CHECK(n == header["bytes"].get<uint64_t>());
    headers.push_back(header);
    return true;
  }
  std::vector<Json> headers;

 private:
  int64_t accept_;
};

Session session(std::optional<Tiler> tiler = std::nullopt, int64_t max_wait_us = 100000,
                PixelFormat fmt = PixelFormat::Bgr8) {
  AnnotatorOptions ao;
  MatcherOptions mo;
  mo.max_wait_us = max_wait_us;
  return Session(Annotator(ao), std::move(tiler), mo, SessionOptions{fmt, 85, 0});
}

void run(Session& s, const std::vector<std::string>& specs, Output& out) {
  InputSet inputs(specs, InputOptions{});
  inputs.start();
  s.run(inputs, out);
}

}  // namespace

TEST_CASE("EndOfInputs: stdin decides once it has ended, having carried something") {
  EndOfInputs e(2, 0);  // stdin, and a file of frames
  e.message(1, true);
  CHECK_FALSE(e.ended(1));  // stdin is still open
  CHECK_FALSE(e.finishing());
  e.message(0, false);
  CHECK(e.ended(0));
  CHECK(e.finishing());
  CHECK(e.messages(0) == 1);

  EndOfInputs live(2, 0);  // stdin, and a ZeroMQ input that never ends
  live.message(0, true);
  CHECK(live.others_open());
  CHECK(live.ended(0));
  CHECK(live.others_open());  // its records may still come
}

TEST_CASE("EndOfInputs: an empty stdin leaves it to the inputs that carried frames") {
  EndOfInputs e(3, 0);
  e.message(1, true);   // frames
  e.message(2, false);  // records only, e.g. ntsub over ZeroMQ
  CHECK_FALSE(e.ended(0));
  CHECK(e.ended(1));    // every input that carried frames has ended
  CHECK(e.others_open());

  EndOfInputs records(2, -1);  // no stdin, no frames: when every input has ended
  records.message(0, false);
  records.message(1, false);
  CHECK_FALSE(records.ended(0));
  CHECK(records.others_open());
  CHECK(records.ended(1));
  CHECK_FALSE(records.others_open());

  EndOfInputs none(1, -1);  // an input that carried nothing
  CHECK(none.ended(0));
}

TEST_CASE("DrawTimes: mean and p99 per frame out") {
  DrawTimes d;
  CHECK(d.summary() == "drawing: no frames");
  d.add(1000);
  d.add(2000);
  d.add(3000);
  CHECK(d.summary() == "drawing 2.00 ms mean, 3.00 ms p99 CPU per frame out");
}

TEST_CASE("overlay session: frames with their records, in order, and the run ends with its inputs") {
  TempDir dir;
  std::vector<Message> frames, records;
  for (int i = 0; i < 5; ++i) {
    frames.push_back(session_frame("c", i));
    records.push_back(record(Json{{"type", "detections"}, {"cam", "c"}, {"seq", i}, {"tags", Json::array()}}));
  }
  std::string f = stream_file(dir, "frames", frames), r = stream_file(dir, "records", records);
  Session s = session();
  Frames out;
  run(s, {f, r}, out);
  REQUIRE(out.headers.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(out.headers[size_t(i)]["seq"] == i);
    CHECK(out.headers[size_t(i)]["cam"] == "c");
    CHECK(out.headers[size_t(i)]["fmt"] == "bgr8");
  }
  CHECK(s.frames_in() == 5);
  CHECK(s.frames_out() == 5);
  CHECK(s.problems() == 0);
  CHECK(s.progress().rfind("5 frames in, 5 out; ", 0) == 0);
}

TEST_CASE("overlay session: at the end, frames do not wait out a long --max-wait") {
  TempDir dir;
  std::vector<Message> frames;
  for (int i = 0; i < 3; ++i) frames.push_back(session_frame("c", i));
  std::string f = stream_file(dir, "frames", frames);
  Session s = session(std::nullopt, 30000000);  // 30 s
  Frames out;
  int64_t t0 = mono_us();
  run(s, {f}, out);
  CHECK(mono_us() - t0 < 5000000);
  CHECK(out.headers.size() == 3);
}

TEST_CASE("overlay session: tiles when every camera has a new frame, and a last partial one") {
  TempDir dir;
  std::vector<Message> frames;
  for (auto [cam, seq] : std::vector<std::pair<const char*, int>>{{"a", 0}, {"b", 0}, {"a", 1}, {"b", 1}, {"a", 2}})
    frames.push_back(session_frame(cam, seq));
  std::string f = stream_file(dir, "frames", frames);
  Session s = session(Tiler({"a", "b"}, "both", cv::Size(64, 24)), 0);
  Frames out;
  run(s, {f}, out);
  REQUIRE(out.headers.size() == 3);  // a0+b0, a1+b1, then a2 alone at the end
  for (int i = 0; i < 3; ++i) {
    CHECK(out.headers[size_t(i)]["cam"] == "both");
    CHECK(out.headers[size_t(i)]["seq"] == i);
    CHECK(out.headers[size_t(i)]["w"] == 64);
  }
  CHECK(s.frames_in() == 5);
  CHECK(s.progress().find("5 frames in, 3 out") != std::string::npos);
}

TEST_CASE("overlay session: malformed records and frames that do not decode are counted, the rest drawn") {
  TempDir dir;
  Message bad;
  bad.header = Json{{"type", "frame"}, {"cam", "c"}, {"seq", 1}, {"t_capture", 1}, {"w", 8}, {"h", 8},
                    {"fmt", "jpeg"}, {"bytes", 3}};
  const uint8_t junk[] = {1, 2, 3};
  bad.payload.assign(junk, 3);
  std::vector<Message> msgs;
  msgs.push_back(record(Json{{"type", "detections"}, {"cam", "c"}, {"seq", 0},
                             {"tags", {{{"id", 1}, {"corners", {1, 2}}}}}}));
  msgs.push_back(session_frame("c", 0));
  msgs.push_back(std::move(bad));
  msgs.push_back(session_frame("c", 2));
  std::string f = stream_file(dir, "mixed", msgs);
  Session s = session(std::nullopt, 0);
  Frames out;
  run(s, {f}, out);
  CHECK(out.headers.size() == 2);
  CHECK(s.problems() == 2);
  CHECK(s.progress().find("1 malformed") != std::string::npos);
}

TEST_CASE("overlay session: jpeg out, the reader going away, an input's error") {
  TempDir dir;
  std::vector<Message> frames;
  for (int i = 0; i < 6; ++i) frames.push_back(session_frame("c", i));
  std::string f = stream_file(dir, "frames", frames);

  Session jpeg = session(std::nullopt, 0, PixelFormat::Jpeg);
  Frames all;
  run(jpeg, {f}, all);
  REQUIRE(all.headers.size() == 6);
  CHECK(all.headers[0]["fmt"] == "jpeg");

  Session s = session(std::nullopt, 0);
  Frames gone(2);
  run(s, {f}, gone);
  CHECK(gone.headers.size() == 2);
  CHECK(s.frames_out() == 3);  // the third write found the reader gone, and the run ended

  std::string garbage = dir.path + "/garbage";
  REQUIRE(system(("printf 'not a stream\\n' > " + garbage).c_str()) == 0);
  Session broken = session();
  Frames none;
  CHECK_THROWS_AS(run(broken, {garbage}, none), Error);
}

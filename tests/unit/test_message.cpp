// The message format: headers, validation, and reading/writing over byte streams.
#include "test_util.hpp"

#include <fcntl.h>

#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "rvkit/image/frame.hpp"
#include "rvkit/io/transport.hpp"

using namespace rvkit;

namespace {

// An Input reading `bytes` from a file descriptor, as a tool reads its stdin (the file is gone when
// this returns; the open descriptor still reads it).
std::unique_ptr<Input> input_from_string(const std::string& bytes, uint64_t max_payload = kDefaultMaxPayloadBytes) {
  testutil::TempDir dir;
  int fd = ::open(dir.write("stream", bytes).c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  InputOptions o;
  o.max_payload = max_payload;
  return input_from_fd(fd, "test", o, true);
}

std::string read_all_error(const std::string& bytes, uint64_t max_payload = kDefaultMaxPayloadBytes) {
  auto in = input_from_string(bytes, max_payload);
  Message m;
  try {
    while (in->read(m)) {
    }
  } catch (const StreamError& e) {
    return e.what();
  }
  return "";
}

std::string frame_header(int w, int h, const char* fmt, long stride, long bytes) {
  std::string s = "{\"type\":\"frame\",\"cam\":\"c\",\"seq\":1,\"t_capture\":5,\"w\":" + std::to_string(w) +
                  ",\"h\":" + std::to_string(h) + ",\"fmt\":\"" + fmt + "\"";
  if (stride >= 0) s += ",\"stride\":" + std::to_string(stride);
  if (bytes >= 0) s += ",\"bytes\":" + std::to_string(bytes);
  return s + "}\n";
}

}  // namespace

TEST_CASE("every pixel format round-trips through a byte stream") {
  cv::Mat bgr(48, 64, CV_8UC3);
  cv::randu(bgr, 0, 255);
  cv::GaussianBlur(bgr, bgr, cv::Size(9, 9), 3);  // smooth, so JPEG stays close
  testutil::TempDir dir;
  std::string path = dir.file("roundtrip.rvk");
  {
    auto out = open_output(path);
    FrameInfo info;
    info.cam = "cam0";
    for (PixelFormat f : {PixelFormat::Gray8, PixelFormat::Bgr8, PixelFormat::Jpeg}) {
      Message m;
      info.seq++;
      info.t_capture = 1700000000000000 + info.seq;
      mat_to_frame(bgr, f, info, m, 95);
      CHECK(out->write(m));
    }
    Json rec = {{"type", "note"}, {"text", "hello"}};
    CHECK(out->write(rec, nullptr, 0));
  }
  auto in = open_input(path);
  Message m;
  REQUIRE(in->read(m));
  FrameInfo g = frame_info(m.header);
  CHECK(g.fmt == PixelFormat::Gray8);
  CHECK(g.seq == 1);
  CHECK(g.t_capture == 1700000000000001);
  CHECK(g.stride == 64);
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  CHECK(cv::norm(frame_to_mat(m, PixelFormat::Gray8), gray, cv::NORM_INF) == 0);

  REQUIRE(in->read(m));
  CHECK(frame_info(m.header).fmt == PixelFormat::Bgr8);
  CHECK(m.payload.size() == 64 * 48 * 3);
  CHECK(cv::norm(frame_to_mat(m, PixelFormat::Bgr8), bgr, cv::NORM_INF) == 0);

  REQUIRE(in->read(m));
  CHECK(frame_info(m.header).fmt == PixelFormat::Jpeg);
  cv::Mat dec = frame_to_mat(m, PixelFormat::Bgr8);
  CHECK(dec.size() == bgr.size());
  CHECK(cv::norm(dec, bgr, cv::NORM_L1) / double(bgr.total() * 3) < 4);  // lossy, but close

  REQUIRE(in->read(m));
  CHECK(m.type() == "note");
  CHECK(m.header["text"] == "hello");
  CHECK(m.payload.empty());
  CHECK_FALSE(in->read(m));
  CHECK(in->count() == 4);
}

TEST_CASE("plain JSON Lines are a valid stream, blank lines and a last line without newline included") {
  auto in = input_from_string("{\"type\":\"a\"}\n\n{\"type\":\"b\",\"x\":[1,2]}\r\n{\"type\":\"c\"}");
  Message m;
  std::vector<std::string> types;
  while (in->read(m)) types.push_back(m.type());
  CHECK(types == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("malformed streams give one clear error naming message, offset and field") {
  std::string good = frame_header(2, 2, "gray8", 2, 4) + "abcd";
  SUBCASE("truncated payload") {
    std::string e = read_all_error(good + frame_header(2, 2, "gray8", 2, 4) + "ab");
    CHECK(e.find("message 2") != std::string::npos);
    CHECK(e.find("at byte " + std::to_string(good.size())) != std::string::npos);
    CHECK(e.find("truncated") != std::string::npos);
  }
  SUBCASE("truncated header") {
    std::string e = read_all_error(good + "{\"type\":\"fr");
    CHECK(e.find("message 2") != std::string::npos);
    CHECK(e.find("truncated") != std::string::npos);
  }
  SUBCASE("garbage") {
    std::string e = read_all_error("\x89PNG\r\n\x1a\n garbage");
    CHECK(e.find("message 1 at byte 0") != std::string::npos);
    CHECK(e.find("bad JSON") != std::string::npos);
  }
  SUBCASE("binary garbage without newlines") {
    std::string e = read_all_error(std::string(200000, '\x01'));
    CHECK(e.find("longer than 65536") != std::string::npos);
  }
  SUBCASE("oversize payload is refused before allocating") {
    std::string e = read_all_error(frame_header(2, 2, "jpeg", -1, 1LL << 40));
    CHECK(e.find("field 'bytes'") != std::string::npos);
    CHECK(e.find("exceeds") != std::string::npos);
  }
  SUBCASE("configurable maximum") {
    std::string e = read_all_error(good, 3);
    CHECK(e.find("exceeds the maximum payload size 3") != std::string::npos);
  }
  SUBCASE("size mismatch") {
    std::string e = read_all_error(frame_header(4, 4, "bgr8", 12, 40) + std::string(40, 'x'));
    CHECK(e.find("field 'bytes': 40 does not match stride*h = 12*4 = 48") != std::string::npos);
  }
  SUBCASE("stride too small") {
    std::string e = read_all_error(frame_header(4, 4, "bgr8", 4, 16) + std::string(16, 'x'));
    CHECK(e.find("field 'stride'") != std::string::npos);
  }
  SUBCASE("bad JSON") {
    std::string e = read_all_error(good + "{\"type\": frame}\n");
    CHECK(e.find("message 2") != std::string::npos);
    CHECK(e.find("bad JSON") != std::string::npos);
  }
  SUBCASE("missing fields") {
    CHECK(read_all_error("{\"cam\":\"x\"}\n").find("field 'type': missing") != std::string::npos);
    CHECK(read_all_error("[1,2]\n").find("not a JSON object") != std::string::npos);
    CHECK(read_all_error(frame_header(2, 2, "gray8", -1, 4) + "abcd").find("field 'stride': missing") !=
          std::string::npos);
    CHECK(read_all_error(frame_header(2, 2, "gray8", 2, -1)).find("field 'bytes': missing") != std::string::npos);
    CHECK(read_all_error("{\"type\":\"frame\",\"seq\":1}\n").find("field 'cam': missing") != std::string::npos);
  }
  SUBCASE("wrong types and values") {
    CHECK(read_all_error(frame_header(2, 2, "rgb565", 2, 4)).find("field 'fmt'") != std::string::npos);
    CHECK(read_all_error(frame_header(0, 2, "gray8", 2, 0)).find("field 'w'") != std::string::npos);
    CHECK(read_all_error("{\"type\":\"x\",\"bytes\":-1}\n").find("field 'bytes'") != std::string::npos);
    CHECK(read_all_error("{\"type\":\"x\",\"bytes\":\"4\"}\n").find("must be an integer") != std::string::npos);
    CHECK(read_all_error(frame_header(2, 2, "jpeg", -1, 0)).find("needs a payload") != std::string::npos);
  }
  SUBCASE("a good stream has no error") { CHECK(read_all_error(good + good) == ""); }
}

TEST_CASE("a corrupt JPEG payload is a clear error when decoded") {
  auto in = input_from_string(frame_header(2, 2, "jpeg", -1, 4) + "abcd");
  Message m;
  REQUIRE(in->read(m));
  CHECK_THROWS_AS(frame_to_mat(m, PixelFormat::Bgr8), Error);
}

TEST_CASE("ZeroMQ topics let a subscriber pick a camera or a record type") {
  CHECK(zmq_topic(Json{{"type", "frame"}, {"cam", "front"}}) == "frame/front/");
  CHECK(zmq_topic(Json{{"type", "nt"}}) == "nt/");
  CHECK(is_zmq_endpoint("tcp://127.0.0.1:5555"));
  CHECK(is_zmq_endpoint("@ipc:///tmp/x"));
  CHECK_FALSE(is_zmq_endpoint("/tmp/tcp://x"));
}

// cap's encoder (rvkit/capture/encoder.hpp): captured images, camera JPEG and recorded messages turned
// into the messages cap writes, in the wanted format and size; what needs no change passes untouched.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "rvkit/capture/encoder.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/image/frame.hpp"

using namespace rvkit;

namespace {

cv::Mat gradient(int w, int h, int type) {
  cv::Mat img(h, w, type);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w * img.channels(); ++x) img.ptr<uint8_t>(y)[x] = uint8_t((x * 3 + y * 5) & 0xff);
  return img;
}

CapturedFrame image_frame(const cv::Mat& img, int64_t t) {
  CapturedFrame f;
  f.image = img;
  f.w = img.cols;
  f.h = img.rows;
  f.t_capture = t;
  return f;
}

CapturedFrame jpeg_frame(const cv::Mat& img) {
  std::vector<uint8_t> bytes;
  REQUIRE(cv::imencode(".jpg", img, bytes));
  CapturedFrame f;
  f.jpeg.assign(bytes.data(), bytes.size());
  f.w = img.cols;
  f.h = img.rows;
  f.t_capture = 42;
  return f;
}

CapturedFrame recorded(Message m) {
  CapturedFrame f;
  f.is_message = true;
  f.message = std::move(m);
  return f;
}

CaptureEncoderOptions named(const std::string& cam) {
  CaptureEncoderOptions o;
  o.cam = cam;
  return o;
}

}  // namespace

TEST_CASE("capture encoder: images as bgr8 or gray8 by default, with cam, seq, t_capture and extra fields") {
  CaptureEncoder enc(named("front"));
  Message out;
  CapturedFrame f = image_frame(gradient(64, 48, CV_8UC3), 1234);
  f.extra = Json{{"truth", {{"tags", Json::array()}}}};
  enc.encode(f, 7, out);
  FrameInfo fi = frame_info(out.header);
  CHECK(validate_header(out.header) == "");
  CHECK(fi.cam == "front");
  CHECK(fi.seq == 7);
  CHECK(fi.t_capture == 1234);
  CHECK(fi.fmt == PixelFormat::Bgr8);
  CHECK(fi.w == 64);
  CHECK(fi.h == 48);
  CHECK(out.payload.size() == 64 * 48 * 3);
  CHECK(std::memcmp(out.payload.data(), f.image.data, out.payload.size()) == 0);
  CHECK(out.header["truth"] == Json{{"tags", Json::array()}});

  CapturedFrame g = image_frame(gradient(32, 24, CV_8UC1), 5);
  enc.encode(g, 8, out);
  fi = frame_info(out.header);
  CHECK(fi.fmt == PixelFormat::Gray8);
  CHECK(out.payload.size() == 32 * 24);
  CHECK_FALSE(out.header.contains("truth"));  // the last frame's extra fields do not linger
}

TEST_CASE("capture encoder: the wanted format and size") {
  CaptureEncoderOptions o = named("c");
  o.format = PixelFormat::Gray8;
  o.width = 32;
  o.height = 16;
  CaptureEncoder gray(o);
  Message out;
  CapturedFrame f = image_frame(gradient(64, 32, CV_8UC3), 1);
  gray.encode(f, 0, out);
  FrameInfo fi = frame_info(out.header);
  CHECK(fi.fmt == PixelFormat::Gray8);
  CHECK(fi.w == 32);
  CHECK(fi.h == 16);
  CHECK(out.payload.size() == 32 * 16);

  o.format = PixelFormat::Jpeg;
  o.width = o.height = 0;
  CaptureEncoder jpeg(o);
  f = image_frame(gradient(64, 32, CV_8UC3), 1);
  jpeg.encode(f, 0, out);
  fi = frame_info(out.header);
  CHECK(fi.fmt == PixelFormat::Jpeg);
  cv::Mat back = frame_to_mat(out, PixelFormat::Bgr8);
  CHECK(back.cols == 64);
  CHECK(back.rows == 32);
}

TEST_CASE("capture encoder: camera JPEG passes through untouched unless a change is asked for") {
  cv::Mat img = gradient(80, 60, CV_8UC3);
  Message out;
  for (std::optional<PixelFormat> want : {std::optional<PixelFormat>(), std::optional<PixelFormat>(PixelFormat::Jpeg)}) {
    CaptureEncoderOptions o = named("usb");
    o.format = want;
    CaptureEncoder enc(o);
    CapturedFrame f = jpeg_frame(img);
    enc.encode(f, 3, out);
    CHECK(frame_info(out.header).fmt == PixelFormat::Jpeg);
    REQUIRE(out.payload.size() == f.jpeg.size());
    CHECK(std::memcmp(out.payload.data(), f.jpeg.data(), f.jpeg.size()) == 0);
    CHECK(frame_info(out.header).t_capture == 42);
  }

  CaptureEncoderOptions o = named("usb");
  o.format = PixelFormat::Bgr8;
  CaptureEncoder decode(o);
  CapturedFrame f = jpeg_frame(img);
  decode.encode(f, 3, out);
  CHECK(frame_info(out.header).fmt == PixelFormat::Bgr8);
  CHECK(out.payload.size() == 80 * 60 * 3);

  o.format.reset();
  o.width = 40;
  o.height = 30;
  CaptureEncoder resize(o);
  f = jpeg_frame(img);
  resize.encode(f, 3, out);
  FrameInfo fi = frame_info(out.header);
  CHECK(fi.fmt == PixelFormat::Bgr8);  // decoded to be resized
  CHECK(fi.w == 40);
  CHECK(fi.h == 30);

  CaptureEncoderOptions b = named("usb");
  b.format = PixelFormat::Bgr8;
  CaptureEncoder bad(b);
  CapturedFrame broken;
  const uint8_t junk[] = {0xff, 0xd8, 0x00, 0x01, 0x02};
  broken.jpeg.assign(junk, sizeof junk);
  broken.w = 8;
  broken.h = 8;
  CHECK_THROWS_WITH_AS(bad.encode(broken, 0, out),
                       doctest::Contains("usb: the camera delivered a JPEG that does not decode: JPEG of 5 bytes: "), Error);
}

TEST_CASE("capture encoder: recorded records and frames pass through as they were") {
  Message rec;
  rec.header = Json{{"type", "detections"}, {"cam", "old"}, {"seq", 5}, {"tags", Json::array()}};
  Message frame;
  mat_to_frame(gradient(16, 8, CV_8UC3), PixelFormat::Bgr8, FrameInfo{"old", 9, 111}, frame);
  frame.header["custom"] = "kept";
  std::vector<uint8_t> pixels(frame.payload.data(), frame.payload.data() + frame.payload.size());

  CaptureEncoder keep(CaptureEncoderOptions{});  // no name: the recorded cam stays
  Message out;
  CapturedFrame r = recorded(Message{rec.header, {}});
  keep.encode(r, 100, out);
  CHECK(out.header == rec.header);
  CHECK(out.payload.empty());
  CapturedFrame f = recorded(Message{frame.header, {}});
  f.message.payload.assign(pixels.data(), pixels.size());
  keep.encode(f, 100, out);
  CHECK(out.header == frame.header);  // seq 9, not the source's count
  REQUIRE(out.payload.size() == pixels.size());
  CHECK(std::memcmp(out.payload.data(), pixels.data(), pixels.size()) == 0);

  // A name renames the cam of what has one, records too; a record without cam gets none.
  CaptureEncoder rename(named("new"));
  r = recorded(Message{rec.header, {}});
  rename.encode(r, 0, out);
  CHECK(out.header["cam"] == "new");
  CHECK(out.header["tags"] == Json::array());
  r = recorded(Message{Json{{"type", "note"}}, {}});
  rename.encode(r, 0, out);
  CHECK(out.header == Json{{"type", "note"}});

  // The same format at the same size: untouched, even with a format asked for.
  CaptureEncoderOptions same;
  same.format = PixelFormat::Bgr8;
  CaptureEncoder bgr(same);
  f = recorded(Message{frame.header, {}});
  f.message.payload.assign(pixels.data(), pixels.size());
  bgr.encode(f, 0, out);
  CHECK(out.header == frame.header);

  // Converted: the recorded fields are kept, the frame fields are the new image's.
  CaptureEncoderOptions g;
  g.format = PixelFormat::Gray8;
  CaptureEncoder gray(g);
  f = recorded(Message{frame.header, {}});
  f.message.payload.assign(pixels.data(), pixels.size());
  gray.encode(f, 0, out);
  FrameInfo fi = frame_info(out.header);
  CHECK(fi.fmt == PixelFormat::Gray8);
  CHECK(fi.seq == 9);
  CHECK(fi.t_capture == 111);
  CHECK(fi.cam == "old");
  CHECK(out.header["custom"] == "kept");
  CHECK(out.payload.size() == 16 * 8);
}

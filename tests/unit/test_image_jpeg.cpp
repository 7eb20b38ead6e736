// rvkit/image/jpeg.hpp: TurboJPEG encoding and decoding. Round trips stay within a PSNR bound,
// grey decodes to one channel, scaled decodes have TurboJPEG's sizes, the header reads without a
// decode, and corrupt or truncated JPEG is an Error naming the problem.
#include "test_util.hpp"

#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "rvkit/core/error.hpp"
#include "rvkit/image/jpeg.hpp"

using namespace rvkit;

namespace {

// A picture with smooth gradients, edges and some texture, like a camera's (pure noise would
// make every quality look bad, a flat image every quality look perfect).
cv::Mat scene(int w, int h) {
  cv::Mat img(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      auto* p = img.ptr<uint8_t>(y) + 3 * x;
      p[0] = uint8_t(x * 255 / w);
      p[1] = uint8_t(y * 255 / h);
      p[2] = uint8_t(128 + 60 * ((x / 16 + y / 16) % 2));
    }
  cv::rectangle(img, cv::Rect(w / 4, h / 4, w / 3, h / 3), cv::Scalar(20, 30, 240), cv::FILLED);
  cv::circle(img, cv::Point(w * 2 / 3, h / 2), h / 5, cv::Scalar(250, 250, 250), 3);
  return img;
}

std::vector<uint8_t> bytes_of(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

}  // namespace

TEST_CASE("jpeg: a BGR round trip keeps the picture (PSNR over 30 dB at quality 90), the header reads") {
  cv::Mat img = scene(320, 240);
  std::vector<uint8_t> j = encode_jpeg(img, 90);
  REQUIRE(j.size() > 100);
  CHECK(j[0] == 0xff);
  CHECK(j[1] == 0xd8);  // SOI
  JpegHeader hd = read_jpeg_header(j.data(), j.size());
  CHECK(hd.w == 320);
  CHECK(hd.h == 240);
  CHECK_FALSE(hd.gray);
  cv::Mat back = decode_jpeg(j.data(), j.size(), false);
  REQUIRE(back.type() == CV_8UC3);
  REQUIRE(back.size() == img.size());
  double psnr = cv::PSNR(img, back);
  CHECK(psnr > 30);
  // A lower quality makes fewer bytes and loses more, still recognisably the same picture.
  std::vector<uint8_t> low = encode_jpeg(img, 20);
  CHECK(low.size() < j.size());
  double psnr_low = cv::PSNR(img, decode_jpeg(low.data(), low.size(), false));
  CHECK(psnr_low < psnr);
  CHECK(psnr_low > 22);
}

TEST_CASE("jpeg: a strided (non-continuous) image encodes like its copy") {
  cv::Mat big = scene(400, 300);
  cv::Mat roi = big(cv::Rect(10, 20, 320, 240));
  REQUIRE_FALSE(roi.isContinuous());
  CHECK(encode_jpeg(roi, 85) == encode_jpeg(roi.clone(), 85));
}

TEST_CASE("jpeg: grey decodes straight to one channel, and grey images encode as one component") {
  cv::Mat img = scene(320, 240);
  std::vector<uint8_t> j = encode_jpeg(img, 95);
  cv::Mat g = decode_jpeg(j.data(), j.size(), true);
  REQUIRE(g.type() == CV_8UC1);
  REQUIRE(g.size() == img.size());
  cv::Mat want;
  cv::cvtColor(img, want, cv::COLOR_BGR2GRAY);
  CHECK(cv::PSNR(want, g) > 35);  // the luma JPEG kept, no chroma involved

  std::vector<uint8_t> gj = encode_jpeg(want, 95);
  JpegHeader hd = read_jpeg_header(gj.data(), gj.size());
  CHECK(hd.gray);
  CHECK(gj.size() < j.size());
  cv::Mat g2 = decode_jpeg(gj.data(), gj.size(), true);
  REQUIRE(g2.type() == CV_8UC1);
  CHECK(cv::PSNR(want, g2) > 35);
  cv::Mat c2 = decode_jpeg(gj.data(), gj.size(), false);  // a grey JPEG as BGR: three equal channels
  REQUIRE(c2.type() == CV_8UC3);
  std::vector<cv::Mat> ch;
  cv::split(c2, ch);
  CHECK(cv::norm(ch[0], ch[1], cv::NORM_INF) == 0);
  CHECK(cv::norm(ch[0], ch[2], cv::NORM_INF) == 0);
  CHECK(cv::norm(ch[0], g2, cv::NORM_INF) == 0);
}

TEST_CASE("jpeg: scaled decodes are ceil(size / denom) and look like a resize of the full decode") {
  cv::Mat img = scene(642, 481);  // odd sizes: the scaled size rounds up
  std::vector<uint8_t> j = encode_jpeg(img, 90);
  cv::Mat full = decode_jpeg(j.data(), j.size(), false);
  struct Case {
    int denom, w, h;
  };
  for (Case c : {Case{1, 642, 481}, Case{2, 321, 241}, Case{4, 161, 121}, Case{8, 81, 61}}) {
    CAPTURE(c.denom);
    CHECK(jpeg_scaled(642, c.denom) == c.w);
    CHECK(jpeg_scaled(481, c.denom) == c.h);
    cv::Mat s = decode_jpeg(j.data(), j.size(), false, c.denom);
    CHECK(s.cols == c.w);
    CHECK(s.rows == c.h);
    cv::Mat g = decode_jpeg(j.data(), j.size(), true, c.denom);
    CHECK(g.type() == CV_8UC1);
    CHECK(g.cols == c.w);
    CHECK(g.rows == c.h);
    cv::Mat ref;
    cv::resize(full, ref, s.size(), 0, 0, cv::INTER_AREA);
    // 1/8 keeps only each block's DC: the 16-pixel checks become 2 pixels, a little blurred.
    CHECK(cv::PSNR(ref, s) > (c.denom == 8 ? 22 : 25));
  }
  CHECK_THROWS_WITH_AS(decode_jpeg(j.data(), j.size(), false, 3), doctest::Contains("scale 1/3"), Error);
}

TEST_CASE("jpeg: the scale for a wanted size is the smallest decode still at least that size") {
  CHECK(jpeg_denom_for(1280, 720, 1280, 720) == 1);
  CHECK(jpeg_denom_for(1280, 720, 2000, 2000) == 1);
  CHECK(jpeg_denom_for(1280, 720, 641, 360) == 1);
  CHECK(jpeg_denom_for(1280, 720, 640, 360) == 2);
  CHECK(jpeg_denom_for(1280, 720, 320, 180) == 4);
  CHECK(jpeg_denom_for(1280, 720, 321, 100) == 2);
  CHECK(jpeg_denom_for(1280, 720, 160, 90) == 8);
  CHECK(jpeg_denom_for(1280, 720, 16, 9) == 8);
  cv::Mat img = scene(640, 480);
  std::vector<uint8_t> j = encode_jpeg(img, 80);
  cv::Mat m = decode_jpeg_min(j.data(), j.size(), false, 200, 150);
  CHECK(m.cols == 320);  // 1/4 would be 160 wide, under 200
  CHECK(m.rows == 240);
  m = decode_jpeg_min(j.data(), j.size(), true, 0, 0);
  CHECK(m.cols == 640);
  CHECK(m.type() == CV_8UC1);
}

TEST_CASE("jpeg: corrupt, truncated and empty input is an Error naming the size and the problem") {
  cv::Mat img = scene(320, 240);
  std::vector<uint8_t> j = encode_jpeg(img, 85);

  std::vector<uint8_t> not_jpeg = bytes_of("this is not a JPEG file at all, just some text");
  std::string e = testutil::error_of<Error>([&] { decode_jpeg(not_jpeg.data(), not_jpeg.size(), false); });
  CHECK(e.find("JPEG of 46 bytes: ") == 0);
  CHECK(e.find("Not a JPEG file") != std::string::npos);
  CHECK_THROWS_AS(read_jpeg_header(not_jpeg.data(), not_jpeg.size()), Error);

  CHECK_THROWS_WITH_AS(decode_jpeg(j.data(), 0, false), "JPEG of 0 bytes: no data", Error);

  // Cut inside the entropy-coded data: the header reads, the decode does not.
  size_t cut = j.size() / 2;
  JpegHeader hd = read_jpeg_header(j.data(), cut);
  CHECK(hd.w == 320);
  e = testutil::error_of<Error>([&] { decode_jpeg(j.data(), cut, false); });
  CHECK(e.find("JPEG of " + std::to_string(cut) + " bytes: ") == 0);
  CHECK(e.find("Premature end of JPEG file") != std::string::npos);
  CHECK_THROWS_AS(decode_jpeg(j.data(), cut, true, 4), Error);

  // Cut inside the headers.
  CHECK_THROWS_AS(read_jpeg_header(j.data(), 20), Error);
  CHECK_THROWS_AS(decode_jpeg(j.data(), 20, false), Error);

  // Garbage in the middle of the scan: an error (or, if libjpeg resynchronises without a
  // warning, a picture of the right size); never a crash.
  std::vector<uint8_t> bad = j;
  for (size_t i = bad.size() / 3; i < bad.size() / 3 + 64; ++i) bad[i] = uint8_t(i * 37);
  try {
    cv::Mat m = decode_jpeg(bad.data(), bad.size(), false);
    CHECK(m.size() == img.size());
  } catch (const Error& err) {
    CHECK(std::string(err.what()).find("JPEG of ") == 0);
  }
  // A broken start of frame (zero width).
  std::vector<uint8_t> sof = j;
  for (size_t i = 0; i + 9 < sof.size(); ++i)
    if (sof[i] == 0xff && sof[i + 1] == 0xc0) {
      sof[i + 7] = 0;
      sof[i + 8] = 0;  // width 0
      break;
    }
  CHECK_THROWS_AS(decode_jpeg(sof.data(), sof.size(), false), Error);

  // After each kind of failure, the same thread still decodes a good JPEG (libjpeg-turbo 2.1
  // leaves a decoder whose header read failed unusable: "Bogus marker length").
  auto still_decodes = [&] {
    CHECK(read_jpeg_header(j.data(), j.size()).w == 320);
    CHECK(decode_jpeg(j.data(), j.size(), false).cols == 320);
  };
  CHECK_THROWS_AS(read_jpeg_header(j.data(), 20), Error);
  still_decodes();
  CHECK_THROWS_AS(decode_jpeg(j.data(), cut, false), Error);
  still_decodes();
  CHECK_THROWS_AS(decode_jpeg(not_jpeg.data(), not_jpeg.size(), true), Error);
  still_decodes();
}

TEST_CASE("jpeg: bad images and qualities are refused by the encoder") {
  CHECK_THROWS_WITH_AS(encode_jpeg(cv::Mat(), 80), doctest::Contains("JPEG encode"), Error);
  CHECK_THROWS_AS(encode_jpeg(cv::Mat(8, 8, CV_16UC1, cv::Scalar(0)), 80), Error);
  CHECK_THROWS_AS(encode_jpeg(cv::Mat(8, 8, CV_8UC4, cv::Scalar(0)), 80), Error);
  CHECK_THROWS_WITH_AS(encode_jpeg(cv::Mat(8, 8, CV_8UC3, cv::Scalar(0)), 0), doctest::Contains("quality 0"), Error);
  CHECK_THROWS_AS(encode_jpeg(cv::Mat(8, 8, CV_8UC3, cv::Scalar(0)), 101), Error);
}

TEST_CASE("jpeg: every thread has its own codec") {
  cv::Mat img = scene(160, 120);
  std::vector<uint8_t> want = encode_jpeg(img, 80);
  std::vector<std::thread> ts;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::vector<uint8_t> j = encode_jpeg(img, 80);
        cv::Mat back = decode_jpeg(j.data(), j.size(), false, 2);
        if (j == want && back.cols == 80) ok[size_t(t)]++;
      }
    });
  for (auto& t : ts) t.join();
  for (int n : ok) CHECK(n == 20);
}

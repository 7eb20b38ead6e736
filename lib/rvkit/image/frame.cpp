#include "rvkit/image/frame.hpp"

#include <cstring>

#include <opencv2/imgproc.hpp>

#include <fmt/format.h>

#include "rvkit/core/error.hpp"
#include "rvkit/image/jpeg.hpp"

namespace rvkit {

cv::Mat frame_to_mat(const Message& m, PixelFormat want) { return frame_to_mat(m, want, 0, 0); }

cv::Mat frame_to_mat(const Message& m, PixelFormat want, int min_w, int min_h) {
  FrameInfo f = frame_info(m.header);
  cv::Mat img;
  auto* data = const_cast<uint8_t*>(m.payload.data());
  if (f.fmt == PixelFormat::Jpeg) {
    try {
      img = decode_jpeg_min(m.payload.data(), m.payload.size(), want == PixelFormat::Gray8, min_w, min_h);
    } catch (const Error& e) {
      throw Error(fmt::format("frame {} of '{}': the JPEG payload does not decode: {}", f.seq, f.cam, e.what()));
    }
  } else {
    img = cv::Mat(f.h, f.w, f.fmt == PixelFormat::Gray8 ? CV_8UC1 : CV_8UC3, data, size_t(f.stride));
  }
  if (want == PixelFormat::Jpeg) return img;  // callers wanting JPEG bytes use the payload itself
  if (want == PixelFormat::Gray8 && img.channels() == 3) {
    cv::Mat g;
    cv::cvtColor(img, g, cv::COLOR_BGR2GRAY);
    return g;
  }
  if (want == PixelFormat::Bgr8 && img.channels() == 1) {
    cv::Mat c;
    cv::cvtColor(img, c, cv::COLOR_GRAY2BGR);
    return c;
  }
  return img;
}

void mat_to_frame(const cv::Mat& src, PixelFormat fmt, const FrameInfo& info, Message& out, int jpeg_quality) {
  FrameInfo f = info;
  f.w = src.cols;
  f.h = src.rows;
  f.fmt = fmt;
  cv::Mat img = src;
  if (fmt == PixelFormat::Gray8 && img.channels() == 3) cv::cvtColor(src, img, cv::COLOR_BGR2GRAY);
  if (fmt == PixelFormat::Bgr8 && img.channels() == 1) cv::cvtColor(src, img, cv::COLOR_GRAY2BGR);
  if (fmt == PixelFormat::Jpeg) {
    thread_local std::vector<uint8_t> jpeg;
    encode_jpeg(img, jpeg_quality, jpeg);
    f.stride = 0;
    f.bytes = jpeg.size();
    out.payload.assign(jpeg.data(), jpeg.size());
  } else {
    size_t row = size_t(img.cols) * img.elemSize();
    f.stride = int64_t(row);
    f.bytes = row * size_t(img.rows);
    out.payload.resize(f.bytes);
    if (img.isContinuous()) {
      std::memcpy(out.payload.data(), img.data, f.bytes);
    } else {
      for (int y = 0; y < img.rows; ++y) std::memcpy(out.payload.data() + row * size_t(y), img.ptr(y), row);
    }
  }
  out.header = make_frame_header(f);
}

void jpeg_to_frame(const uint8_t* jpeg, size_t n, int w, int h, const FrameInfo& info, Message& out) {
  FrameInfo f = info;
  f.w = w;
  f.h = h;
  f.fmt = PixelFormat::Jpeg;
  f.stride = 0;
  f.bytes = n;
  out.payload.assign(jpeg, n);
  out.header = make_frame_header(f);
}

}  // namespace rvkit

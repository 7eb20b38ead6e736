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

namespace {

// n bytes for out's payload: from `memory` when it gives some (out.payload borrows them), else
// out.payload's own.
uint8_t* payload_memory(Message& out, size_t n, const PayloadMemory& memory) {
  out.payload.clear();  // a view of an earlier frame's memory is dropped, never copied
  if (memory)
    if (uint8_t* p = memory(n)) {
      out.payload.borrow(p, n, nullptr);
      return p;
    }
  out.payload.resize(n);
  return out.payload.data();
}

}  // namespace

void mat_to_frame(const cv::Mat& src, PixelFormat want, const FrameInfo& info, Message& out, int jpeg_quality,
                  const PayloadMemory& memory) {
  FrameInfo f = info;
  f.w = src.cols;
  f.h = src.rows;
  f.fmt = want;
  if (src.type() != CV_8UC1 && src.type() != CV_8UC3)
    throw Error(fmt::format("a frame of '{}' from an image of OpenCV type {}: only 8-bit grey or BGR images make frames",
                            info.cam, src.type()));
  if (want == PixelFormat::Jpeg) {
    thread_local std::vector<uint8_t> jpeg;
    encode_jpeg(src, jpeg_quality, jpeg);
    f.stride = 0;
    f.bytes = jpeg.size();
    std::memcpy(payload_memory(out, jpeg.size(), memory), jpeg.data(), jpeg.size());
  } else {
    int channels = want == PixelFormat::Gray8 ? 1 : 3;
    size_t row = size_t(src.cols) * size_t(channels);
    f.stride = int64_t(row);
    f.bytes = row * size_t(src.rows);
    cv::Mat dst(src.rows, src.cols, CV_8UC(channels), payload_memory(out, f.bytes, memory), row);
    if (src.channels() == channels)
      src.copyTo(dst);
    else
      cv::cvtColor(src, dst, channels == 1 ? cv::COLOR_BGR2GRAY : cv::COLOR_GRAY2BGR);
  }
  out.header = make_frame_header(f);
}

void jpeg_to_frame(const uint8_t* jpeg, size_t n, int w, int h, const FrameInfo& info, Message& out,
                   const PayloadMemory& memory) {
  FrameInfo f = info;
  f.w = w;
  f.h = h;
  f.fmt = PixelFormat::Jpeg;
  f.stride = 0;
  f.bytes = n;
  if (n) std::memcpy(payload_memory(out, n, memory), jpeg, n);
  else out.payload.clear();
  out.header = make_frame_header(f);
}

}  // namespace rvkit

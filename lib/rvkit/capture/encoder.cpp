#include "rvkit/capture/encoder.hpp"

#include <utility>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "rvkit/core/error.hpp"
#include "rvkit/image/frame.hpp"
#include "rvkit/image/jpeg.hpp"

namespace rvkit {
namespace {

cv::Mat resized(const cv::Mat& img, int w, int h) {
  if (w == 0 || (img.cols == w && img.rows == h)) return img;
  cv::Mat r;
  cv::resize(img, r, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  return r;
}

void pass_through(Message& from, Message& out) {
  std::swap(out.header, from.header);
  std::swap(out.payload, from.payload);
}

}  // namespace

void CaptureEncoder::encode(CapturedFrame& f, int64_t seq, Message& out, const PayloadMemory& memory) {
  const std::optional<PixelFormat>& want = o_.format;
  const int rw = o_.width, rh = o_.height;
  if (f.is_message) {
    if (!o_.cam.empty() && f.message.header.contains("cam")) f.message.header["cam"] = o_.cam;
    if (!want || !f.message.is_frame()) return pass_through(f.message, out);
    FrameInfo info = frame_info(f.message.header);
    if (info.fmt == *want && rw == 0) return pass_through(f.message, out);
    cv::Mat img = frame_to_mat(f.message, *want == PixelFormat::Gray8 ? PixelFormat::Gray8 : PixelFormat::Bgr8, rw, rh);
    Json keep = f.message.header;
    mat_to_frame(resized(img, rw, rh), *want, info, out, o_.quality, memory);
    for (auto& [k, v] : keep.items())
      if (!out.header.contains(k)) out.header[k] = v;
    return;
  }
  FrameInfo info;
  info.cam = o_.cam;
  info.seq = seq;
  info.t_capture = f.t_capture;
  if (!f.jpeg.empty()) {
    if ((!want || *want == PixelFormat::Jpeg) && rw == 0) {
      jpeg_to_frame(f.jpeg.data(), f.jpeg.size(), f.w, f.h, info, out, memory);  // untouched
    } else {
      // Decoded straight to grey when grey is wanted, and at 1/2, 1/4 or 1/8 inside the decoder when
      // that is still at least the wanted size.
      cv::Mat img;
      try {
        img = decode_jpeg_min(f.jpeg.data(), f.jpeg.size(), want == PixelFormat::Gray8, rw, rh);
      } catch (const Error& e) {
        throw BadCameraFrame(fmt::format("{}: the camera delivered a JPEG that does not decode: {}", o_.cam, e.what()));
      }
      mat_to_frame(resized(img, rw, rh), want.value_or(PixelFormat::Bgr8), info, out, o_.quality, memory);
    }
  } else {
    PixelFormat fmt = want.value_or(f.image.channels() == 1 ? PixelFormat::Gray8 : PixelFormat::Bgr8);
    mat_to_frame(resized(f.image, rw, rh), fmt, info, out, o_.quality, memory);
  }
  if (f.extra.is_object())
    for (auto& [k, v] : f.extra.items()) out.header[k] = v;
}

}  // namespace rvkit

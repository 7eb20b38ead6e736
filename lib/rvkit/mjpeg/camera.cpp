#include "rvkit/mjpeg/camera.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "rvkit/core/log.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/image/frame.hpp"
#include "rvkit/image/jpeg.hpp"
#include "rvkit/core/signals.hpp"

namespace rvkit::mjpeg {

std::string x_timestamp(int64_t t) {
  if (t >= 0) return fmt::format("{}.{:06}", t / 1000000, t % 1000000);
  return fmt::format("{:.6f}", double(t) / 1e6);
}

void variant_size(const VariantKey& key, int cam_w, int cam_h, int& w, int& h) {
  w = key.w;
  h = key.h;
  if (w <= 0 && h <= 0) {
    w = cam_w;
    h = cam_h;
  } else if (w <= 0) {
    w = std::max(1, int(std::lround(double(cam_w) * h / std::max(1, cam_h))));
  } else if (h <= 0) {
    h = std::max(1, int(std::lround(double(cam_h) * w / std::max(1, cam_w))));
  }
  // Never larger than the camera's frames: scaling up adds no detail, only encoding time that
  // every client of the camera would wait for.
  if (w > cam_w || h > cam_h) {
    double s = std::min(double(cam_w) / w, double(cam_h) / h);
    w = std::clamp(int(std::lround(w * s)), 1, cam_w);
    h = std::clamp(int(std::lround(h * s)), 1, cam_h);
  }
}

namespace {

std::shared_ptr<EncodedFrame> new_encoded(const FrameInfo& f, int w, int h, int quality) {
  auto e = std::make_shared<EncodedFrame>();
  e->seq = f.seq;
  e->t_capture = f.t_capture;
  e->w = w;
  e->h = h;
  e->quality = quality;
  return e;
}

void finish(EncodedFrame& e) {
  e.part_header = fmt::format("--{}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\nX-Timestamp: {}\r\n\r\n",
                              kBoundary, e.jpeg.size(), x_timestamp(e.t_capture));
}

// Makes all the variants of one frame, decoding and resizing at most once each, and
// encoding each distinct (size, quality) once even when several keys come to the same.
class FrameEncoder {
 public:
  FrameEncoder(const Message& m, int default_quality)
      : m_(m), f_(frame_info(m.header)), default_quality_(default_quality) {}

  EncodedPtr get(const VariantKey& key) {
    int w, h;
    variant_size(key, f_.w, f_.h, w, h);
    bool same_size = w == f_.w && h == f_.h;
    int q = key.quality < 0 ? (f_.fmt == PixelFormat::Jpeg && same_size ? -1 : default_quality_) : key.quality;
    auto id = std::make_tuple(w, h, q);
    if (auto it = done_.find(id); it != done_.end()) return it->second;
    auto e = new_encoded(f_, w, h, q);
    if (q < 0) {
      e->jpeg.assign(m_.payload.data(), m_.payload.data() + m_.payload.size());
    } else {
      const cv::Mat& img = image(w, h);
      encode_jpeg(img, q, e->jpeg);
      ++encodes_;
    }
    finish(*e);
    done_.emplace(id, e);
    return e;
  }
  int encodes() const { return encodes_; }

 private:
  // The frame at w x h. A JPEG frame is decoded once per scale it is needed at: a smaller
  // variant starts from a decode at 1/2, 1/4 or 1/8 (inside the decoder, far cheaper than a
  // full decode) that is still at least w x h, and is resized from there.
  const cv::Mat& image(int w, int h) {
    const cv::Mat& src = source(w, h);
    if (w == src.cols && h == src.rows) return src;
    cv::Mat& r = resized_[{w, h}];
    if (r.empty()) {
      int interp = w < src.cols ? cv::INTER_AREA : cv::INTER_LINEAR;
      cv::resize(src, r, cv::Size(w, h), 0, 0, interp);
    }
    return r;
  }
  const cv::Mat& source(int w, int h) {
    PixelFormat as = f_.fmt == PixelFormat::Gray8 ? PixelFormat::Gray8 : PixelFormat::Bgr8;
    int denom = f_.fmt == PixelFormat::Jpeg ? jpeg_denom_for(f_.w, f_.h, w, h) : 1;
    cv::Mat& s = decoded_[denom];
    if (s.empty()) s = frame_to_mat(m_, as, jpeg_scaled(f_.w, denom), jpeg_scaled(f_.h, denom));
    return s;
  }

  const Message& m_;
  FrameInfo f_;
  int default_quality_;
  std::map<int, cv::Mat> decoded_;  // by scale denominator (raw frames: 1 only)
  std::map<std::pair<int, int>, cv::Mat> resized_;
  std::map<std::tuple<int, int, int>, EncodedPtr> done_;
  int encodes_ = 0;
};

}  // namespace

EncodedPtr encode_variant(const Message& frame, const VariantKey& key, int default_quality) {
  FrameEncoder enc(frame, default_quality);
  return enc.get(key);
}

// ---------------------------------------------------------------------------- Camera

Camera::Camera(std::string name, int default_quality, int max_variants, Deliver deliver)
    : name_(std::move(name)), default_quality_(default_quality), max_variants_(size_t(std::max(1, max_variants))),
      deliver_(std::move(deliver)) {
  stats_.name = name_;
  thread_ = start_worker([this] { run(); });
}

Camera::~Camera() { stop(); }

void Camera::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<Message> Camera::push(std::unique_ptr<Message> frame) {
  FrameInfo f = frame_info(frame->header);
  int64_t now = mono_us();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.frames++;
    stats_.bytes += frame->payload.size();
    stats_.w = f.w;
    stats_.h = f.h;
    stats_.fmt = to_string(f.fmt);
    stats_.t_capture = f.t_capture;
    stats_.seq = f.seq;
    stats_.last_frame_mono_us = now;
    if (window_start_us_ == 0) {
      window_start_us_ = now;  // the rate counts the frames after this one
    } else if (++window_frames_, now - window_start_us_ >= 1000000) {
      stats_.fps = double(window_frames_) * 1e6 / double(now - window_start_us_);
      window_frames_ = 0;
      window_start_us_ = now;
    }
    if (latest_.put(frame) && !subscribers_.empty()) stats_.skipped++;
  }
  cv_.notify_one();
  return frame ? std::move(frame) : std::make_unique<Message>();  // the replaced or a spare message
}

bool Camera::subscribe(const VariantKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subscribers_.find(key);
  if (it == subscribers_.end()) {
    if (subscribers_.size() >= max_variants_) return false;
    it = subscribers_.emplace(key, 0).first;
  }
  it->second++;
  return true;
}

void Camera::unsubscribe(const VariantKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subscribers_.find(key);
  if (it == subscribers_.end()) return;
  if (--it->second <= 0) {
    subscribers_.erase(it);
    last_.erase(key);
  }
}

void Camera::request(const VariantKey& key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (std::find(requests_.begin(), requests_.end(), key) == requests_.end()) requests_.push_back(key);
  }
  cv_.notify_one();
}

CameraStats Camera::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  CameraStats s = stats_;
  int64_t now = mono_us();
  if (s.last_frame_mono_us && now - s.last_frame_mono_us > 2000000) s.fps = 0;  // stalled
  else if (s.fps == 0 && window_frames_ >= 2 && s.last_frame_mono_us > window_start_us_)
    s.fps = double(window_frames_) * 1e6 / double(s.last_frame_mono_us - window_start_us_);  // first second
  s.variants = int(subscribers_.size());
  return s;
}

void Camera::run() {
  int errors = 0;
  for (;;) {
    std::vector<VariantKey> keys;
    std::map<VariantKey, EncodedPtr> reuse;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || latest_.full() || !requests_.empty(); });
      if (stop_) return;
      if (latest_.take(current_))  // the previous frame stays in the cell, to be recycled
        for (const auto& kv : subscribers_) keys.push_back(kv.first);
      for (const auto& k : requests_)
        if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
      requests_.clear();
      if (!current_ || keys.empty()) continue;
      int64_t seq = current_->header.value("seq", int64_t(0));
      for (const auto& k : keys) {
        auto it = last_.find(k);
        if (it != last_.end() && it->second && it->second->seq == seq) reuse[k] = it->second;
      }
    }
    // Encode without the lock: the reader keeps pushing frames meanwhile.
    std::vector<std::pair<VariantKey, EncodedPtr>> results;
    int64_t t0 = mono_us();
    int encodes = 0;
    try {
      FrameEncoder enc(*current_, default_quality_);
      for (const auto& k : keys) {
        auto it = reuse.find(k);
        results.emplace_back(k, it != reuse.end() ? it->second : enc.get(k));
      }
      encodes = enc.encodes();
    } catch (const std::exception& e) {
      if (errors++ < 3 || errors % 1000 == 0)
        log_line(fmt::format("camera '{}': frame {}: {} (frame skipped)", name_,
                                        current_->header.value("seq", int64_t(0)), e.what()));
      continue;
    }
    double ms = double(mono_us() - t0) / 1000.0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.encoded += uint64_t(encodes);
      if (encodes) stats_.encode_ms = stats_.encode_ms == 0 ? ms : 0.9 * stats_.encode_ms + 0.1 * ms;
      for (const auto& [k, e] : results)
        if (subscribers_.count(k)) last_[k] = e;
    }
    if (deliver_) deliver_(name_, std::move(results));
  }
}

// ---------------------------------------------------------------------------- CameraHub

CameraHub::CameraHub(int default_quality, int max_variants, int max_cameras, Camera::Deliver deliver)
    : default_quality_(default_quality), max_variants_(max_variants), max_cameras_(size_t(std::max(1, max_cameras))),
      deliver_(std::move(deliver)) {}

CameraHub::~CameraHub() { stop(); }

std::shared_ptr<Camera> CameraHub::get_or_create(const std::string& name, const Added& added) {
  std::shared_ptr<Camera> cam;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& c : cams_)
      if (c->name() == name) return c;
    if (cams_.size() >= max_cameras_) return nullptr;
    cam = std::make_shared<Camera>(name, default_quality_, max_variants_, deliver_);
    cams_.push_back(cam);
  }
  if (added) added(cam);
  return cam;
}

std::shared_ptr<Camera> CameraHub::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& c : cams_)
    if (c->name() == name) return c;
  return nullptr;
}

std::shared_ptr<Camera> CameraHub::first() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cams_.empty() ? nullptr : cams_.front();
}

std::vector<std::shared_ptr<Camera>> CameraHub::all() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cams_;
}

void CameraHub::stop() {
  for (const auto& c : all()) c->stop();
}

}  // namespace rvkit::mjpeg

// Live sources on OpenCV's VideoCapture: V4L2 cameras and IP cameras (MJPEG over HTTP, RTSP).
// A camera that is missing, unplugged or stops delivering is reopened with backoff and a
// clear line on stderr; the source never exits on its own.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <opencv2/core/utils/logger.hpp>
#include <opencv2/videoio.hpp>

#include <fmt/format.h>

#include "rvkit/capture/source.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/option_error.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/signals.hpp"

namespace rvkit {
namespace {

// Sleeps up to `us`, waking early on a stop request. False if a stop was requested.
bool sleep_unless_stopped(int64_t us) {
  int64_t end = mono_us() + us;
  while (!stop_requested()) {
    int64_t left = end - mono_us();
    if (left <= 0) return true;
    usleep(useconds_t(std::min<int64_t>(left, 50000)));
  }
  return false;
}

class VideoCaptureSource : public Source {
 public:
  VideoCaptureSource(std::string what, const SourceOptions& o) : what_(std::move(what)), o_(o) {
    quiet_video_backends();
  }

  bool live() const override { return true; }

  bool grab(CapturedFrame& f) override {
    for (;;) {
      if (stop_requested()) return false;
      if (!cap_.isOpened()) {
        std::string why;
        if (!open(why)) {
          retry(fmt::format("cannot open: {}", why));
          if (!sleep_unless_stopped(backoff_us_)) return false;
          continue;
        }
        describe_open();
        failures_ = 0;
        backoff_us_ = kFirstBackoffUs;
      }
      if (!cap_.grab()) {
        cap_.release();
        retry("lost (unplugged, or no frame within the timeout)");
        if (!sleep_unless_stopped(backoff_us_)) return false;
        continue;
      }
      f.t_capture = capture_time();
      f.is_message = false;
      f.extra = nullptr;
      cv::Mat m;
      if (!cap_.retrieve(m) || m.empty()) {
        cap_.release();
        retry("delivered an unreadable frame");
        continue;
      }
      if (passthrough_ && m.rows == 1 && m.total() > 4 && m.data[0] == 0xFF && m.data[1] == 0xD8) {
        f.jpeg.assign(m.data, m.total());
        f.image.release();
        f.w = w_;
        f.h = h_;
      } else {
        f.jpeg.clear();
        f.image = m;
        f.w = m.cols;
        f.h = m.rows;
      }
      return true;
    }
  }

 protected:
  virtual bool open(std::string& why) = 0;
  virtual int64_t capture_time() { return now_us(); }

  void describe_open() {
    w_ = int(cap_.get(cv::CAP_PROP_FRAME_WIDTH));
    h_ = int(cap_.get(cv::CAP_PROP_FRAME_HEIGHT));
    if (o_.verbose || failures_)
      log_line(fmt::format("{}: {} ({}x{} at {:.3g} fps{})", what_, failures_ ? "connected again" : "opened",
                                    w_, h_, cap_.get(cv::CAP_PROP_FPS), passthrough_ ? ", MJPEG passed through" : ""));
  }

  void retry(const std::string& why) {
    ++failures_;
    if (failures_ > 1) backoff_us_ = std::min<int64_t>(backoff_us_ * 2, kMaxBackoffUs);
    log_line(fmt::format("{}: {}; retrying in {:.1f} s", what_, why, double(backoff_us_) / 1e6));
  }

  static constexpr int64_t kFirstBackoffUs = 500000;
  static constexpr int64_t kMaxBackoffUs = 5000000;

  std::string what_;
  SourceOptions o_;
  cv::VideoCapture cap_;
  bool passthrough_ = false;
  int w_ = 0, h_ = 0;
  int failures_ = 0;
  int64_t backoff_us_ = kFirstBackoffUs;
};

class CameraSource final : public VideoCaptureSource {
 public:
  CameraSource(const std::string& device, const SourceOptions& o) : VideoCaptureSource(device_path(device), o) {
    if (!o.fourcc.empty() && o.fourcc != "MJPG" && o.fourcc != "YUYV")
      throw OptionError("--fourcc", o.fourcc, "must be MJPG or YUYV");
    if (o.exposure != "auto") {
      char* end = nullptr;
      exposure_ = std::strtod(o.exposure.c_str(), &end);
      if (!end || *end || o.exposure.empty()) throw OptionError("--exposure", o.exposure, "must be auto or a number");
    }
  }
  std::string default_name() const override {
    auto p = what_.find_last_not_of("0123456789");
    return "cam" + what_.substr(p + 1);
  }

 private:
  static std::string device_path(const std::string& d) {
    if (!d.empty() && std::all_of(d.begin(), d.end(), ::isdigit)) return "/dev/video" + d;
    return d;
  }

  bool open(std::string& why) override {
    if (access(what_.c_str(), F_OK) != 0) {
      why = fmt::format("{} (is the camera plugged in?)", std::strerror(errno));
      return false;
    }
    if (access(what_.c_str(), R_OK | W_OK) != 0) {
      why = fmt::format("{} (add your user to the 'video' group)", std::strerror(errno));
      return false;
    }
    std::vector<int> params;
    if (!o_.fourcc.empty()) {
      const char* c = o_.fourcc.c_str();
      params.insert(params.end(), {cv::CAP_PROP_FOURCC, cv::VideoWriter::fourcc(c[0], c[1], c[2], c[3])});
    }
    if (o_.width) params.insert(params.end(), {cv::CAP_PROP_FRAME_WIDTH, o_.width});
    if (o_.height) params.insert(params.end(), {cv::CAP_PROP_FRAME_HEIGHT, o_.height});
    if (o_.fps > 0) params.insert(params.end(), {cv::CAP_PROP_FPS, int(o_.fps)});
    if (!cap_.open(what_, cv::CAP_V4L2, params) || !cap_.isOpened()) {
      why = "not a usable V4L2 capture device, or busy";
      return false;
    }
    cap_.set(cv::CAP_PROP_BUFFERSIZE, 2);  // few driver buffers: fresher frames
    if (o_.exposure == "auto") {
      cap_.set(cv::CAP_PROP_AUTO_EXPOSURE, 3);  // V4L2 aperture-priority (auto)
    } else {
      cap_.set(cv::CAP_PROP_AUTO_EXPOSURE, 1);  // V4L2 manual
      cap_.set(cv::CAP_PROP_EXPOSURE, exposure_);
    }
    passthrough_ = o_.want_jpeg && o_.fourcc == "MJPG";
    if (passthrough_) cap_.set(cv::CAP_PROP_CONVERT_RGB, 0);
    return true;
  }

  // V4L2 stamps each buffer with CLOCK_MONOTONIC at the start of the frame; OpenCV reports it
  // as CAP_PROP_POS_MSEC. Use it when it is plausible, else the time the frame arrived.
  int64_t capture_time() override {
    double ms = cap_.get(cv::CAP_PROP_POS_MSEC);
    int64_t mono = int64_t(ms * 1000.0), now = mono_us();
    if (ms > 0 && mono <= now && now - mono < 1000000) return mono_to_wall_us(mono);
    return now_us();
  }

  double exposure_ = 0;
};

class UrlSource final : public VideoCaptureSource {
 public:
  UrlSource(const std::string& url, const SourceOptions& o) : VideoCaptureSource(url, o) {}
  std::string default_name() const override { return "ipcam"; }

 private:
  bool open(std::string& why) override {
    std::vector<int> params = {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, 5000, cv::CAP_PROP_READ_TIMEOUT_MSEC, 3000};
    if (!cap_.open(what_, cv::CAP_FFMPEG, params) || !cap_.isOpened()) {
      why = "no answer, or not a video stream FFmpeg can read";
      return false;
    }
    return true;
  }
};

}  // namespace

void quiet_video_backends() {
  setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", 0);  // AV_LOG_QUIET, read when FFmpeg is first used
  if (!getenv("OPENCV_LOG_LEVEL")) cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
}

std::unique_ptr<Source> open_camera(const std::string& device, const SourceOptions& o) {
  return std::make_unique<CameraSource>(device, o);
}

std::unique_ptr<Source> open_url(const std::string& url, const SourceOptions& o) {
  return std::make_unique<UrlSource>(url, o);
}

}  // namespace rvkit

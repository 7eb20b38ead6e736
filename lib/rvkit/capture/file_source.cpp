// Recorded sources: video files, single images, image globs and directories, and rvkit
// streams saved with `cap ... > file`. Recorded sources never drop frames.
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>

#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <fmt/format.h>

#include "rvkit/capture/source.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/option_error.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/io/transport.hpp"

namespace rvkit {
namespace {

bool has_image_extension(const std::string& path) {
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos) return false;
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  for (const char* e : {"jpg", "jpeg", "png", "bmp", "pgm", "ppm", "pbm", "tif", "tiff", "webp"})
    if (ext == e) return true;
  return false;
}

std::string stem(const std::string& path) {
  std::string s = path.substr(path.find_last_of('/') + 1);
  auto dot = s.find_last_of('.');
  if (dot != std::string::npos && dot > 0) s.erase(dot);
  std::replace_if(s.begin(), s.end(), [](char c) { return !isalnum(c) && c != '-' && c != '_'; }, '_');
  return s.empty() ? "file" : s;
}

// Paces frames by their media time when --realtime is on.
class Pacer {
 public:
  explicit Pacer(bool on) : on_(on) {}
  // Waits until media time `t_us` (relative to the first frame) is due. False on stop.
  bool wait(int64_t t_us) {
    if (!on_) return !stop_requested();
    int64_t now = mono_us();
    if (!started_) {
      started_ = true;
      start_mono_ = now;
      start_t_ = t_us;
    }
    int64_t due = start_mono_ + (t_us - start_t_);
    if (due < now - 1000000) {  // fell far behind (or time went backwards on a loop): restart the clock
      start_mono_ = now;
      start_t_ = t_us;
      return true;
    }
    while (!stop_requested() && mono_us() < due) usleep(useconds_t(std::min<int64_t>(due - mono_us(), 20000)));
    return !stop_requested();
  }
  void restart() { started_ = false; }

 private:
  bool on_, started_ = false;
  int64_t start_mono_ = 0, start_t_ = 0;
};

class VideoFileSource final : public Source {
 public:
  VideoFileSource(const std::string& path, const SourceOptions& o) : path_(path), o_(o), pacer_(o.realtime) {
    quiet_video_backends();
    if (!cap_.open(path, cv::CAP_FFMPEG) || !cap_.isOpened())
      throw Error(fmt::format("{}: not a video, image or rvkit stream that can be read", path));
    fps_ = cap_.get(cv::CAP_PROP_FPS);
    if (!(fps_ > 0 && fps_ < 1000)) fps_ = 30;
  }
  bool live() const override { return false; }
  std::string default_name() const override { return stem(path_); }

  bool grab(CapturedFrame& f) override {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (stop_requested()) return false;
      if (cap_.read(f.image) && !f.image.empty()) {
        // Media time: the frame's position, or its index at the nominal rate.
        double ms = cap_.get(cv::CAP_PROP_POS_MSEC);
        int64_t media = ms > 0 ? int64_t(ms * 1000) : int64_t(double(index_) * 1e6 / fps_);
        ++index_;
        if (!pacer_.wait(media + loop_offset_)) return false;
        f.t_capture = now_us();
        f.w = f.image.cols;
        f.h = f.image.rows;
        f.jpeg.clear();
        f.is_message = false;
        f.extra = nullptr;
        last_media_ = media + loop_offset_;
        return true;
      }
      if (!o_.loop || index_ == 0) return false;
      cap_.release();
      if (!cap_.open(path_, cv::CAP_FFMPEG)) throw Error(fmt::format("{}: cannot reopen to loop", path_));
      loop_offset_ = last_media_ + int64_t(1e6 / fps_);
      index_ = 0;
    }
    return false;
  }

 private:
  std::string path_;
  SourceOptions o_;
  cv::VideoCapture cap_;
  Pacer pacer_;
  double fps_ = 30;
  uint64_t index_ = 0;
  int64_t loop_offset_ = 0, last_media_ = 0;
};

class ImageListSource final : public Source {
 public:
  ImageListSource(std::vector<std::string> files, std::string name, const SourceOptions& o)
      : files_(std::move(files)), name_(std::move(name)), o_(o), pacer_(o.realtime) {
    if (files_.empty()) throw Error(fmt::format("{}: no image files found", name_));
    period_us_ = int64_t(1e6 / (o.fps > 0 ? o.fps : 30));
  }
  bool live() const override { return false; }
  std::string default_name() const override { return stem(name_); }

  bool grab(CapturedFrame& f) override {
    if (next_ >= files_.size()) {
      if (!o_.loop) return false;
      next_ = 0;
    }
    const std::string& path = files_[next_++];
    f.image = cv::imread(path, cv::IMREAD_COLOR);
    if (f.image.empty()) throw Error(fmt::format("{}: cannot read the image (missing, or not an image format OpenCV reads)", path));
    if (!pacer_.wait(int64_t(count_++) * period_us_)) return false;
    f.t_capture = now_us();
    f.w = f.image.cols;
    f.h = f.image.rows;
    f.jpeg.clear();
    f.is_message = false;
    f.extra = Json{{"file", path}};
    return true;
  }

 private:
  std::vector<std::string> files_;
  std::string name_;
  SourceOptions o_;
  Pacer pacer_;
  size_t next_ = 0;
  uint64_t count_ = 0;
  int64_t period_us_;
};

class StreamFileSource final : public Source {
 public:
  StreamFileSource(const std::string& path, const SourceOptions& o) : path_(path), o_(o), pacer_(o.realtime) {
    in_ = open_input(path);
  }
  bool live() const override { return false; }
  std::string default_name() const override { return ""; }  // keep the recorded names

  bool grab(CapturedFrame& f) override {
    const int64_t from_us = int64_t(o_.from_s * 1e6), to_us = o_.to_s < 0 ? -1 : int64_t(o_.to_s * 1e6);
    for (int attempt = 0; attempt < 2; ++attempt) {
      while (in_->read(f.message)) {
        Message& m = f.message;
        const Json& h = m.header;
        // Its time in the recording: arrival (t_rec), else a frame's capture time; records of an
        // older recording without t_rec are not paced (as before recordings had arrival times).
        int64_t t = -1;
        if (h.contains("t_rec") && h["t_rec"].is_number_integer()) t = h["t_rec"].get<int64_t>();
        else if (m.is_frame()) t = h["t_capture"].get<int64_t>();
        if (t >= 0 && first_t_ < 0) first_t_ = t;
        if (!o_.only_cam.empty() && h.contains("cam") && h["cam"] != o_.only_cam) continue;
        if (t >= 0) {
          const int64_t rel = t - first_t_;
          if (rel < from_us) continue;
          if (to_us >= 0 && rel > to_us) break;  // past --to: the end (or the loop)
          if (!pacer_.wait(int64_t(double(rel - from_us) / o_.speed))) return false;
        }
        if (o_.restamp) restamp(m);
        f.is_message = true;
        ++count_;
        return true;
      }
      if (!o_.loop || count_ == 0 || stop_requested()) return false;
      in_ = open_input(path_);
      pacer_.restart();
    }
    return false;
  }

 private:
  // Moves t_capture to the present, keeping the recorded age (t_rec - t_capture). A record that
  // describes a frame already re-stamped (same cam and t_capture) gets that frame's new time, so
  // frames and records still match.
  void restamp(Message& m) {
    Json& h = m.header;
    if (!h.contains("t_capture") || !h["t_capture"].is_number_integer()) return;
    const int64_t old = h["t_capture"].get<int64_t>();
    const std::string cam = h.contains("cam") && h["cam"].is_string() ? h["cam"].get<std::string>() : "";
    int64_t now = now_us();
    if (h.contains("t_rec") && h["t_rec"].is_number_integer()) now -= std::max<int64_t>(0, h["t_rec"].get<int64_t>() - old);
    auto key = std::make_pair(cam, old);
    auto it = restamped_.find(key);
    int64_t fresh = now;
    if (it != restamped_.end()) {
      fresh = it->second;
    } else if (m.is_frame()) {
      // A camera's capture times never go backwards (ages differ from frame to frame).
      int64_t& last = last_fresh_[cam];
      fresh = std::max(fresh, last + 1);
      last = fresh;
      restamped_[key] = fresh;
      order_.push_back(key);
      if (order_.size() > 1024) restamped_.erase(order_.front()), order_.pop_front();
    }
    h["t_capture"] = fresh;
    for (const char* k : {"t_start", "t_done"})  // a detections record's other times keep their distance
      if (h.contains(k) && h[k].is_number_integer()) h[k] = h[k].get<int64_t>() + (fresh - old);
  }

  std::string path_;
  SourceOptions o_;
  Pacer pacer_;
  std::unique_ptr<Input> in_;
  uint64_t count_ = 0;
  int64_t first_t_ = -1;
  std::map<std::pair<std::string, int64_t>, int64_t> restamped_;
  std::deque<std::pair<std::string, int64_t>> order_;
  std::map<std::string, int64_t> last_fresh_;
};

std::vector<std::string> list_directory_images(const std::string& dir) {
  std::vector<std::string> out;
  glob_t g{};
  std::string pattern = dir + (dir.back() == '/' ? "*" : "/*");
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i)
      if (has_image_extension(g.gl_pathv[i])) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

bool looks_like_rvkit_stream(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char c = 0;
  while (f.get(c) && (c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
  }
  return f && c == '{';
}

}  // namespace

std::unique_ptr<Source> open_files(const std::string& path, const SourceOptions& o) {
  if (path.find_first_of("*?[") != std::string::npos) {
    glob_t g{};
    std::vector<std::string> files;
    if (::glob(path.c_str(), 0, nullptr, &g) == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
    globfree(&g);
    if (files.empty()) throw Error(fmt::format("{}: no files match", path));
    return std::make_unique<ImageListSource>(files, "images", o);
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) throw Error(fmt::format("{}: {}", path, std::strerror(errno)));
  if (S_ISDIR(st.st_mode)) return std::make_unique<ImageListSource>(list_directory_images(path), path, o);
  if (access(path.c_str(), R_OK) != 0) throw Error(fmt::format("{}: {}", path, std::strerror(errno)));
  // A FIFO cannot be peeked at without losing bytes: it can only carry an rvkit stream.
  if (S_ISFIFO(st.st_mode) || looks_like_rvkit_stream(path)) return std::make_unique<StreamFileSource>(path, o);
  if (o.speed != 1 || o.from_s > 0 || o.to_s >= 0 || !o.only_cam.empty() || o.restamp)
    throw OptionError(fmt::format("--speed, --from, --to, --only-cam and --now replay recorded rvkit streams; {} is not one", path));
  if (has_image_extension(path)) return std::make_unique<ImageListSource>(std::vector<std::string>{path}, path, o);
  return std::make_unique<VideoFileSource>(path, o);
}

}  // namespace rvkit

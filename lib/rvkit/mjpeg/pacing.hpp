// rvkit stream: per-client frame-rate limit and bandwidth cap.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace rvkit::mjpeg {

// Passes frames at (about) `fps` by their capture times: a 30 fps camera limited to 20 fps
// sends two frames of every three, evenly. fps <= 0 passes every frame.
class FpsLimiter {
 public:
  explicit FpsLimiter(double fps = 0) { set_fps(fps); }
  void set_fps(double fps);
  double fps() const { return fps_; }
  // True when the frame captured at t_us should be sent.
  bool accept(int64_t t_us);

 private:
  double fps_ = 0;
  int64_t period_us_ = 0;
  int64_t next_due_us_ = INT64_MIN;
};

// The JPEG qualities a bandwidth-capped client steps down through, after the one it asked for.
std::vector<int> quality_ladder(int requested_quality);

// Keeps one client under a bandwidth cap: first by stepping down the JPEG quality ladder
// (level 0 = the quality the client asked for), then, at the lowest quality, by skipping
// frames (a token bucket, so the average never exceeds the cap).
class BandwidthLimiter {
 public:
  BandwidthLimiter() = default;
  BandwidthLimiter(double max_kbps, int levels);
  bool enabled() const { return rate_ > 0; }
  double max_kbps() const { return rate_ * 8 / 1000; }
  int level() const { return level_; }

  // Chooses the quality level for the next frames. `fps` is the rate the client would get
  // without a cap; `bytes_at(level)` the typical frame size at a level (<= 0 when unknown).
  // Returns the level to use (changes at most once a second; steps up again only when the
  // better quality fits comfortably, or tries it after a while when its size is unknown).
  template <class SizeAt>
  int choose_level(double fps, SizeAt bytes_at, int64_t now_us);

  // True when a frame of `bytes` may be sent at now_us; it is then charged to the bucket.
  bool admit(size_t bytes, int64_t now_us);

 private:
  bool decide(double fps, double cur_bytes, double better_bytes, int64_t now_us);
  double rate_ = 0;  // bytes per second
  int levels_ = 1;
  int level_ = 0;
  double tokens_ = 0;
  int64_t last_refill_us_ = 0;
  int64_t last_change_us_ = 0;
  int64_t probe_wait_us_ = 5000000;
};

template <class SizeAt>
int BandwidthLimiter::choose_level(double fps, SizeAt bytes_at, int64_t now_us) {
  if (!enabled()) return level_;
  double cur = bytes_at(level_);
  double better = level_ > 0 ? bytes_at(level_ - 1) : 0;
  decide(fps, cur, better, now_us);
  return level_;
}

}  // namespace rvkit::mjpeg

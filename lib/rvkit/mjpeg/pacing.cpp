#include "rvkit/mjpeg/pacing.hpp"

#include <algorithm>
#include <cmath>

namespace rvkit::mjpeg {

void FpsLimiter::set_fps(double fps) {
  fps_ = fps > 0 ? fps : 0;
  period_us_ = fps_ > 0 ? int64_t(std::llround(1e6 / fps_)) : 0;
  next_due_us_ = INT64_MIN;
}

bool FpsLimiter::accept(int64_t t_us) {
  if (period_us_ <= 0) return true;
  // A little tolerance for capture-time jitter; never more than a quarter period.
  int64_t tolerance = std::min<int64_t>(period_us_ / 4, 4000);
  if (next_due_us_ != INT64_MIN && t_us < next_due_us_ - tolerance) return false;
  if (next_due_us_ == INT64_MIN || t_us - next_due_us_ > period_us_)
    next_due_us_ = t_us + period_us_;  // first frame, or back after a pause: start afresh
  else
    next_due_us_ += period_us_;
  // Keep the schedule from drifting behind: never let the next frame be due in the past
  // by more than half a period (so a burst after a stall stays short).
  next_due_us_ = std::max(next_due_us_, t_us + period_us_ / 2);
  return true;
}

std::vector<int> quality_ladder(int requested_quality) {
  std::vector<int> ladder{requested_quality};
  int top = requested_quality < 0 ? 100 : requested_quality;
  for (int q : {70, 50, 35, 20, 10})
    if (q < top) ladder.push_back(q);
  return ladder;
}

BandwidthLimiter::BandwidthLimiter(double max_kbps, int levels)
    : rate_(max_kbps > 0 ? max_kbps * 1000 / 8 : 0), levels_(std::max(1, levels)) {}

bool BandwidthLimiter::decide(double fps, double cur_bytes, double better_bytes, int64_t now_us) {
  if (last_change_us_ == 0) last_change_us_ = now_us;
  int64_t since = now_us - last_change_us_;
  double budget = rate_;  // bytes per second
  if (fps <= 0 || cur_bytes <= 0) return false;
  if (cur_bytes * fps > budget && level_ + 1 < levels_ && since >= 1000000) {
    ++level_;
    last_change_us_ = now_us;
    return true;
  }
  if (level_ > 0 && since >= 3000000) {
    bool fits = better_bytes > 0 && better_bytes * fps < 0.8 * budget;
    bool probe = better_bytes <= 0 && since >= probe_wait_us_;
    if (fits || probe) {
      if (probe) probe_wait_us_ = std::min<int64_t>(probe_wait_us_ * 2, 60000000);
      --level_;
      last_change_us_ = now_us;
      return true;
    }
  }
  return false;
}

bool BandwidthLimiter::admit(size_t bytes, int64_t now_us) {
  if (!enabled()) return true;
  double cap = rate_ * 0.25;  // at most a quarter second of burst
  if (last_refill_us_ == 0) {
    last_refill_us_ = now_us;
    tokens_ = cap;
  }
  tokens_ = std::min(cap, tokens_ + rate_ * double(now_us - last_refill_us_) / 1e6);
  last_refill_us_ = now_us;
  if (tokens_ < 0) return false;
  tokens_ -= double(bytes);  // may go into debt: the next frames wait until it is paid back
  return true;
}

}  // namespace rvkit::mjpeg

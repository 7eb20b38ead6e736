#include "rvkit/vision/heading_history.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

namespace rvkit::vision {

namespace {

double ms(int64_t us) { return double(us) / 1000.0; }

// b - a in degrees, the shorter way round: (-180, 180].
double angle_diff(double a, double b) { return std::remainder(b - a, 360.0); }

}  // namespace

std::optional<HeadingSample> heading_from_nt(const records::Nt& n, std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<HeadingSample> {
    if (why) *why = fmt::format("{}: {}", n.topic, w);
    return std::nullopt;
  };
  HeadingSample s;
  if (n.t) s.t = *n.t;
  else if (n.t_recv) s.t = *n.t_recv;
  else return fail("no timestamp (t)");
  const Json& v = n.value;
  if (v.is_number()) {
    s.yaw_deg = v.get<double>();
  } else if (v.is_array() && !v.empty() && v[0].is_number()) {
    s.yaw_deg = v[0].get<double>();
    if (v.size() >= 2 && v[1].is_number()) s.yaw_rate = v[1].get<double>();
  } else {
    return fail("expected a number or an array [yaw, yawRate, ...] in degrees");
  }
  if (!std::isfinite(s.yaw_deg) || (s.yaw_rate && !std::isfinite(*s.yaw_rate))) return fail("the yaw is not finite");
  return s;
}

HeadingHistory::HeadingHistory(HeadingLimits limits, size_t capacity) : limits_(limits), capacity_(std::max<size_t>(capacity, 2)) {}

void HeadingHistory::add(const HeadingSample& s) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::upper_bound(samples_.begin(), samples_.end(), s.t,
                               [](int64_t t, const HeadingSample& x) { return t < x.t; });
    samples_.insert(it, s);
    while (samples_.size() > capacity_) samples_.pop_front();
  }
  cv_.notify_all();
}

void HeadingHistory::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

size_t HeadingHistory::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_.size();
}

bool HeadingHistory::wait_for(int64_t t, int timeout_ms) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto ready = [&] { return closed_ || (!samples_.empty() && samples_.back().t >= t); };
  cv_.wait_for(lock, std::chrono::milliseconds(std::max(timeout_ms, 0)), ready);
  return !samples_.empty() && samples_.back().t >= t;
}

HeadingAt HeadingHistory::at(int64_t t) const {
  std::lock_guard<std::mutex> lock(mu_);
  HeadingAt out;
  if (samples_.empty()) {
    out.reason = "no heading received";
    return out;
  }
  const HeadingSample& newest = samples_.back();
  double yaw = 0, rate = 0;
  if (t >= newest.t) {
    int64_t age = t - newest.t;
    if (age > limits_.max_age_us) {
      out.reason = fmt::format("heading {:.0f} ms older than the frame (limit {:.0f} ms)", ms(age), ms(limits_.max_age_us));
      return out;
    }
    yaw = newest.yaw_deg;
    if (newest.yaw_rate) rate = *newest.yaw_rate;
    if (samples_.size() >= 2) {
      const HeadingSample& prev = samples_[samples_.size() - 2];
      if (newest.t > prev.t && newest.t - prev.t <= limits_.max_gap_us) {
        double d = angle_diff(prev.yaw_deg, newest.yaw_deg) / (double(newest.t - prev.t) * 1e-6);
        if (std::abs(d) > std::abs(rate)) rate = d;
      }
    }
  } else {
    auto it = std::upper_bound(samples_.begin(), samples_.end(), t,
                               [](int64_t v, const HeadingSample& x) { return v < x.t; });
    if (it == samples_.begin()) {
      out.reason = fmt::format("frame {:.0f} ms older than every heading kept", ms(samples_.front().t - t));
      return out;
    }
    const HeadingSample& b = *it;
    const HeadingSample& a = *(it - 1);
    int64_t gap = b.t - a.t;
    if (gap > limits_.max_gap_us) {
      out.reason = fmt::format("heading samples {:.0f} ms apart around the frame (limit {:.0f} ms)", ms(gap),
                               ms(limits_.max_gap_us));
      return out;
    }
    double f = gap > 0 ? double(t - a.t) / double(gap) : 1.0;
    double d = angle_diff(a.yaw_deg, b.yaw_deg);
    yaw = a.yaw_deg + f * d;
    rate = gap > 0 ? d / (double(gap) * 1e-6) : 0;
    if (a.yaw_rate && b.yaw_rate) {
      double given = *a.yaw_rate + f * (*b.yaw_rate - *a.yaw_rate);
      if (std::abs(given) > std::abs(rate)) rate = given;
    }
  }
  out.yaw_rate = rate;
  if (std::abs(rate) > limits_.max_yaw_rate) {
    out.reason = fmt::format("turning at {:.0f} deg/s (limit {:.0f} deg/s)", std::abs(rate), limits_.max_yaw_rate);
    return out;
  }
  out.yaw_deg = std::remainder(yaw, 360.0);
  return out;
}

}  // namespace rvkit::vision

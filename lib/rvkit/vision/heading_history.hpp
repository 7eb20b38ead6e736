// rvkit vision: the robot's heading over time, from the `nt` records ntsub writes, for the
// heading-constrained pose (Limelight's MegaTag2).
//
// Robot code sends its gyro yaw to NetworkTables (LimelightHelpers.SetRobotOrientation writes the
// array [yaw, yawRate, pitch, pitchRate, roll, rollRate] in degrees to robot_orientation_set; a
// plain number topic works too); ntsub stamps each value with `t`, its time in our wall clock, the
// clock frames' t_capture use. A frame needs the heading at its capture time, not the newest one: a
// robot turning at 180°/s moves 9° in the 50 ms a frame may wait. So samples are kept in time order
// and `at(t)` interpolates between the two around t (the shorter way round), or holds the newest when
// t is after it by no more than max_age. No heading (nullopt, with the reason) when there is none yet,
// when it is older than max_age, when the two samples around t are more than max_gap apart, when t
// is before every sample kept, or when the robot turns faster than max_yaw_rate (the array's yawRate
// or the rate between the samples, whichever is larger: robot code often sends yawRate 0).
//
// Threading: add(), close() and at() may be called from different threads (detect's reader thread
// adds, its main loop asks); wait_for() lets the main loop wait for a sample at or after a frame.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "rvkit/records/nt.hpp"

namespace rvkit::vision {

struct HeadingSample {
  int64_t t = 0;                   // µs since the Unix epoch (ntsub's `t`)
  double yaw_deg = 0;              // field yaw, CCW positive (WPILib)
  std::optional<double> yaw_rate;  // deg/s, when the value carried one
};

struct HeadingLimits {
  int64_t max_age_us = 100000;     // newest sample at most this much older than the frame
  int64_t max_gap_us = 150000;     // the two samples around the frame at most this far apart
  double max_yaw_rate = 720;       // deg/s (Limelight's advice for MegaTag2)
};

struct HeadingAt {
  std::optional<double> yaw_deg;   // nullopt: no usable heading, see reason
  double yaw_rate = 0;             // deg/s
  std::string reason;              // why there is none ("heading 250 ms older than the frame")
};

// The sample an nt record carries, or nullopt with `why` ("value is not a number or an array of
// numbers"). Uses `t`, else `t_recv`.
std::optional<HeadingSample> heading_from_nt(const records::Nt& n, std::string* why = nullptr);

class HeadingHistory {
 public:
  explicit HeadingHistory(HeadingLimits limits = {}, size_t capacity = 1024);

  void add(const HeadingSample& s);  // kept in time order; the oldest dropped past `capacity`
  void close();                      // no more samples will come
  HeadingAt at(int64_t t) const;
  // Waits up to timeout_ms until a sample at or after t is there or close() was called; true if one is.
  bool wait_for(int64_t t, int timeout_ms) const;
  size_t size() const;
  const HeadingLimits& limits() const { return limits_; }

 private:
  HeadingLimits limits_;
  size_t capacity_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<HeadingSample> samples_;
  bool closed_ = false;
};

}  // namespace rvkit::vision

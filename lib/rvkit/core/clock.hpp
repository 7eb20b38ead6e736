// rvkit: clocks. Timestamps in messages are integer microseconds since the Unix epoch.
#pragma once
#include <cstdint>
#include <ctime>

namespace rvkit {

inline int64_t ts_to_us(const timespec& ts) {
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}
// Wall-clock time (CLOCK_REALTIME) in microseconds since the Unix epoch.
inline int64_t now_us() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts_to_us(ts);
}
// Monotonic time in microseconds (for intervals and pacing).
inline int64_t mono_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts_to_us(ts);
}
// Converts a CLOCK_MONOTONIC timestamp (e.g. a V4L2 buffer time) to wall-clock microseconds.
inline int64_t mono_to_wall_us(int64_t mono) { return now_us() - (mono_us() - mono); }
// CPU time of the calling thread in microseconds: what a piece of work costs, however busy the
// machine is (other processes and threads do not count).
inline int64_t thread_cpu_us() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts_to_us(ts);
}

}  // namespace rvkit

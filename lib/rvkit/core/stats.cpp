#include "rvkit/core/stats.hpp"

#include <fmt/format.h>

#include "rvkit/core/log.hpp"
#include "rvkit/core/clock.hpp"

namespace rvkit {

Stats::Stats(std::string label, bool enabled, double period_s)
    : label_(std::move(label)), enabled_(enabled),
      period_us_(int64_t(period_s * 1e6)), last_us_(mono_us()) {}

void Stats::add(uint64_t bytes, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  n_ += n;
  total_ += n;
  bytes_ += bytes;
}

void Stats::drop(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  dropped_ += n;
  dropped_total_ += n;
}

void Stats::report(const std::string& extra) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = mono_us();
  if (now - last_us_ < period_us_) return;
  double dt = double(now - last_us_) / 1e6;
  std::string line = fmt::format("{}{:.1f} fps, {} dropped, {:.1f} MB/s{}", label_.empty() ? "" : label_ + " ",
                                 double(n_) / dt, dropped_, double(bytes_) / dt / 1e6,
                                 extra.empty() ? "" : ", " + extra);
  log_line(line);
  last_us_ = now;
  n_ = bytes_ = dropped_ = 0;
}

}  // namespace rvkit

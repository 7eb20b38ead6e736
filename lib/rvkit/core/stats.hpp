// rvkit: the periodic stats line every tool prints on stderr with -v, and percentiles of samples.
#pragma once
#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace rvkit {

// Counts messages, bytes and drops; report() prints a line at most once a period:
//   "cap: cam0 30.0 fps, 0 dropped, 27.6 MB/s"
class Stats {
 public:
  Stats(std::string label, bool enabled, double period_s = 1.0);
  // A string where `enabled` belongs (the old Stats(tool, label, enabled) order) would convert to
  // true without a word: refuse it at compile time.
  Stats(std::string, const char*, ...) = delete;
  Stats(std::string, const std::string&, ...) = delete;
  void add(uint64_t bytes, uint64_t n = 1);
  void drop(uint64_t n = 1);
  // Prints when a period has passed; `extra` is appended to the line.
  void report(const std::string& extra = "");
  uint64_t total() const { return total_; }
  uint64_t dropped() const { return dropped_total_; }

 private:
  std::string label_;
  bool enabled_;
  int64_t period_us_;
  int64_t last_us_;
  uint64_t n_ = 0, bytes_ = 0, dropped_ = 0;
  uint64_t total_ = 0, dropped_total_ = 0;
  std::mutex mu_;
};

// The p-quantile (0..1) of `samples`: the value at rank floor(p * n), the largest for p = 1; 0 for no
// samples. Takes a copy, as it reorders it.
template <class T>
T percentile(std::vector<T> samples, double p) {
  if (samples.empty()) return T{};
  size_t k = std::min(samples.size() - 1, size_t(p * double(samples.size())));
  std::nth_element(samples.begin(), samples.begin() + long(k), samples.end());
  return samples[k];
}

}  // namespace rvkit

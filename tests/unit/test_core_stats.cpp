// percentile() (rvkit/core/stats.hpp) and thread_cpu_us() (rvkit/core/clock.hpp).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/stats.hpp"

using namespace rvkit;

TEST_CASE("percentile: the value at rank floor(p * n), the largest for 1, 0 for nothing") {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);  // 1..100, in reverse
  CHECK(percentile(v, 0.0) == 1);
  CHECK(percentile(v, 0.5) == 51);
  CHECK(percentile(v, 0.99) == 100);
  CHECK(percentile(v, 1.0) == 100);
  CHECK(v.front() == 100);  // the caller's samples are left as they were
  CHECK(percentile(std::vector<double>{}, 0.5) == 0);
  CHECK(percentile(std::vector<int64_t>{7}, 0.99) == 7);
  CHECK(percentile(std::vector<int64_t>{3, 1, 2}, 0.5) == 2);
}

TEST_CASE("thread_cpu_us counts this thread's work, not the time it sleeps") {
  int64_t c0 = thread_cpu_us(), t0 = mono_us();
  volatile uint64_t x = 0;
  while (thread_cpu_us() - c0 < 20000 && mono_us() - t0 < 10000000) x = x + 1;  // 20 ms of CPU, however busy the machine
  int64_t busy = thread_cpu_us() - c0, wall = mono_us() - t0;
  CHECK(busy >= 20000);
  CHECK(busy <= wall + 1000);  // one thread cannot use more CPU than time passes
  c0 = thread_cpu_us();
  timespec ts{0, 30000000};
  nanosleep(&ts, nullptr);
  CHECK(thread_cpu_us() - c0 < 10000);
}

// rvkit: a one-slot hand-over between a producer thread and a consumer, newest wins.
//
// A live source's capture thread put()s every frame; the consumer take()s the newest one
// when it is ready for it. Frames the consumer never took are counted as dropped, so
// latency never builds up behind a slow consumer.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <utility>

namespace rvkit {

template <class T>
class LatestSlot {
 public:
  // Stores `item`, replacing (and counting as dropped) one the consumer has not taken.
  // `item` receives the replaced object back for reuse of its buffers.
  void put(T& item) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (full_) ++dropped_;
      std::swap(slot_, item);
      full_ = true;
    }
    cv_.notify_one();
  }
  // Waits up to timeout for an item; swaps it into `out`. False on timeout or close().
  template <class Rep, class Period>
  bool take(T& out, std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return full_ || closed_; })) return false;
    if (!full_) return false;
    std::swap(slot_, out);
    full_ = false;
    return true;
  }
  // Marks the end of the stream (a producer that finished or failed).
  void close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_ && !full_;
  }
  uint64_t dropped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return dropped_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  T slot_{};
  bool full_ = false;
  bool closed_ = false;
  uint64_t dropped_ = 0;
};

}  // namespace rvkit

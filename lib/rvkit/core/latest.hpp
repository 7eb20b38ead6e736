// rvkit: a one-slot hand-over between a producer thread and a consumer, newest wins.
//
// A live source's capture thread put()s every frame; the consumer take()s the newest one
// when it is ready for it. Frames the consumer never took are counted as dropped, so
// latency never builds up behind a slow consumer.
//
// Buffers circulate instead of being freed: put() hands the producer back what the slot held
// (the frame it replaced, or the consumer's previous item that take() left there), so a steady
// stream of frames reuses the same few buffers.
//
// LatestCell is the hand-over itself without a lock, for a class that already guards more state
// with a mutex of its own (mjpeg::Camera); LatestSlot is the cell with its own mutex, a wait and a
// close, for a plain producer/consumer pair (cap's live capture).
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <utility>

namespace rvkit {

// Not thread-safe: the caller holds the lock that guards it.
template <class T>
class LatestCell {
 public:
  // Stores `item`; `item` receives what the cell held. True when that was an item the consumer
  // never took (now replaced: the caller counts it as dropped).
  bool put(T& item) {
    bool replaced = full_;
    std::swap(value_, item);
    full_ = true;
    return replaced;
  }
  // Swaps the newest item into `out` (the cell keeps `out`'s old contents for the next put()).
  // False when nothing new is there.
  bool take(T& out) {
    if (!full_) return false;
    std::swap(value_, out);
    full_ = false;
    return true;
  }
  bool full() const { return full_; }

 private:
  T value_{};
  bool full_ = false;
};

template <class T>
class LatestSlot {
 public:
  // Stores `item`, replacing (and counting as dropped) one the consumer has not taken.
  // `item` receives the replaced object back for reuse of its buffers.
  void put(T& item) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cell_.put(item)) ++dropped_;
    }
    cv_.notify_one();
  }
  // Waits up to timeout for an item; swaps it into `out`. False on timeout or close().
  template <class Rep, class Period>
  bool take(T& out, std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return cell_.full() || closed_; })) return false;
    return cell_.take(out);
  }
  // Marks the end of the stream (a producer that finished or failed). An item put before
  // is still taken.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  // True once closed and the last item has been taken.
  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_ && !cell_.full();
  }
  uint64_t dropped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return dropped_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  LatestCell<T> cell_;
  bool closed_ = false;
  uint64_t dropped_ = 0;
};

}  // namespace rvkit

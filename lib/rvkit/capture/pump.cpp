#include "rvkit/capture/pump.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/core/latest.hpp"
#include "rvkit/core/signals.hpp"

namespace rvkit {
namespace {

struct Captured {
  CapturedFrame f;
  int64_t seq = 0;
};

class Pump {
 public:
  Pump(std::unique_ptr<Output> out, CaptureEncoder& enc, Stats& stats, const PumpOptions& o)
      : out_(std::move(out)), enc_(enc), stats_(stats), o_(o) {}

  // Writes one captured item; false when the pump should end (reader gone, or `count` reached).
  bool emit(Captured& c) {
    try {
      // Built straight in the output's memory: a shm:// slot, so write() copies nothing.
      enc_.encode(c.f, c.seq, msg_, [this](size_t n) { return out_->reserve_payload(n); });
    } catch (const BadCameraFrame& e) {  // one bad frame from the camera: skipped, the stream goes on
      ++counts_.bad;
      stats_.drop();
      bad_frames_.line(fmt::format("skipping a frame: {} ({} so far)", e.what(), counts_.bad));
      return true;
    }
    bool written = out_->write(msg_);
    size_t n = msg_.payload.size();
    if (msg_.payload.borrowed()) msg_.payload.clear();  // the reserved memory is the output's again
    if (!written) return false;
    if (msg_.is_frame()) {
      ++counts_.frames;
      stats_.add(n + 1);
    }
    stats_.report();
    return o_.count < 0 || counts_.frames < o_.count;
  }

  PumpCounts recorded(Source& src) {
    Captured c;
    while (src.grab(c.f)) {
      if (!emit(c)) break;
      if (!c.f.is_message) ++c.seq;
    }
    return counts_;
  }

  PumpCounts live(Source& src) {
    LatestSlot<Captured> slot;
    std::atomic<bool> done{false}, capture_ended{false};
    std::mutex failure_mu;
    std::exception_ptr failure;
    auto failed = [&] {
      std::lock_guard<std::mutex> lock(failure_mu);
      return failure;
    };
    std::thread capture = start_worker([&] {
      Captured c;
      int64_t seq = 0;
      try {
        while (!done && !stop_requested() && src.grab(c.f)) {
          c.seq = seq++;
          slot.put(c);
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mu);
        failure = std::current_exception();
      }
      slot.close();
      capture_ended = true;
    });
    Captured c;
    std::exception_ptr writing_failure;  // a frame that does not encode: the capture thread still ends first
    try {
      while (!stop_requested()) {
        if (!out_->wait_consumer_ready()) break;
        if (!slot.take(c, std::chrono::milliseconds(100))) {
          if (slot.closed()) break;
          stats_.report();
          continue;
        }
        uint64_t d = slot.dropped();
        if (d > counts_.dropped) stats_.drop(d - counts_.dropped), counts_.dropped = d;
        if (!emit(c)) break;
      }
    } catch (...) {
      writing_failure = std::current_exception();
    }
    done = true;
    src.cancel();  // wakes the capture thread out of any retry wait
    // A device read can block for seconds (a camera that stopped answering): do not make Ctrl-C
    // wait for it.
    for (int64_t t0 = mono_us(); !capture_ended && mono_us() - t0 < o_.stuck_wait_us;) usleep(10000);
    if (!capture_ended) {
      if (!o_.on_stuck) {
        out_.reset();  // closed as at any end (a ZeroMQ output says end-of-stream)
        std::fflush(nullptr);
        std::_Exit(failed() || writing_failure ? 1 : 0);
      }
      o_.on_stuck();
    }
    capture.join();
    if (writing_failure) std::rethrow_exception(writing_failure);
    if (std::exception_ptr e = failed()) std::rethrow_exception(e);
    return counts_;
  }

 private:
  std::unique_ptr<Output> out_;
  CaptureEncoder& enc_;
  Stats& stats_;
  const PumpOptions& o_;
  Message msg_;
  PumpCounts counts_;
  ThrottledLog bad_frames_;
};

}  // namespace

PumpCounts pump(Source& src, std::unique_ptr<Output> out, CaptureEncoder& enc, Stats& stats, const PumpOptions& o) {
  Pump p(std::move(out), enc, stats, o);
  return src.live() ? p.live(src) : p.recorded(src);
}

}  // namespace rvkit

// rvkit capture: runs a frame source into an output (cap's loop).
//
// Recorded sources (files, an unpaced test pattern) are read in the calling thread, one frame per
// write, so they never drop: a slow consumer slows the reading. Live sources (cameras, IP cameras, a
// paced test pattern) do not wait for anyone: a capture thread grabs every frame into a newest-wins
// slot (rvkit/core/latest.hpp), and the calling thread writes the newest one whenever the consumer
// is ready for it (Output::wait_consumer_ready). Frames the consumer never took are counted as
// dropped (Stats::drop), so latency never builds up behind a slow consumer.
//
// The pump ends when the source ends, `count` frames are written, the reader goes away, or a stop
// is requested (SIGINT/SIGTERM), then closes the output. A live source is cancelled
// (Source::cancel) and its capture thread joined; one still blocked in a device read a second later
// (a camera that stopped answering) is not waited for: the process ends at once, output closed,
// with status 0 (1 after a capture error), so Ctrl-C never waits for a dead device.
//
// Threading: call from the main thread; the capture thread is the pump's own, started with the
// stop signals blocked (rvkit/core/signals.hpp: start_worker).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>

#include "rvkit/capture/encoder.hpp"
#include "rvkit/capture/source.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/transport.hpp"

namespace rvkit {

struct PumpOptions {
  int64_t count = -1;              // frames to write (records pass without counting); < 0: all
  int64_t stuck_wait_us = 1000000; // how long the end waits for a live capture thread
  // What happens when that thread is still blocked in grab() after stuck_wait_us. Empty: the process
  // ends as described above. Tests set it: it must make grab() return; the pump then joins.
  std::function<void()> on_stuck;
};

struct PumpCounts {
  int64_t frames = 0;    // frames written (records passed on are not counted)
  uint64_t dropped = 0;  // live frames the consumer was never given
  uint64_t bad = 0;      // camera frames skipped because their JPEG does not decode (a warning each second)
};

// Writes `src` through `enc` to `out` (closed at the end) and counts frames and drops in `stats`,
// reporting its -v line. Rethrows an error of the source (rvkit::Error) once the output is closed.
PumpCounts pump(Source& src, std::unique_ptr<Output> out, CaptureEncoder& enc, Stats& stats,
                const PumpOptions& o = {});

}  // namespace rvkit

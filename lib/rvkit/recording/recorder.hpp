// rvkit recording: the recorder, which writes messages to recording files on a thread of its own.
//
// Why a thread: the disk must never slow the pipeline. The thread that reads the inputs hands each
// message to add(), which only queues it. The queue is bounded: at most `queue_bytes` of frame
// payloads wait; a frame that finds the queue full is dropped and counted (the disk did not keep up),
// unless `block_when_full` (a recorded stream being copied: it then waits for room instead, which
// slows its source, never a live one). Records are never dropped: they are small; past 64 MiB of
// queued records add() waits.
//
// The writer thread opens a file on the first message (named by the pattern, rvkit/recording/
// naming.hpp), re-encodes frames when asked (--fmt jpeg), starts a new file after `split_bytes` or
// `split_us`, or when the FMS match changes and the pattern names it (a file that holds no frame yet
// is renamed instead: the FMS values arrive one by one as ntsub connects), deletes the oldest recordings
// past `keep_bytes`, and calls fdatasync every `sync_us`. save() writes a whole batch (the ring
// buffer's window) into a file of its own, and tells on_event save_notice.hpp's saved_line when it
// is written and closed.
//
// A write that fails (a full disk, a file-size limit) stops the recorder: failed() turns true and
// error() says which file and why, in one line; the file keeps every whole message written before.
// Threading: add(), set_fms(), save() and finish() from one thread (the reader); the counters from any.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rvkit/core/message.hpp"
#include "rvkit/recording/naming.hpp"

namespace rvkit::recording {

struct RecorderOptions {
  std::string pattern = "recording.rvs";  // file name pattern (naming.hpp)
  bool overwrite = false;                  // a plain name (no conversions) may replace its file
  uint64_t split_bytes = 0;                // start a new file past this many bytes (0: never)
  int64_t split_us = 0;                    // ... or after this long (0: never)
  uint64_t keep_bytes = 0;                 // delete the oldest recordings past this (0: never)
  uint64_t queue_bytes = 64ull << 20;      // frame payloads waiting for the disk, at most
  bool block_when_full = false;            // wait for room instead of dropping frames
  int64_t sync_us = 1000000;               // fdatasync this often
  // Re-encode frames: "" as they come, else "jpeg", "gray8" or "bgr8" at `quality` and `width` x
  // `height` (0: as they come).
  std::string format;
  int quality = 85;
  int width = 0, height = 0;
  // For tests: called on the writer thread before each message is written (a slow disk).
  std::function<void(const Message&)> before_write;
  // Told on the writer thread of every file opened, closed and deleted ("opened PATH", ...).
  std::function<void(const std::string&)> on_event;
};

struct RecorderCounts {
  uint64_t messages = 0, frames = 0, bytes = 0;  // written
  uint64_t dropped = 0;                          // frames dropped (the queue was full)
  uint64_t files = 0;                            // files opened
  uint64_t queued_bytes = 0;                     // frame bytes waiting now
};

class Recorder {
 public:
  explicit Recorder(RecorderOptions o);
  ~Recorder();  // finish() without throwing
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Queues a message for the current file. A frame that does not fit is left in `m` (for the caller
  // to reuse) and counted as dropped: returns false. Returns true when queued (`m` is moved from), or
  // when the recorder has failed (the message is then ignored).
  bool add(Message& m);
  // The FMS info changed: with a pattern that names it, the next message starts a new file.
  void set_fms(const FmsInfo& fms);
  // Writes these messages, in order, into a new file of their own (the ring buffer's window); the
  // event when it is written is save_notice.hpp's saved_line with this save's number.
  void save(std::vector<std::shared_ptr<const Message>> batch, uint64_t save_number);
  // Writes what is queued, closes the file and ends the thread. Throws rvkit::Error when the
  // recorder failed.
  void finish();

  bool failed() const { return failed_; }
  std::string error() const;
  RecorderCounts counts() const;
  std::string current_file() const;
  std::vector<std::string> files() const;  // every file written, in order

 private:
  struct State;
  void run();
  RecorderOptions o_;
  std::unique_ptr<State> s_;
  std::atomic<bool> failed_{false};
};

}  // namespace rvkit::recording

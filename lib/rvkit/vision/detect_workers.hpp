// rvkit vision: `detect --workers N`, frame-parallel detection. N worker threads each own a
// DetectPipeline (its own AprilTagDetector) and take successive frames; the records come out strictly
// in the order the messages went in.
//
// Contract:
//  - submit(m) hands a frame to a free worker and returns; while every worker is busy it blocks, so a
//    live source drops frames upstream, where it already does (cap's newest-frame hand-over, a hub
//    input's newest-frame rule) and the newest frame goes to the next free worker; a recorded source
//    is never dropped, only read more slowly. It also blocks while 2N frames are done or in work but
//    not yet emitted (one slow frame holds back the others' results: this bounds the memory).
//  - A record that is not a frame (submit of a non-frame message) is not processed: it keeps its
//    place in the order, emitted after the frames submitted before it and before those after it.
//  - emit(item) is called on the pool's own output thread, one item at a time, in submission order,
//    as soon as an item and all before it are done. emit returning false (the output closed) stops
//    the emitting: later items are dropped and submit() returns false.
//  - A frame whose process() throws BadFrameError is emitted with `bad_frame` set (no record); any
//    other exception from process() (or from emit) ends the emitting at that frame (the items before
//    it are emitted) and is rethrown by the next submit() or by finish() on the caller's thread.
//  - Robot settings (robot_settings.hpp): update() records a setting on the caller's thread; each
//    frame carries the settings current when it was submitted, and the worker applies them to its
//    own pipeline before processing it, so every worker sees every setting, from the same frame on
//    as a single pipeline would (drain the robot input, then submit).
//  - Threads: each worker's detector runs with opt.apriltag.threads. With `lone_threads` > 0 (which
//    then replaces opt.apriltag.threads), a frame that a worker takes while no other worker is busy
//    and no other frame waits runs on lone_threads, any other on one (Item::threads says which). A
//    live source at a rate the workers keep up with then gets one detector's latency with all cores,
//    and a recorded one, which keeps every worker busy, one thread a worker (no contention between
//    libapriltag's pools).
//  - Not for --track: a tracker follows one camera's frames in order, which N workers do not see
//    (the tool refuses --track with --workers > 1).
//  - submit(), update(), finish() and the destructor: one thread (the tool's main loop). The
//    counters may be read from any thread.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "rvkit/core/message.hpp"
#include "rvkit/records/detections.hpp"
#include "rvkit/vision/detect_pipeline.hpp"
#include "rvkit/vision/robot_settings.hpp"

namespace rvkit::vision {

class DetectWorkers {
 public:
  struct Item {
    Message msg;                             // the message as submitted
    std::optional<records::Detections> rec;  // a frame's record (t_done not set); nullopt otherwise
    std::string bad_frame;                   // a frame the pipeline could not use: BadFrameError's message
    int worker = -1;                         // the worker that processed the frame; -1 for other records
    int threads = 0;                         // libapriltag threads the frame was detected with; 0 for other records
  };
  using Emit = std::function<bool(Item&)>;
  // Called by worker `worker` just before its pipeline processes `frame` (tests: delays).
  using BeforeProcess = std::function<void(int worker, const Message& frame)>;

  // n >= 1 pipelines built from opt (throws OptionError as DetectPipeline does, or for n < 1,
  // opt.track with n > 1, or lone_threads outside 0..256).
  DetectWorkers(int n, const DetectOptions& opt, Emit emit, BeforeProcess before = nullptr, int lone_threads = 0);
  ~DetectWorkers();  // finishes the submitted work, swallowing a worker's error
  DetectWorkers(const DetectWorkers&) = delete;
  DetectWorkers& operator=(const DetectWorkers&) = delete;

  // Returns false when emit has returned false (nothing more is emitted).
  bool submit(Message m);
  void update(const RobotSetting& s);
  // Waits until everything submitted is emitted (or emitting stopped); ends the threads.
  void finish();

  int size() const { return int(pipelines_.size()); }
  // The workers' detectors' fine passes, summed; read after finish().
  AprilTagDetector::FinePassCounts fine_pass_counts() const;
  int busy() const { return busy_.load(); }              // workers processing a frame now
  int64_t busy_us() const { return busy_us_.load(); }    // processing time summed over the workers

 private:
  struct Slot {
    Item item;
    bool is_frame = false;
    bool done = false;
    std::exception_ptr error;
    std::shared_ptr<const RobotSettingsState> settings;
  };
  void work(int w);
  void output();
  void join();

  std::vector<std::unique_ptr<DetectPipeline>> pipelines_;
  Emit emit_;
  BeforeProcess before_;
  int threads_each_ = 1, lone_threads_ = 0;  // a frame's threads: threads_each_, or lone_threads_ when alone
  std::shared_ptr<const RobotSettingsState> settings_;  // caller's thread only

  std::mutex mu_;
  std::condition_variable work_cv_, out_cv_, room_cv_;
  std::deque<std::shared_ptr<Slot>> order_;  // everything submitted and not yet emitted, in order
  std::deque<std::shared_ptr<Slot>> jobs_;   // frames not yet taken by a worker
  int frames_waiting_ = 0;                   // frames in order_ (queued, in work or done)
  int idle_ = 0;                             // workers waiting for a job
  bool closing_ = false, stopped_ = false, joined_ = false;
  std::exception_ptr error_;
  std::atomic<int> busy_{0};
  std::atomic<int64_t> busy_us_{0};
  std::vector<std::thread> threads_;
  std::thread out_thread_;
};

}  // namespace rvkit::vision

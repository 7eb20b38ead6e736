#include "rvkit/vision/detect_workers.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "rvkit/core/option_error.hpp"

namespace rvkit::vision {

DetectWorkers::DetectWorkers(int n, const DetectOptions& opt, Emit emit, BeforeProcess before, int lone_threads)
    : emit_(std::move(emit)), before_(std::move(before)), lone_threads_(lone_threads) {
  if (n < 1) throw OptionError(fmt::format("--workers must be at least 1, got {}", n));
  if (lone_threads < 0 || lone_threads > 256)
    throw OptionError(fmt::format("threads for a lone frame must be 0..256, got {}", lone_threads));
  if (opt.track && n > 1)
    throw OptionError("--track follows each camera's frames in order: it cannot be used with --workers above 1");
  DetectOptions each = opt;
  if (lone_threads > 0) each.apriltag.threads = lone_threads;  // and one thread unless a frame is alone
  for (int i = 0; i < n; ++i) pipelines_.push_back(std::make_unique<DetectPipeline>(each));
  // The detector's own count (0 there means all cores).
  threads_each_ = lone_threads > 0         ? 1
                  : opt.apriltag.threads > 0 ? opt.apriltag.threads
                                             : int(std::max(1u, std::thread::hardware_concurrency()));
  if (lone_threads > 0)
    for (auto& p : pipelines_) p->use_one_detector_thread(true);
  out_thread_ = std::thread([this] { output(); });
  for (int i = 0; i < n; ++i) threads_.emplace_back([this, i] { work(i); });
}

DetectWorkers::~DetectWorkers() { join(); }

AprilTagDetector::FinePassCounts DetectWorkers::fine_pass_counts() const {
  AprilTagDetector::FinePassCounts sum;
  for (const auto& p : pipelines_) {
    const auto c = p->fine_pass_counts();
    sum.regions += c.regions, sum.found += c.found;
  }
  return sum;
}

void DetectWorkers::update(const RobotSetting& s) {
  if (s.kind == RobotSetting::Kind::none) return;
  auto next = std::make_shared<RobotSettingsState>(settings_ ? *settings_ : RobotSettingsState{});
  next->merge(s);
  settings_ = std::move(next);
}

bool DetectWorkers::submit(Message m) {
  auto slot = std::make_shared<Slot>();
  slot->is_frame = m.is_frame();
  slot->item.msg = std::move(m);
  const int n = size();
  std::unique_lock<std::mutex> lock(mu_);
  if (slot->is_frame)
    room_cv_.wait(lock, [&] {
      return stopped_ || (int(jobs_.size()) + busy_.load() < n && frames_waiting_ < 2 * n);
    });
  if (error_) std::rethrow_exception(error_);
  if (stopped_) return false;
  if (slot->is_frame) {
    slot->settings = settings_;
    ++frames_waiting_;
    jobs_.push_back(slot);
    order_.push_back(std::move(slot));
    work_cv_.notify_one();
  } else {
    slot->done = true;
    order_.push_back(std::move(slot));
    out_cv_.notify_one();
  }
  return true;
}

void DetectWorkers::work(int w) {
  DetectPipeline& pipeline = *pipelines_[size_t(w)];
  std::shared_ptr<const RobotSettingsState> applied;  // held, so a new state never shares its address
  bool alone_before = false;  // the last frame ran on lone_threads_
  for (;;) {
    std::shared_ptr<Slot> slot;
    bool alone = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return !jobs_.empty() || closing_; });
      if (jobs_.empty()) return;
      slot = std::move(jobs_.front());
      jobs_.pop_front();
      if (stopped_) {  // nothing more is emitted: do not spend the time
        slot->done = true;
        out_cv_.notify_one();
        continue;
      }
      alone = lone_threads_ > 0 && busy_.load() == 0 && jobs_.empty();
      ++busy_;
    }
    auto t0 = std::chrono::steady_clock::now();
    try {
      if (alone != alone_before) pipeline.use_one_detector_thread(!alone), alone_before = alone;
      slot->item.threads = alone ? lone_threads_ : threads_each_;
      if (slot->settings != applied) {
        if (slot->settings) slot->settings->apply_to(pipeline);
        applied = slot->settings;
      }
      if (before_) before_(w, slot->item.msg);
      slot->item.rec = pipeline.process(slot->item.msg);
    } catch (const BadFrameError& e) {
      slot->item.bad_frame = e.what();
    } catch (...) {
      slot->error = std::current_exception();
    }
    slot->item.worker = w;
    busy_us_ += std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    std::lock_guard<std::mutex> lock(mu_);
    slot->done = true;
    --busy_;
    room_cv_.notify_one();
    out_cv_.notify_one();
  }
}

void DetectWorkers::output() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    out_cv_.wait(lock, [&] { return (!order_.empty() && (order_.front()->done || stopped_)) || (closing_ && order_.empty()); });
    if (order_.empty()) return;  // closing, and all emitted
    std::shared_ptr<Slot> slot = std::move(order_.front());
    order_.pop_front();
    if (slot->is_frame) --frames_waiting_;
    room_cv_.notify_one();
    if (stopped_) continue;  // dropped
    if (slot->error) {
      error_ = slot->error;
      stopped_ = true;
      room_cv_.notify_all();
      continue;
    }
    lock.unlock();
    bool ok = false;
    std::exception_ptr thrown;
    try {
      ok = emit_(slot->item);
    } catch (...) {
      thrown = std::current_exception();
    }
    slot.reset();
    lock.lock();
    if (thrown && !error_) error_ = thrown;
    if (!ok) {
      stopped_ = true;
      room_cv_.notify_all();
    }
  }
}

void DetectWorkers::join() {
  if (joined_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  work_cv_.notify_all();
  out_cv_.notify_all();
  for (auto& t : threads_) t.join();
  // The workers may have left after the output thread's last wait: wake it to see closing_ again.
  out_cv_.notify_all();
  out_thread_.join();
  joined_ = true;
}

void DetectWorkers::finish() {
  join();
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
}

}  // namespace rvkit::vision

#include "rvkit/io/input_set.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "rvkit/core/signals.hpp"

namespace rvkit {

// Lives as long as the longest-lived reader thread (they hold a reference).
struct InputSet::Shared {
  size_t max_frames, max_records;
  std::mutex mu;
  std::condition_variable readable, writable, finished;
  std::deque<std::pair<InputEvent, bool>> queue;  // event, heavy (has a payload)
  size_t heavy = 0, light = 0;
  std::vector<Message> free;
  bool closed = false;
  size_t running = 0;

  void push(InputEvent&& ev, bool is_heavy) {
    std::unique_lock<std::mutex> lock(mu);
    writable.wait(lock, [&] { return closed || (is_heavy ? heavy < max_frames : light < max_records); });
    if (closed) return;
    (is_heavy ? heavy : light)++;
    queue.emplace_back(std::move(ev), is_heavy);
    readable.notify_one();
  }

  Message take_free() {
    std::lock_guard<std::mutex> lock(mu);
    Message m;
    if (!free.empty()) {
      m = std::move(free.back());
      free.pop_back();
    }
    return m;
  }

  bool is_closed() {
    std::lock_guard<std::mutex> lock(mu);
    return closed;
  }

  void run(int i, const std::string& spec, const InputOptions& opts) {
    InputEvent end;
    end.input = i;
    try {
      auto in = open_input(spec, opts);
      for (;;) {
        if (is_closed()) break;
        InputEvent ev;
        ev.input = i;
        ev.msg = take_free();
        if (!in->read(ev.msg)) break;
        ev.number = in->count();
        bool is_heavy = !ev.msg.payload.empty();
        push(std::move(ev), is_heavy);
      }
      end.kind = InputEvent::Kind::End;
    } catch (const std::exception& e) {
      end.kind = InputEvent::Kind::Error;
      end.error = e.what();
    }
    push(std::move(end), false);
    std::lock_guard<std::mutex> lock(mu);
    --running;
    finished.notify_all();
  }
};

InputSet::InputSet(std::vector<std::string> specs, InputOptions opts, size_t max_frames, size_t max_records)
    : specs_(std::move(specs)), opts_(opts), shared_(std::make_shared<Shared>()) {
  shared_->max_frames = max_frames;
  shared_->max_records = max_records;
}

InputSet::~InputSet() {
  std::unique_lock<std::mutex> lock(shared_->mu);
  shared_->closed = true;
  shared_->writable.notify_all();
  shared_->readable.notify_all();
  shared_->finished.wait_for(lock, std::chrono::seconds(1), [&] { return shared_->running == 0; });
}

void InputSet::start() {
  for (size_t i = 0; i < specs_.size(); ++i) {
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      ++shared_->running;
    }
    std::shared_ptr<Shared> s = shared_;
    start_worker([s, i, spec = specs_[i], opts = opts_] { s->run(int(i), spec, opts); }).detach();
  }
}

bool InputSet::pop(InputEvent& ev, int timeout_ms) {
  Shared& s = *shared_;
  std::unique_lock<std::mutex> lock(s.mu);
  if (!s.readable.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !s.queue.empty() || s.closed; }))
    return false;
  if (s.queue.empty()) return false;
  auto& front = s.queue.front();
  ev = std::move(front.first);
  (front.second ? s.heavy : s.light)--;
  s.queue.pop_front();
  s.writable.notify_all();
  return true;
}

void InputSet::recycle(Message&& m) {
  if (m.payload.borrowed()) m.payload.clear();  // a shared-memory slot goes back to its writer now
  Shared& s = *shared_;
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.free.size() < s.max_frames + 2) s.free.push_back(std::move(m));
}

}  // namespace rvkit

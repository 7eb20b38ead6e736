#include "rvkit/recording/recorder.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "rvkit/capture/encoder.hpp"
#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/recording/file.hpp"
#include "rvkit/recording/save_notice.hpp"

namespace rvkit::recording {
namespace {

constexpr uint64_t kMaxQueuedRecordBytes = 64ull << 20;

struct Item {
  enum class Kind { Message, Fms, Batch } kind = Kind::Message;
  Message msg;
  FmsInfo fms;
  std::vector<std::shared_ptr<const Message>> batch;
  uint64_t save_number = 0;  // Batch: the ring save it is
  uint64_t bytes = 0;  // what it counts against the queue
  bool frame = false;
};

uint64_t record_cost(const Message& m) { return m.payload.size() + 256; }

}  // namespace

struct Recorder::State {
  mutable std::mutex mu;
  std::condition_variable cv_items, cv_room;
  std::deque<Item> items;
  uint64_t frame_bytes = 0, record_bytes = 0;
  bool closing = false;
  RecorderCounts counts;
  std::string error;
  std::string current;
  std::vector<std::string> files;
  std::thread thread;
};

Recorder::Recorder(RecorderOptions o) : o_(std::move(o)), s_(std::make_unique<State>()) {
  s_->thread = start_worker([this] { run(); });
}

Recorder::~Recorder() {
  try {
    finish();
  } catch (...) {
  }
}

bool Recorder::add(Message& m) {
  Item it;
  it.frame = m.is_frame();
  it.bytes = it.frame ? m.payload.size() : record_cost(m);
  std::unique_lock<std::mutex> lock(s_->mu);
  if (failed_) return true;  // nothing is written any more; the reader ends at failed()
  if (it.frame) {
    auto fits = [&] { return s_->frame_bytes == 0 || s_->frame_bytes + it.bytes <= o_.queue_bytes || failed_; };
    if (o_.block_when_full) {
      while (!fits() && !stop_requested()) s_->cv_room.wait_for(lock, std::chrono::milliseconds(100));
    }
    if (!fits() || failed_) {
      ++s_->counts.dropped;
      return false;
    }
    s_->frame_bytes += it.bytes;
  } else {
    while (s_->record_bytes + it.bytes > kMaxQueuedRecordBytes && !failed_)
      s_->cv_room.wait_for(lock, std::chrono::milliseconds(100));
    s_->record_bytes += it.bytes;
  }
  it.msg = std::move(m);
  s_->items.push_back(std::move(it));
  s_->counts.queued_bytes = s_->frame_bytes;
  s_->cv_items.notify_one();
  return true;
}

void Recorder::set_fms(const FmsInfo& fms) {
  Item it;
  it.kind = Item::Kind::Fms;
  it.fms = fms;
  std::lock_guard<std::mutex> lock(s_->mu);
  s_->items.push_back(std::move(it));
  s_->cv_items.notify_one();
}

void Recorder::save(std::vector<std::shared_ptr<const Message>> batch, uint64_t save_number) {
  Item it;
  it.kind = Item::Kind::Batch;
  it.batch = std::move(batch);
  it.save_number = save_number;
  std::lock_guard<std::mutex> lock(s_->mu);
  s_->items.push_back(std::move(it));
  s_->cv_items.notify_one();
}

void Recorder::finish() {
  {
    std::lock_guard<std::mutex> lock(s_->mu);
    s_->closing = true;
    s_->cv_items.notify_all();
  }
  if (s_->thread.joinable()) s_->thread.join();
  if (failed_) throw Error(error());
}

std::string Recorder::error() const {
  std::lock_guard<std::mutex> lock(s_->mu);
  return s_->error;
}

RecorderCounts Recorder::counts() const {
  std::lock_guard<std::mutex> lock(s_->mu);
  return s_->counts;
}

std::string Recorder::current_file() const {
  std::lock_guard<std::mutex> lock(s_->mu);
  return s_->current;
}

std::vector<std::string> Recorder::files() const {
  std::lock_guard<std::mutex> lock(s_->mu);
  return s_->files;
}

void Recorder::run() {
  std::unique_ptr<RecordingFile> file;
  std::optional<CaptureEncoder> encoder;
  if (!o_.format.empty()) {
    CaptureEncoderOptions eo;
    eo.format = parse_pixel_format(o_.format);
    eo.quality = o_.quality;
    eo.width = o_.width;
    eo.height = o_.height;
    encoder.emplace(eo);
  }
  const bool fms_names = pattern_uses_fms(o_.pattern);
  const bool plain = o_.pattern.find('%') == std::string::npos;
  FmsInfo fms;
  int64_t opened_at = 0, synced_at = 0;
  uint64_t frames_in_file = 0;
  Message encoded;
  auto event = [&](const std::string& e) {
    if (o_.on_event) o_.on_event(e);
  };
  auto open_new = [&](bool batch) {
    std::string name = expand_name(o_.pattern, fms, std::time(nullptr));
    bool overwrite = o_.overwrite && plain && !batch && s_->counts.files == 0;
    if (!overwrite) name = unique_name(name);
    auto f = std::make_unique<RecordingFile>(name, overwrite);
    {
      std::lock_guard<std::mutex> lock(s_->mu);
      ++s_->counts.files;
      s_->current = name;
      s_->files.push_back(name);
    }
    event("opened " + name);
    if (o_.keep_bytes)
      for (auto& gone : prune_recordings(name, o_.keep_bytes, name)) event("deleted " + gone);
    return f;
  };
  auto close = [&](std::unique_ptr<RecordingFile>& f) {
    if (!f) return;
    f->close();
    event(fmt::format("closed {} ({} messages, {} bytes)", f->path(), f->messages(), f->bytes()));
    f.reset();
  };
  // Writes one message (re-encoded when asked) to `f`; returns the bytes written.
  auto put = [&](RecordingFile& f, const Message& m) {
    if (o_.before_write) o_.before_write(m);
    const Message* out = &m;
    if (encoder && m.is_frame()) {
      CapturedFrame cf;
      cf.is_message = true;
      cf.message.header = m.header;
      cf.message.payload.assign(m.payload.data(), m.payload.size());
      encoder->encode(cf, 0, encoded);
      out = &encoded;
    }
    uint64_t before = f.bytes();
    f.write(*out);
    std::lock_guard<std::mutex> lock(s_->mu);
    ++s_->counts.messages;
    if (m.is_frame()) ++s_->counts.frames;
    s_->counts.bytes += f.bytes() - before;
  };
  try {
    for (;;) {
      Item it;
      {
        std::unique_lock<std::mutex> lock(s_->mu);
        while (s_->items.empty() && !s_->closing) s_->cv_items.wait_for(lock, std::chrono::milliseconds(200));
        if (s_->items.empty()) break;  // closing, and everything written
        it = std::move(s_->items.front());
        s_->items.pop_front();
      }
      const int64_t now = mono_us();
      switch (it.kind) {
        case Item::Kind::Fms:
          if (fms_names && it.fms != fms && file) {
            if (frames_in_file > 0) {
              close(file);  // a new match: a new file
            } else {
              // Only records so far (the FMS values arriving one by one as ntsub connects): the
              // file takes the name they make.
              fms = it.fms;
              std::string name = unique_name(expand_name(o_.pattern, fms, std::time(nullptr)));
              event(fmt::format("renamed {} to {}", file->path(), name));
              file->rename_to(name);
              std::lock_guard<std::mutex> lock(s_->mu);
              s_->current = name;
              s_->files.back() = name;
            }
          }
          fms = it.fms;
          break;
        case Item::Kind::Batch: {
          auto f = open_new(true);
          for (auto& m : it.batch) put(*f, *m);
          const std::string path = std::filesystem::absolute(f->path()).string();
          const uint64_t messages = f->messages(), bytes = f->bytes();
          close(f);
          event(saved_line(path, messages, bytes, it.save_number));
          break;
        }
        case Item::Kind::Message: {
          // --split-s goes by arrival time (t_rec), so a part never spans more than the time given,
          // however far behind the disk is.
          const Json& h = it.msg.header;
          const int64_t at = h.contains("t_rec") && h["t_rec"].is_number_integer() ? h["t_rec"].get<int64_t>() : now_us();
          if (file && file->messages() > 0 &&
              ((o_.split_bytes && file->bytes() + it.msg.payload.size() > o_.split_bytes) ||
               (o_.split_us && at - opened_at >= o_.split_us)))
            close(file);
          if (!file) {
            file = open_new(false);
            opened_at = at;
            synced_at = now;
            frames_in_file = 0;
          }
          put(*file, it.msg);
          if (it.frame) ++frames_in_file;
          if (now - synced_at >= o_.sync_us) {
            file->sync();
            synced_at = now;
          }
          break;
        }
      }
      std::lock_guard<std::mutex> lock(s_->mu);
      if (it.kind == Item::Kind::Message) {
        (it.frame ? s_->frame_bytes : s_->record_bytes) -= it.bytes;
        s_->counts.queued_bytes = s_->frame_bytes;
      }
      s_->cv_room.notify_all();
    }
    close(file);
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(s_->mu);
    s_->error = e.what();
    failed_ = true;
    s_->items.clear();
    s_->frame_bytes = s_->record_bytes = 0;
    s_->cv_room.notify_all();
  }
  std::lock_guard<std::mutex> lock(s_->mu);
  s_->current.clear();
}

}  // namespace rvkit::recording

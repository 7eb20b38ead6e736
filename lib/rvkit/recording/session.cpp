#include "rvkit/recording/session.hpp"

#include <sys/resource.h>

#include <csignal>

#include <atomic>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/core/signals.hpp"
#include "rvkit/core/stats.hpp"
#include "rvkit/io/input_set.hpp"
#include "rvkit/recording/file.hpp"
#include "rvkit/recording/ring.hpp"
#include "rvkit/recording/save_notice.hpp"

namespace rvkit::recording {
namespace {

std::atomic<int> g_save_requests{0};
void on_sigusr1(int) { g_save_requests.fetch_add(1); }

void install_sigusr1() {
  struct sigaction sa {};
  sa.sa_handler = on_sigusr1;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // the writer's system calls go on as if nothing happened
  sigaction(SIGUSR1, &sa, nullptr);
}

std::string mb(uint64_t bytes) { return fmt::format("{:.1f} MB", double(bytes) / 1e6); }

}  // namespace

int run_rec(const RecOptions& o) {
  const bool ring_mode = o.ring_us > 0 || o.ring_bytes > 0;
  install_sigusr1();
  RecorderOptions ro = o.recorder;
  if (o.verbose)
    ro.on_event = [](const std::string& e) { log_line(e); };
  else
    ro.on_event = [](const std::string& e) {
      // Deleting a recording is always said, and so is where a save went (`rec save` reads it).
      if (e.rfind("deleted ", 0) == 0 || parse_save_notice(e)) log_line(e);
    };
  Recorder recorder(ro);
  std::optional<Ring> ring;
  if (ring_mode) ring.emplace(o.ring_us > 0 ? o.ring_us : INT64_MAX / 4, o.ring_bytes ? o.ring_bytes : UINT64_MAX);
  InputSet inputs(o.inputs, o.input, 8, 1024);
  inputs.start();
  Stats stats(o.inputs.size() == 1 ? (o.inputs[0] == "-" ? "stdin" : o.inputs[0]) : fmt::format("{} inputs", o.inputs.size()),
              o.verbose > 0);
  ThrottledLog drops(5000000);
  FmsInfo fms;
  std::optional<Json> trigger_value;
  uint64_t saves = 0;
  size_t ended = 0;
  int handled_saves = g_save_requests.load();
  std::string input_error;
  auto save = [&](const std::string& why) {
    if (!ring) {
      log_line(nothing_to_save_line(why));
      return;
    }
    ++saves;
    log_line(saving_line(why, saves, ring->size(), double(ring->span_us()) / 1e6, ring->bytes()));
    recorder.save(ring->window(), saves);
  };
  while (!stop_requested() && !recorder.failed()) {
    int requests = g_save_requests.load();
    if (requests != handled_saves) {
      handled_saves = requests;
      save("SIGUSR1");
    }
    RecorderCounts c = recorder.counts();
    if (o.verbose)
      stats.report(ring ? fmt::format("ring {} messages {:.1f} s {}, {} saves", ring->size(),
                                      double(ring->span_us()) / 1e6, mb(ring->bytes()), saves)
                        : fmt::format("queue {}, {} written, {}", mb(c.queued_bytes), mb(c.bytes),
                                      recorder.current_file()));
    InputEvent ev;
    if (!inputs.pop(ev, 100)) continue;
    if (ev.kind == InputEvent::Kind::Error) {
      input_error = ev.error;
      break;
    }
    if (ev.kind == InputEvent::Kind::End) {
      if (++ended == inputs.size()) break;
      continue;
    }
    Message& m = ev.msg;
    const int64_t t_rec = now_us();
    m.header["t_rec"] = t_rec;
    const bool frame = m.is_frame();
    std::string trigger;  // the trigger topic changed: save once this record is in the ring
    if (!frame) {
      const std::string type = m.type();
      if (type == "nt" || type == "nt_snapshot") {
        if (fms.update(m.header)) recorder.set_fms(fms);
        if (!o.trigger_topic.empty() && type == "nt" && m.header.value("topic", "") == o.trigger_topic &&
            m.header.contains("value")) {
          const Json& v = m.header["value"];
          bool changed = trigger_value && *trigger_value != v;
          trigger_value = v;
          if (changed) trigger = fmt::format("{} is now {}", o.trigger_topic, v.dump());
        }
      }
    }
    stats.add(m.payload.size() + 1);
    if (ring) {
      ring->add(std::move(m), t_rec);
      if (!trigger.empty()) save(trigger);
      continue;
    }
    if (!recorder.add(m)) {
      stats.drop();
      drops.line(fmt::format("dropping frames: the disk does not keep up ({} so far)", recorder.counts().dropped));
      inputs.recycle(std::move(m));
    }
  }
  if (ring && o.verbose)
    log_line(fmt::format("the end: the ring's last {} messages are not saved ({} saves)", ring->size(), saves));
  recorder.finish();  // throws the recorder's failure
  RecorderCounts c = recorder.counts();
  if (c.dropped)
    log_line(fmt::format("{} frames dropped: the disk did not keep up (no record was dropped)", c.dropped));
  if (o.verbose) {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    log_line(fmt::format("done: {} messages ({} frames, {} records), {} in {} files, {} frames dropped; "
                         "peak memory {:.1f} MB",
                         c.messages, c.frames, c.messages - c.frames, mb(c.bytes), c.files, c.dropped,
                         double(ru.ru_maxrss) / 1024.0));
  }
  if (!input_error.empty()) throw Error(input_error);
  return 0;
}

int repair_files(const std::vector<std::string>& files, uint64_t max_payload) {
  int status = 0;
  for (const std::string& f : files) {
    try {
      ScanResult r = repair_recording(f, max_payload);
      if (r.good_bytes < r.file_bytes)
        log_line(fmt::format("{}: cut {} bytes at byte {} (message {}: {}); {} whole messages ({} frames) kept", f,
                             r.file_bytes - r.good_bytes, r.good_bytes, r.messages + 1, r.problem, r.messages,
                             r.frames));
      else
        log_line(fmt::format("{}: whole: {} messages ({} frames), {} bytes; nothing cut", f, r.messages, r.frames,
                             r.file_bytes));
    } catch (const Error& e) {
      log_line(e.what());
      status = 1;
    }
  }
  return status;
}

}  // namespace rvkit::recording

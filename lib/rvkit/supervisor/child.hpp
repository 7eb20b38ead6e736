// rvkit supervisor: one supervised process of `hub run`, across its restarts (docs/launch.md).
//
// A Child holds what the event loop knows of one [[process]] (or of the hub itself): its spec, its
// state (status.hpp's ProcessState), the pid of the current run (also its process group), the read
// end of its output pipe with the line splitter and the last lines kept for `hub logs`, when it
// started, its restarts and last exit, and the bookkeeping of a stop in progress (which signal was
// sent when) and of its readiness (port probe, notify socket). The decisions (when to start, stop,
// restart) are the Supervisor's (supervisor.hpp), with the RestartTracker's (restart_policy.hpp);
// Child does the mechanics of one process: reading its output into lines, signalling its group.
//
// Single-threaded: owned by the Supervisor's event loop.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rvkit/supervisor/launch_file.hpp"
#include "rvkit/supervisor/log_sink.hpp"
#include "rvkit/supervisor/notify_socket.hpp"
#include "rvkit/supervisor/readiness.hpp"
#include "rvkit/supervisor/restart_policy.hpp"
#include "rvkit/supervisor/status.hpp"

namespace rvkit::supervisor {

// What to do when a process the supervisor is stopping has exited.
enum class AfterStop {
  None,           // it was not being stopped: it ended on its own
  RestartPolicy,  // stall or watchdog: restart it as for a failure (backoff, limit)
  RestartNow,     // `hub restart NAME`: start it again at once
  Stay,           // `hub stop NAME` or the whole supervisor stopping: leave it stopped
};

class Child {
 public:
  Child(ProcessSpec spec, size_t index, size_t log_lines, bool is_hub = false);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  const ProcessSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  size_t index() const { return index_; }
  bool is_hub() const { return is_hub_; }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int output_fd() const { return out_fd_; }

  // A run began: `pid` (its process group too) writes into `output_fd`.
  void started(pid_t pid, int output_fd, int64_t now_us);
  // Reads what the pipe holds (at most `max_bytes`), prints its complete lines through `sink` and
  // keeps them for logs(). Closes the pipe at its end (then flushing a partial line).
  void read_output(LogSink& sink, size_t max_bytes = 65536);
  // The run ended with waitpid() `status`: reads what is left in the pipe (non-blocking), flushes a
  // partial line, closes the pipe and kills what is left of its process group. Returns the process
  // group id (for the orphan guard).
  pid_t ended(LogSink& sink);
  // Sends `sig` to the whole process group (then SIGCONT, so a stopped process can act on it).
  void signal_group(int sig);
  std::vector<std::string> logs(size_t n) const { return ring_.last(n); }
  uint64_t log_total() const { return ring_.total(); }  // lines it wrote, across its restarts

  // The supervisor's bookkeeping, read and written by it.
  ProcessState state = ProcessState::Waiting;
  RestartTracker tracker;  // restart, backoff and limit (restart_policy.hpp)
  std::string last_exit;   // "exit 1", "signal 9 (SIGKILL)", "cannot run 'x': ..."
  bool last_exit_failed = false;
  std::string reason;      // why it was last restarted or failed
  int64_t started_us = 0;  // monotonic, of the current run
  int64_t restart_at_us = 0;          // Backoff: when to start again
  bool ready_for_dependents = false;  // sticky: its first readiness (or its timeout) happened
  bool stopped_by_control = false;
  // A stop in progress.
  AfterStop after_stop = AfterStop::None;
  int stop_signal = 0;        // the last signal sent: SIGINT, SIGTERM, SIGKILL
  int64_t stop_next_us = 0;   // when to send the next one
  // Readiness of the current run.
  int64_t ready_deadline_us = 0;
  PortProbe probe;
  int64_t probe_next_us = 0;
  std::unique_ptr<NotifySocket> notify;
  int64_t last_watchdog_us = 0;
  std::string notify_status;  // the last STATUS= it sent

 private:
  void print_lines(std::vector<std::string>& lines, LogSink& sink);
  void close_output();
  ProcessSpec spec_;
  size_t index_;
  bool is_hub_;
  pid_t pid_ = 0;
  int out_fd_ = -1;
  LineSplitter splitter_;
  LogRing ring_;
};

}  // namespace rvkit::supervisor

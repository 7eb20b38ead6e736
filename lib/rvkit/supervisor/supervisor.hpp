// rvkit supervisor: the event loop of `hub run FILE` (docs/launch.md).
//
// Supervisor starts the message hub (`hub serve --report-fd 3`, unless [hub].enabled = false) and
// then every process of a launch file once what it comes `after` is ready, prints their lines
// prefixed with their names (log_sink.hpp), restarts what ends, stalls or misses its watchdog
// (with backoff, up to a limit after which a process is failed and the rest keep running), and on
// SIGINT, SIGTERM, SIGHUP or a `stop` from the control socket stops everything: the dependents of a
// process before it, each with SIGINT to its process group, SIGTERM after its stop_timeout, SIGKILL
// after it again, the hub last. A second SIGINT (not a repeat within 300 ms) kills everything at
// once. run() then prints a summary (name, restarts, last exit) and returns the exit status: 0 if
// nothing failed, else 1. When every process has ended on its own and none is to be restarted, it
// stops as well.
//
// Threads: none, ever. The supervisor forks its children, so it runs in the one thread of its
// process (HELPER-11 item 5): this module links no ZeroMQ, and `hub run` creates no ZeroMQ context
// (the hub binary has libzmq for `hub serve`, which runs as a child). One poll() waits on a
// signalfd (SIGCHLD and the stop signals, blocked while run() runs), the children's output pipes,
// the hub's report pipe, port probes, notify sockets and the PollSources added (the control
// socket, the status page); timers are deadlines on the monotonic clock. The supervisor is
// PR_SET_CHILD_SUBREAPER and reaps every process that ends under it (waitpid(-1), every round of the
// loop: the SIGCHLD is only the prompt wake-up, since in a process with threads of others, such as
// the unit tests' or a library's pool, it may go to one of them and be lost; the stop signals then
// reach the signalfd only if those threads block them too), grandchildren included; OrphanGuard
// (orphan_guard.hpp) kills every process group it started if it is itself killed.
//
// It implements Control (status.hpp), the requests of the control socket and the status page,
// which call it from within the loop (PollSource::on_poll).
#pragma once
#include <signal.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rvkit/supervisor/child.hpp"
#include "rvkit/supervisor/launch_file.hpp"
#include "rvkit/supervisor/poll_source.hpp"
#include "rvkit/supervisor/status.hpp"

namespace rvkit::supervisor {

class HubReport;
class OrphanGuard;
class SystemdNotifier;
class ProcessGroupStats;

struct SupervisorOptions {
  std::string hub_address;                      // RVKIT_HUB for the hub and every process ("" = unchanged)
  std::string hub_program = "/proc/self/exe";   // runs `serve --report-fd 3 [hub].args...`
  std::string binary_dir;                       // where a cmd[0] is looked for first ("" = this binary's folder)
  int verbose = 0;                              // 1: each command line as it starts, the signals sent
  int log_fd = 2;                               // where the lines go
  double hub_ready_timeout_s = 5.0;             // processes start anyway if the hub has not reported by then
};

class Supervisor final : public Control {
 public:
  Supervisor(LaunchFile file, SupervisorOptions options);
  ~Supervisor() override;
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Joins `source` to the loop (it must outlive run()).
  void add_source(PollSource& source);
  // Runs until everything has stopped; returns the exit status (0: nothing failed, 1: something did).
  // Throws rvkit::Error if the loop cannot be set up (no signalfd); nothing has been started then.
  int run();

  // Control (called from within run(), by the PollSources).
  std::vector<ProcessStatus> status() override;
  std::string restart(const std::string& name) override;
  std::string stop(const std::string& name) override;
  std::vector<std::string> logs(const std::string& name, size_t lines, std::string& error) override;
  uint64_t log_total(const std::string& name) override;
  std::vector<SaveSignal> save(const std::string& name, std::string& error) override;

 private:
  enum class PollKind { Signal, Report, Output, Probe, Notify, Source };
  struct PollSlot {
    PollKind kind;
    Child* child = nullptr;
    PollSource* source = nullptr;
    size_t count = 1;
  };

  void setup();
  void teardown();
  void advance(int64_t now);
  void poll_once(int64_t now);
  void wake_at(int64_t when_us);
  void on_signals(int64_t now);
  void reap(int64_t now);
  void read_report(int64_t now);

  void start_waiting(int64_t now);
  void start_child(Child& c, int64_t now);
  void on_exit(Child& c, int status, int64_t now);
  void cannot_start(Child& c, const std::string& error, int64_t now);
  void decide(Child& c, const ExitStatus& how, int64_t now);  // after an end: restart, stop or fail
  void check_readiness(Child& c, int64_t now);
  void mark_ready(Child& c, int64_t now);
  void check_stalls(Child& c, int64_t now);
  void check_watchdog(Child& c, int64_t now);
  void check_hub_report(int64_t now);
  void on_notify(Child& c, int64_t now);
  void request_stop(Child& c, AfterStop after, int64_t now);
  void escalate_stop(Child& c, int64_t now);
  void begin_shutdown(int64_t now);  // the caller has said why
  void advance_shutdown(int64_t now);
  void kill_everything();
  bool finished() const;
  bool depends_on(const Child& dependent, const Child& dependency) const;
  Child* find(const std::string& name);
  Child* find(pid_t pid);
  std::vector<Child*> all();  // the hub first, then the processes in file order
  void say(const Child& c, const std::string& text);
  int summary();

  LaunchFile file_;
  SupervisorOptions options_;
  std::vector<std::unique_ptr<Child>> children_;  // the processes, in file order
  std::unique_ptr<Child> hub_;                    // null with [hub].enabled = false
  std::unique_ptr<LogSink> sink_;
  std::unique_ptr<HubReport> report_;
  std::unique_ptr<OrphanGuard> guard_;
  std::unique_ptr<SystemdNotifier> systemd_;
  std::unique_ptr<ProcessGroupStats> usage_;  // CPU and RSS of each process group
  int64_t next_usage_us_ = 0;
  std::vector<PollSource*> sources_;
  std::vector<pollfd> fds_;
  std::vector<PollSlot> slots_;

  int signal_fd_ = -1;
  sigset_t old_mask_{};
  bool set_up_ = false;
  int report_fd_ = -1;                   // the read end of the hub's report pipe
  int64_t hub_reporting_since_us_ = 0;   // the first report of the hub's current run
  bool report_warned_ = false;
  int64_t wake_us_ = 0;
  int64_t start_us_ = 0;
  bool stopping_ = false;
  int64_t first_stop_signal_us_ = 0;
  bool told_systemd_ready_ = false;
  bool warned_hub_slow_ = false;
};

}  // namespace rvkit::supervisor

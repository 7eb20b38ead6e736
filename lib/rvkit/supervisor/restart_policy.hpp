// rvkit supervisor: whether, and when, a process that ended is started again (docs/launch.md,
// restart, backoff, limit).
//
// One RestartTracker per process, fed the process's events by the supervisor: started(t) when it
// forks it, stop_requested() / restart_requested() when `hub stop` or Ctrl-C / `hub restart` are about
// to signal it, and exited(t, how) when it has been reaped (a process the stall or notify watchdog
// killed is simply reaped with its signal: an automatic restart, under its policy, backoff and limit);
// exited() answers Restart after delay_s, Stop (stays stopped), or Fail (the restart limit is
// reached: it stays stopped, marked failed, and `hub run` will exit non-zero). The rules:
//   - a requested stop is never restarted; a requested restart is restarted at once, without
//     counting against the limit or growing the backoff;
//   - otherwise restart = never stops; on-failure stops after exit status 0 and restarts after any
//     other status or a signal; always restarts after anything;
//   - the delay of automatic restart n (0-based) is min(first * factor^n, max); n goes back to 0
//     when the process had stayed up reset seconds or more before it ended;
//   - a restart that would be the (limit.restarts+1)th within the last limit.window seconds is Fail
//     instead ("failed: 10 restarts within 60 s").
// Times are seconds on a monotonic clock, passed in (the supervisor reads CLOCK_MONOTONIC), so the
// class is pure: no clock, no process, no thread; the tests drive it with plain numbers.
#pragma once
#include <deque>
#include <string>

#include "rvkit/supervisor/launch_file.hpp"

namespace rvkit::supervisor {

// How a reaped process ended: exit status `code`, or killed by `signal` (then code is unused).
struct ExitStatus {
  int code = 0;
  int signal = 0;
  bool success() const { return signal == 0 && code == 0; }
};
// "exit 1", "signal 9 (SIGKILL)": the form of `hub status`'s last exit.
std::string to_string(const ExitStatus& e);
ExitStatus exit_status_from_wait(int wstatus);  // from waitpid()'s status (WIFEXITED / WIFSIGNALED)

struct RestartDecision {
  enum class Action { Restart, Stop, Fail };
  Action action = Action::Stop;
  double delay_s = 0;  // Restart: start it again this many seconds after the exit
  std::string reason;  // one line: "exit 1" (what ended it), "stopped by request", "failed: 3 restarts within 60 s"
};

class RestartTracker {
 public:
  RestartTracker(RestartPolicy policy, Backoff backoff, RestartLimit limit);
  explicit RestartTracker(const ProcessSpec& spec) : RestartTracker(spec.restart, spec.backoff, spec.limit) {}

  void started(double t);     // forked at t (clears a pending stop or restart request)
  void stop_requested();      // its next exit is a stop
  void restart_requested();   // its next exit is restarted at once (and a failed process may start again)
  RestartDecision exited(double t, const ExitStatus& how);

  int restarts() const { return restarts_; }  // restarts decided so far, automatic and requested
  bool failed() const { return failed_; }     // the limit was reached (until restart_requested())

 private:
  enum class Request { None, Stop, Restart };
  RestartPolicy policy_;
  Backoff backoff_;
  RestartLimit limit_;
  Request request_ = Request::None;
  bool running_ = false;
  double started_at_ = 0;
  int backoff_step_ = 0;           // n of the next automatic restart's delay
  std::deque<double> recent_;      // times of the automatic restarts within the window
  int restarts_ = 0;
  bool failed_ = false;
};

}  // namespace rvkit::supervisor

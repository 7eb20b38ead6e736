// RestartTracker: restart or not, after what delay, and when a crash loop is given up, driven with
// plain times (no clock, no process).
#include "test_util.hpp"

#include <csignal>
#include <vector>

#include <sys/wait.h>

#include "rvkit/supervisor/restart_policy.hpp"

using namespace rvkit::supervisor;
using Action = RestartDecision::Action;

namespace {

const ExitStatus kOk{0, 0};
const ExitStatus kExit1{1, 0};
const ExitStatus kKilled{0, SIGKILL};

Backoff backoff(double first, double factor, double max, double reset) { return Backoff{first, factor, max, reset}; }

}  // namespace

TEST_CASE("restart policy: exit statuses read as hub status shows them") {
  CHECK(to_string(kOk) == "exit 0");
  CHECK(to_string(ExitStatus{127, 0}) == "exit 127");
  CHECK(to_string(kKilled) == "signal 9 (SIGKILL)");
  CHECK(to_string(ExitStatus{0, SIGSEGV}) == "signal 11 (SIGSEGV)");
  CHECK(kOk.success());
  CHECK_FALSE(kExit1.success());
  CHECK_FALSE(kKilled.success());
  // waitpid() statuses as the kernel encodes them: the exit code in bits 8..15, or the signal.
  CHECK(exit_status_from_wait(3 << 8).code == 3);
  CHECK(exit_status_from_wait(3 << 8).signal == 0);
  CHECK(exit_status_from_wait(SIGTERM).signal == SIGTERM);
}

TEST_CASE("restart policy: always, on-failure and never") {
  struct Case {
    RestartPolicy policy;
    ExitStatus how;
    Action expect;
    const char* reason;
  };
  const Case cases[] = {
      {RestartPolicy::Always, kOk, Action::Restart, "exit 0"},
      {RestartPolicy::Always, kExit1, Action::Restart, "exit 1"},
      {RestartPolicy::Always, kKilled, Action::Restart, "signal 9 (SIGKILL)"},
      {RestartPolicy::OnFailure, kOk, Action::Stop, "exit 0 (restart = on-failure)"},
      {RestartPolicy::OnFailure, kExit1, Action::Restart, "exit 1"},
      {RestartPolicy::OnFailure, kKilled, Action::Restart, "signal 9 (SIGKILL)"},
      {RestartPolicy::Never, kOk, Action::Stop, "exit 0 (restart = never)"},
      {RestartPolicy::Never, kExit1, Action::Stop, "exit 1 (restart = never)"},
      {RestartPolicy::Never, kKilled, Action::Stop, "signal 9 (SIGKILL) (restart = never)"},
  };
  for (const Case& c : cases) {
    CAPTURE(to_string(c.policy));
    CAPTURE(to_string(c.how));
    RestartTracker r(c.policy, Backoff{}, RestartLimit{});
    r.started(100);
    const RestartDecision d = r.exited(101, c.how);
    CHECK(d.action == c.expect);
    CHECK(d.reason == c.reason);
    CHECK(r.restarts() == (c.expect == Action::Restart ? 1 : 0));
    CHECK_FALSE(r.failed());
  }
}

TEST_CASE("restart policy: the backoff grows by factor up to max, and starts again after a stable uptime") {
  RestartTracker r(RestartPolicy::Always, backoff(0.1, 2, 1, 10), RestartLimit{100, 60});
  double t = 0;
  std::vector<double> delays;
  for (int i = 0; i < 7; ++i) {
    r.started(t);
    t += 0.5;  // a crash loop: up half a second each time
    const RestartDecision d = r.exited(t, kExit1);
    REQUIRE(d.action == Action::Restart);
    delays.push_back(d.delay_s);
    t += d.delay_s;
  }
  const std::vector<double> expect = {0.1, 0.2, 0.4, 0.8, 1, 1, 1};
  REQUIRE(delays.size() == expect.size());
  for (size_t i = 0; i < expect.size(); ++i) CHECK(delays[i] == doctest::Approx(expect[i]));

  // Up just under `reset`: still backing off. Up `reset` or more: the first delay again.
  r.started(t);
  CHECK(r.exited(t + 9.9, kExit1).delay_s == doctest::Approx(1));
  t += 20;
  r.started(t);
  CHECK(r.exited(t + 10, kExit1).delay_s == doctest::Approx(0.1));
  t += 20;
  r.started(t);
  CHECK(r.exited(t + 1, kExit1).delay_s == doctest::Approx(0.2));
  CHECK(r.restarts() == 10);
}

TEST_CASE("restart policy: a zero first delay restarts at once, however long the loop") {
  RestartTracker r(RestartPolicy::Always, backoff(0, 2, 5, 10), RestartLimit{100000, 1});
  for (int i = 0; i < 3000; ++i) {
    r.started(i);
    const RestartDecision d = r.exited(i + 0.5, kExit1);
    REQUIRE(d.action == Action::Restart);
    REQUIRE(d.delay_s == 0);
  }
}

TEST_CASE("restart policy: more than limit.restarts within limit.window fails the process") {
  RestartTracker r(RestartPolicy::OnFailure, backoff(0.1, 1, 0.1, 10), RestartLimit{3, 60});
  double t = 0;
  for (int i = 0; i < 3; ++i) {
    r.started(t);
    t += 1;
    REQUIRE(r.exited(t, kExit1).action == Action::Restart);
  }
  r.started(t);
  const RestartDecision d = r.exited(t + 1, kKilled);
  CHECK(d.action == Action::Fail);
  CHECK(d.reason == "failed: 3 restarts within 60 s, then signal 9 (SIGKILL)");
  CHECK(r.failed());
  CHECK(r.restarts() == 3);

  // `hub restart NAME` gives a failed process a fresh start: the window is empty again.
  r.restart_requested();
  CHECK_FALSE(r.failed());
  r.started(t + 2);
  for (int i = 0; i < 3; ++i) {
    r.started(t + 2 + i);
    REQUIRE(r.exited(t + 2.5 + i, kExit1).action == Action::Restart);
  }
}

TEST_CASE("restart policy: restarts older than the window no longer count") {
  RestartTracker r(RestartPolicy::Always, backoff(0.1, 1, 0.1, 1000), RestartLimit{2, 10});
  r.started(0);
  CHECK(r.exited(1, kExit1).action == Action::Restart);  // restarts at 1
  r.started(1.1);
  CHECK(r.exited(5, kExit1).action == Action::Restart);  // and 5
  r.started(5.1);
  // At 10.5 both are within 10 s: a third fails. At 11 the one at 1 has left the window.
  RestartTracker copy = r;
  CHECK(copy.exited(10.5, kExit1).action == Action::Fail);
  CHECK(r.exited(11, kExit1).action == Action::Restart);
  r.started(11.1);
  CHECK(r.exited(14.9, kExit1).action == Action::Fail);  // 5 and 11 are within 10 s of 14.9
}

TEST_CASE("restart policy: a limit of 0 restarts fails at the first failure") {
  RestartTracker r(RestartPolicy::Always, Backoff{}, RestartLimit{0, 60});
  r.started(0);
  const RestartDecision d = r.exited(1, kExit1);
  CHECK(d.action == Action::Fail);
  CHECK(d.reason == "failed: 0 restarts within 60 s, then exit 1");
}

TEST_CASE("restart policy: requested stops and restarts") {
  RestartTracker r(RestartPolicy::Always, backoff(0.5, 2, 5, 10), RestartLimit{1, 60});
  r.started(0);
  r.stop_requested();
  RestartDecision d = r.exited(1, kKilled);
  CHECK(d.action == Action::Stop);
  CHECK(d.reason == "stopped by request");
  CHECK(r.restarts() == 0);

  // A requested restart is at once and counts neither against the limit nor in the backoff.
  r.started(2);
  for (int i = 0; i < 5; ++i) {
    r.restart_requested();
    d = r.exited(3 + i, kKilled);
    CHECK(d.action == Action::Restart);
    CHECK(d.delay_s == 0);
    CHECK(d.reason == "restarted by request");
    r.started(3 + i);
  }
  CHECK(r.restarts() == 5);
  d = r.exited(9, kExit1);
  CHECK(d.action == Action::Restart);
  CHECK(d.delay_s == doctest::Approx(0.5));  // the first automatic restart: the first delay

  // started() clears a request that the process did not end by (it was started again first).
  r.started(10);
  r.stop_requested();
  r.started(11);
  CHECK(r.exited(12, kExit1).action == Action::Fail);  // limit 1: the restart at 9 was the one
}

TEST_CASE("restart policy: built from a ProcessSpec") {
  ProcessSpec p;
  p.restart = RestartPolicy::Never;
  RestartTracker r(p);
  r.started(0);
  CHECK(r.exited(1, kExit1).action == Action::Stop);
}

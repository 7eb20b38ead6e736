// rvkit supervisor: the restart decisions (see restart_policy.hpp).
#include "rvkit/supervisor/restart_policy.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

namespace rvkit::supervisor {

std::string to_string(const ExitStatus& e) {
  if (e.signal == 0) return fmt::format("exit {}", e.code);
  const char* abbrev = ::sigabbrev_np(e.signal);
  return abbrev != nullptr ? fmt::format("signal {} (SIG{})", e.signal, abbrev) : fmt::format("signal {}", e.signal);
}

ExitStatus exit_status_from_wait(int wstatus) {
  ExitStatus e;
  if (WIFEXITED(wstatus)) e.code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) e.signal = WTERMSIG(wstatus);
  return e;
}

RestartTracker::RestartTracker(RestartPolicy policy, Backoff backoff, RestartLimit limit)
    : policy_(policy), backoff_(backoff), limit_(limit) {}

void RestartTracker::started(double t) {
  running_ = true;
  started_at_ = t;
  request_ = Request::None;
}

void RestartTracker::stop_requested() { request_ = Request::Stop; }

void RestartTracker::restart_requested() {
  // A person asking for it gives the process a fresh start: no failure, no history.
  request_ = Request::Restart;
  failed_ = false;
  recent_.clear();
  backoff_step_ = 0;
}

RestartDecision RestartTracker::exited(double t, const ExitStatus& how) {
  const double uptime = running_ ? t - started_at_ : 0;
  running_ = false;
  const std::string what = to_string(how);
  RestartDecision d;
  if (request_ == Request::Stop) {
    d.reason = "stopped by request";
    return d;
  }
  if (request_ == Request::Restart) {
    request_ = Request::None;
    ++restarts_;
    d.action = RestartDecision::Action::Restart;
    d.reason = "restarted by request";
    return d;
  }
  if (policy_ == RestartPolicy::Never || (policy_ == RestartPolicy::OnFailure && how.success())) {
    d.reason = fmt::format("{} (restart = {})", what, to_string(policy_));
    return d;
  }

  while (!recent_.empty() && t - recent_.front() >= limit_.window_s) recent_.pop_front();
  if (static_cast<int>(recent_.size()) >= limit_.restarts) {
    failed_ = true;
    d.action = RestartDecision::Action::Fail;
    d.reason = fmt::format("failed: {} restarts within {:g} s, then {}", recent_.size(), limit_.window_s, what);
    return d;
  }
  if (uptime >= backoff_.reset_after_s) backoff_step_ = 0;
  d.action = RestartDecision::Action::Restart;
  d.delay_s = backoff_.first_s > 0
                  ? std::min(backoff_.first_s * std::pow(backoff_.factor, backoff_step_), backoff_.max_s)
                  : 0.0;
  d.reason = what;
  // Past the cap the step stops growing, so that pow() never overflows on a long crash loop.
  if (d.delay_s < backoff_.max_s) ++backoff_step_;
  recent_.push_back(t);
  ++restarts_;
  return d;
}

}  // namespace rvkit::supervisor

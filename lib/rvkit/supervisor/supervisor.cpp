#include "rvkit/supervisor/supervisor.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/log.hpp"
#include "rvkit/supervisor/hub_report.hpp"
#include "rvkit/supervisor/log_sink.hpp"
#include "rvkit/supervisor/notify_socket.hpp"
#include "rvkit/supervisor/orphan_guard.hpp"
#include "rvkit/supervisor/proc_stats.hpp"
#include "rvkit/supervisor/spawn.hpp"

namespace rvkit::supervisor {

namespace {

constexpr const char* kHubName = "hub";
// A stall is not looked for until this long after a start (of the process or of the hub): a
// camera takes a second or two to open, and publishers reconnect to a restarted hub.
constexpr int64_t kStallGraceUs = 3'000'000;
// The hub writes its report every 250 ms; one this old means the hub is not working (stopped, hung).
constexpr int64_t kReportStaleUs = 2'000'000;
constexpr int64_t kReportDeadUs = 5'000'000;  // ... and this old: restart the hub
constexpr int64_t kProbeRetryUs = 100'000;
// A second stop signal sooner than this after the first is the same request, not a second Ctrl-C.
constexpr int64_t kRepeatedSignalUs = 300'000;
constexpr int64_t kFinalRoundsUs = 100'000;
// CPU % and RSS of each process group (hub status) are sampled this often: the kernel counts CPU
// time in 10 ms ticks, so a shorter interval would be coarse.
constexpr int64_t kUsageIntervalUs = 1'000'000;
// At most this much of one process's output is read per round, so one chatty process cannot keep
// the loop from the others.
constexpr size_t kReadPerRound = 65536;
// The environment of the supervisor that must not reach its children: systemd's notify socket and
// watchdog are the supervisor's own (a child that speaks sd_notify gets a socket of ours instead),
// and socket activation's descriptors are not passed on.
const std::vector<std::string> kNotForChildren = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                                                  "LISTEN_FDS",    "LISTEN_PID",    "LISTEN_FDNAMES"};

double seconds(int64_t us) { return double(us) / 1e6; }
int64_t micros(double s) { return int64_t(s * 1e6); }

std::string command_line(const std::vector<std::string>& argv) {
  std::string s;
  for (auto& a : argv) {
    if (!s.empty()) s += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$*?;&|<>()") == std::string::npos;
    s += plain ? a : "'" + a + "'";
  }
  return s;
}

// Whether `pid` has a handler for `sig` (SigCgt of /proc/PID/status): a rec that has just started,
// or the shell of `sh = "exec rec"` before its exec, would be ended by a SIGUSR1 instead.
bool catches_signal(pid_t pid, int sig) {
  std::ifstream f(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("SigCgt:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1;
  return false;
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGKILL: return "SIGKILL";
    case SIGHUP: return "SIGHUP";
  }
  return "a signal";
}

bool ended_state(ProcessState s) { return s == ProcessState::Stopped || s == ProcessState::Failed; }

ProcessSpec hub_spec(const LaunchFile& file, const SupervisorOptions& options) {
  ProcessSpec spec;
  spec.name = kHubName;
  spec.cmd = {options.hub_program, "serve", "--report-fd", "3"};
  spec.cmd.insert(spec.cmd.end(), file.hub.args.begin(), file.hub.args.end());
  spec.restart = RestartPolicy::Always;
  spec.stop_timeout_s = 3.0;
  return spec;
}

}  // namespace

Supervisor::Supervisor(LaunchFile file, SupervisorOptions options)
    : file_(std::move(file)), options_(std::move(options)) {
  if (options_.binary_dir.empty()) options_.binary_dir = own_binary_dir();
  size_t log_lines = size_t(std::max(file_.hub.log_lines, 0));
  std::vector<std::string> names;
  if (file_.hub.enabled) {
    hub_ = std::make_unique<Child>(hub_spec(file_, options_), 0, log_lines, /*is_hub=*/true);
    names.push_back(hub_->name());
  }
  for (size_t i = 0; i < file_.processes.size(); ++i) {
    children_.push_back(std::make_unique<Child>(file_.processes[i], i + 1, log_lines));
    names.push_back(file_.processes[i].name);
  }
  sink_ = std::make_unique<LogSink>(names, options_.log_fd);
  usage_ = std::make_unique<ProcessGroupStats>();
  report_ = std::make_unique<HubReport>();
  guard_ = std::make_unique<OrphanGuard>();
  systemd_ = std::make_unique<SystemdNotifier>();
}

Supervisor::~Supervisor() {
  // run() has stopped everything; if it threw halfway, nothing may be left behind either.
  for (Child* c : all())
    if (c->running()) c->signal_group(SIGKILL);
  teardown();
  if (report_fd_ >= 0) ::close(report_fd_);
}

void Supervisor::add_source(PollSource& source) { sources_.push_back(&source); }

std::vector<Child*> Supervisor::all() {
  std::vector<Child*> v;
  if (hub_) v.push_back(hub_.get());
  for (auto& c : children_) v.push_back(c.get());
  return v;
}

Child* Supervisor::find(const std::string& name) {
  for (Child* c : all())
    if (c->name() == name) return c;
  return nullptr;
}

Child* Supervisor::find(pid_t pid) {
  for (Child* c : all())
    if (c->running() && c->pid() == pid) return c;
  return nullptr;
}

void Supervisor::say(const Child& c, const std::string& text) { log_line(c.name() + ": " + text); }

void Supervisor::wake_at(int64_t when_us) {
  if (when_us > 0 && when_us < wake_us_) wake_us_ = when_us;
}

// ------------------------------------------------------------------ setup

void Supervisor::setup() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, sig);
  if (::sigprocmask(SIG_BLOCK, &set, &old_mask_) != 0)
    throw Error(fmt::format("cannot block signals: {}", std::strerror(errno)));
  signal_fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) {
    int e = errno;
    ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
    throw Error(fmt::format("cannot create a signalfd: {}", std::strerror(e)));
  }
  set_up_ = true;
  ::signal(SIGPIPE, SIG_IGN);  // a child's pipe or a client's socket closing must not end us
  // Processes whose parent dies under us (a pipeline's commands after its shell) become our
  // children, so we reap them and they never linger as zombies or orphans.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
    log_line(fmt::format("warning: cannot become a child subreaper: {}", std::strerror(errno)));
  if (!guard_->start())
    log_line("warning: cannot start the orphan guard: a SIGKILL of hub may leave pipelines running");
}

void Supervisor::teardown() {
  if (!set_up_) return;
  set_up_ = false;
  ::close(signal_fd_);
  signal_fd_ = -1;
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

// ------------------------------------------------------------------ the loop

int Supervisor::run() {
  setup();
  start_us_ = mono_us();
  if (hub_) start_child(*hub_, start_us_);
  for (;;) {
    int64_t now = mono_us();
    wake_us_ = now + 1'000'000;
    advance(now);
    if (finished()) break;
    poll_once(now);
  }
  // The reply to a `hub stop` may still be on its way to the client: a few more rounds for the
  // sources alone (bounded: a client that does not read is not waited for).
  for (int64_t end = mono_us() + kFinalRoundsUs; !sources_.empty() && mono_us() < end;) {
    wake_us_ = std::min(end, mono_us() + 20'000);
    for (PollSource* s : sources_) wake_at(s->wake_at_us());
    poll_once(mono_us());
  }
  int status = summary();
  guard_.reset();  // the guard's list is empty: it just exits
  teardown();
  return status;
}

void Supervisor::advance(int64_t now) {
  if (!stopping_) {
    start_waiting(now);
    for (Child* c : all()) {
      if (c->state == ProcessState::Backoff) {
        if (now >= c->restart_at_us) start_child(*c, now);
        else wake_at(c->restart_at_us);
      }
      if (c->state == ProcessState::Starting) check_readiness(*c, now);
      check_stalls(*c, now);
      check_watchdog(*c, now);
    }
    check_hub_report(now);
    if (!told_systemd_ready_ &&
        std::none_of(children_.begin(), children_.end(),
                     [](auto& c) { return c->state == ProcessState::Waiting || c->state == ProcessState::Starting; })) {
      told_systemd_ready_ = true;
      systemd_->ready(fmt::format("{} processes started", children_.size()));
    }
    // Every process has ended on its own and none is to be restarted: nothing left to supervise.
    bool all_ended = !children_.empty() && std::all_of(children_.begin(), children_.end(), [](auto& c) {
      return ended_state(c->state) && !c->stopped_by_control;
    });
    if (all_ended) {
      log_line("every process has ended: stopping");
      begin_shutdown(now);
    }
  }
  if (stopping_) advance_shutdown(now);
  if (now >= next_usage_us_) {
    std::vector<pid_t> groups;
    for (Child* c : all())
      if (c->running()) groups.push_back(c->pid());
    usage_->sample(groups, now);
    next_usage_us_ = now + kUsageIntervalUs;
  }
  wake_at(next_usage_us_);
  for (Child* c : all()) escalate_stop(*c, now);
  wake_at(systemd_->watchdog(now));
  for (PollSource* s : sources_) wake_at(s->wake_at_us());
}

void Supervisor::poll_once(int64_t now) {
  fds_.clear();
  slots_.clear();
  fds_.push_back(pollfd{signal_fd_, POLLIN, 0});
  slots_.push_back(PollSlot{PollKind::Signal});
  if (report_fd_ >= 0) {
    fds_.push_back(pollfd{report_fd_, POLLIN, 0});
    slots_.push_back(PollSlot{PollKind::Report});
  }
  for (Child* c : all()) {
    if (c->output_fd() >= 0) {
      fds_.push_back(pollfd{c->output_fd(), POLLIN, 0});
      slots_.push_back(PollSlot{PollKind::Output, c});
    }
    if (c->probe.fd() >= 0) {
      fds_.push_back(pollfd{c->probe.fd(), POLLOUT, 0});
      slots_.push_back(PollSlot{PollKind::Probe, c});
    }
    if (c->notify) {
      fds_.push_back(pollfd{c->notify->fd(), POLLIN, 0});
      slots_.push_back(PollSlot{PollKind::Notify, c});
    }
  }
  for (PollSource* s : sources_) {
    size_t before = fds_.size();
    s->add_fds(fds_);
    PollSlot slot{PollKind::Source};
    slot.source = s;
    slot.count = fds_.size() - before;
    slots_.push_back(slot);
  }
  int64_t wait_us = std::max<int64_t>(wake_us_ - now, 0);
  int timeout_ms = int((wait_us + 999) / 1000);
  int n = ::poll(fds_.data(), fds_.size(), timeout_ms);
  if (n < 0 && errno != EINTR) throw Error(fmt::format("poll: {}", std::strerror(errno)));
  now = mono_us();
  // Output first, so that a process's last lines come before the line saying it ended.
  bool signals = false;
  size_t i = 0;
  for (const PollSlot& slot : slots_) {
    const pollfd* p = &fds_[i];
    i += slot.count;
    if (slot.kind == PollKind::Source) continue;
    bool ready = n > 0 && p->revents != 0;
    if (!ready) continue;
    switch (slot.kind) {
      case PollKind::Signal: signals = true; break;
      case PollKind::Report: read_report(now); break;
      case PollKind::Output: slot.child->read_output(*sink_, kReadPerRound); break;
      case PollKind::Probe:
        if (slot.child->probe.on_writable() == PortProbe::Result::Connected) mark_ready(*slot.child, now);
        else slot.child->probe_next_us = now + kProbeRetryUs;
        break;
      case PollKind::Notify: on_notify(*slot.child, now); break;
      case PollKind::Source: break;
    }
  }
  if (signals) on_signals(now);
  // Every round, not only after a SIGCHLD: the signal is process-directed, and the kernel may give
  // it to any thread that does not block it, where its default action discards it. A process with
  // a thread we did not create (a library's pool, as in the unit-test binary) would otherwise miss
  // an exit for good and wait on a zombie. The SIGCHLD stays in the signalfd as the prompt wake-up;
  // without it, the child's output pipe closing or the next timer (at most a second) wakes us.
  reap(now);
  // The sources last: a status request then sees the exits just reaped.
  i = 0;
  for (const PollSlot& slot : slots_) {
    if (slot.kind == PollKind::Source) slot.source->on_poll(fds_.data() + i, slot.count, *this);
    i += slot.count;
  }
}

void Supervisor::on_signals(int64_t now) {
  signalfd_siginfo info;
  for (;;) {
    ssize_t n = ::read(signal_fd_, &info, sizeof info);
    if (n != ssize_t(sizeof info)) break;  // EAGAIN: all read
    int sig = int(info.ssi_signo);
    if (sig == SIGCHLD) {
      // Only a wake-up: poll_once() reaps every round.
    } else if (!stopping_) {
      log_line(fmt::format("{}: stopping everything (again to kill at once)", signal_name(sig)));
      begin_shutdown(now);
      first_stop_signal_us_ = now;
    } else if (now - first_stop_signal_us_ < kRepeatedSignalUs) {
      // The same request twice (timeout(1), for one, signals its child and then its group):
      // not a person's second Ctrl-C.
    } else {
      log_line(fmt::format("{} while stopping: killing everything now", signal_name(sig)));
      kill_everything();
    }
  }
}

void Supervisor::reap(int64_t now) {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) break;
    if (Child* c = find(pid)) on_exit(*c, status, now);
    // Anything else was a grandchild whose parent ended before it (we are its subreaper), or the
    // orphan guard: reaped, nothing more to do.
  }
}

void Supervisor::read_report(int64_t now) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(report_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {  // the hub closed it (it is ending)
      ::close(report_fd_);
      report_fd_ = -1;
      return;
    }
    bool was_reporting = report_->reporting();
    std::string problem = report_->feed(std::string_view(buf, size_t(n)), now);
    if (!problem.empty() && !report_warned_) {
      report_warned_ = true;  // once: a hub that writes something else would flood the terminal
      log_line("warning: " + problem + " (ignored)");
    }
    if (!was_reporting && report_->reporting()) hub_reporting_since_us_ = now;
  }
}

// ------------------------------------------------------------------ starting

bool Supervisor::depends_on(const Child& dependent, const Child& dependency) const {
  const auto& after = dependent.spec().after;
  return std::find(after.begin(), after.end(), dependency.name()) != after.end();
}

void Supervisor::start_waiting(int64_t now) {
  if (hub_ && !hub_->ready_for_dependents && !ended_state(hub_->state)) return;
  for (auto& c : children_) {
    if (c->state != ProcessState::Waiting) continue;
    bool ready = true;
    for (auto& name : c->spec().after) {
      Child* d = find(name);
      if (d && !d->ready_for_dependents && !ended_state(d->state)) ready = false;
    }
    if (ready) start_child(*c, now);
  }
}

void Supervisor::start_child(Child& c, int64_t now) {
  const ProcessSpec& spec = c.spec();
  SpawnRequest request;
  request.supervisor_pid = ::getpid();
  request.cwd = spec.cwd;
  request.cpus = spec.cpus;
  request.nice = spec.nice;

  std::vector<std::string> set;
  if (hub_ && !options_.hub_address.empty()) set.push_back(std::string("RVKIT_HUB=") + options_.hub_address);
  for (auto& [name, value] : spec.env) set.push_back(name + "=" + value);

  std::string path;
  for (auto& entry : set)
    if (entry.rfind("PATH=", 0) == 0) path = entry.substr(5);
  if (path.empty() && std::getenv("PATH")) path = std::getenv("PATH");
  // The rvkit tools beside the hub binary come first for `sh` lines too, as they do for cmd[0]:
  // `sh = "exec cap ..."` runs the build's or the install's cap, whatever PATH says.
  if (!options_.binary_dir.empty()) {
    set.erase(std::remove_if(set.begin(), set.end(), [](const std::string& e) { return e.rfind("PATH=", 0) == 0; }),
              set.end());
    set.push_back("PATH=" + options_.binary_dir + (path.empty() ? "" : ":" + path));
  }

  if (!spec.sh.empty()) {
    request.program = "/bin/sh";
    request.argv = {"sh", "-c", spec.sh};
  } else if (c.is_hub()) {
    request.program = spec.cmd.at(0);
    request.argv = spec.cmd;
    request.argv[0] = kHubName;
  } else {
    request.argv = spec.cmd;
    auto program = spec.cmd.empty() ? std::nullopt : find_program(spec.cmd[0], options_.binary_dir, path);
    if (!program) {
      std::string what = spec.cmd.empty() ? "" : spec.cmd[0];
      return cannot_start(c, fmt::format("cannot run '{}': No such file or directory", what), now);
    }
    request.program = *program;
  }

  try {
    c.notify = spec.notify ? std::make_unique<NotifySocket>(spec.name) : nullptr;
  } catch (const Error& e) {
    return cannot_start(c, e.what(), now);
  }
  if (c.notify) {
    set.push_back("NOTIFY_SOCKET=" + c.notify->address());
    if (spec.watchdog_s > 0) set.push_back(fmt::format("WATCHDOG_USEC={}", micros(spec.watchdog_s)));
  }
  request.env = make_environment(kNotForChildren, set);

  int report_w = -1;
  if (c.is_hub()) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) == 0) {
      if (report_fd_ >= 0) ::close(report_fd_);
      report_fd_ = p[0];
      ::fcntl(report_fd_, F_SETFL, ::fcntl(report_fd_, F_GETFL) | O_NONBLOCK);
      // The hub makes its end non-blocking itself: a supervisor that falls behind costs it lines,
      // never a wait.
      report_w = p[1];
      request.report_fd = report_w;
    }
    report_->reset();
    hub_reporting_since_us_ = 0;
  }

  if (options_.verbose) say(c, "running " + command_line(request.argv));
  Spawned s = spawn_process(request);
  if (report_w >= 0) ::close(report_w);
  if (!s.error.empty()) return cannot_start(c, s.error, now);
  guard_->add(s.pid);
  c.started(s.pid, s.output_fd, now);
  c.tracker.started(seconds(now));
  c.last_watchdog_us = now;
  c.after_stop = AfterStop::None;
  c.stop_signal = 0;
  say(c, fmt::format("started (pid {})", s.pid));
  bool checked = c.is_hub() || spec.ready.kind != Readiness::Kind::Started;
  if (checked) {
    c.state = ProcessState::Starting;
    double timeout = c.is_hub() ? options_.hub_ready_timeout_s : spec.ready.timeout_s;
    c.ready_deadline_us = now + micros(timeout);
    c.probe_next_us = now;
    check_readiness(c, now);
  } else {
    c.state = ProcessState::Running;
    c.ready_for_dependents = true;
  }
}

// ------------------------------------------------------------------ readiness

void Supervisor::check_readiness(Child& c, int64_t now) {
  const Readiness& r = c.spec().ready;
  if (c.is_hub()) {
    if (report_->reporting()) return mark_ready(c, now);
  } else if (r.kind == Readiness::Kind::Topic) {
    auto newest = report_->newest_message_us(r.topic);
    if (newest && *newest >= c.started_us) return mark_ready(c, now);
  } else if (r.kind == Readiness::Kind::Port && c.probe.fd() < 0) {
    if (now >= c.probe_next_us) {
      PortProbe::Result result = c.probe.start(r.host, r.port);
      if (result == PortProbe::Result::Connected) return mark_ready(c, now);
      if (result == PortProbe::Result::Failed) c.probe_next_us = now + kProbeRetryUs;
    }
    if (c.probe.fd() < 0) wake_at(c.probe_next_us);
  }
  if (now >= c.ready_deadline_us) {
    std::string what;
    if (c.is_hub()) what = "no report";
    else if (r.kind == Readiness::Kind::Topic) what = "no message on " + r.topic;
    else if (r.kind == Readiness::Kind::Port) what = fmt::format("{}:{} does not answer", r.host, r.port);
    else what = "no READY=1";
    double timeout = c.is_hub() ? options_.hub_ready_timeout_s : r.timeout_s;
    say(c, fmt::format("warning: not ready after {:g} s ({}); starting what waits for it", timeout, what));
    c.probe.close();
    c.state = ProcessState::Running;
    c.ready_for_dependents = true;
    return;
  }
  wake_at(c.ready_deadline_us);
}

void Supervisor::mark_ready(Child& c, int64_t now) {
  if (c.state != ProcessState::Starting) return;
  c.probe.close();
  c.state = ProcessState::Ready;
  c.last_watchdog_us = std::max(c.last_watchdog_us, now);
  if (!c.ready_for_dependents || options_.verbose)
    say(c, fmt::format("ready after {:.1f} s", seconds(now - c.started_us)));
  c.ready_for_dependents = true;
}

void Supervisor::on_notify(Child& c, int64_t now) {
  if (!c.notify) return;
  NotifyMessage m = c.notify->receive();
  if (!m.status.empty()) c.notify_status = m.status;
  if (m.watchdog) c.last_watchdog_us = now;
  if (m.ready && c.spec().ready.kind == Readiness::Kind::Notify) mark_ready(c, now);
}

// ------------------------------------------------------------------ liveness

void Supervisor::check_stalls(Child& c, int64_t now) {
  if (!hub_ || c.is_hub() || c.spec().stalls.empty() || !c.running()) return;
  if (c.state != ProcessState::Running && c.state != ProcessState::Ready) return;
  // Without fresh reports from the hub, silence proves nothing.
  if (!report_->reporting() || now - report_->last_report_us() > kReportStaleUs) return;
  int64_t base = std::max(c.started_us, hub_reporting_since_us_) + kStallGraceUs;
  for (const Stall& stall : c.spec().stalls) {
    int64_t last = std::max(report_->newest_message_us(stall.topic).value_or(0), base);
    int64_t deadline = last + micros(stall.seconds);
    if (now < deadline) {
      wake_at(deadline);
      continue;
    }
    c.reason = fmt::format("stalled: no {} for {:g} s", stall.topic, stall.seconds);
    say(c, c.reason + "; restarting");
    request_stop(c, AfterStop::RestartPolicy, now);
    return;
  }
}

void Supervisor::check_watchdog(Child& c, int64_t now) {
  const ProcessSpec& spec = c.spec();
  if (!spec.notify || spec.watchdog_s <= 0 || !c.running()) return;
  // As under systemd, the watchdog runs once the process is up: for ready = "notify", from READY=1
  // (until then its readiness timeout applies).
  if (c.state == ProcessState::Stopping || c.state == ProcessState::Starting) return;
  int64_t deadline = c.last_watchdog_us + micros(spec.watchdog_s);
  if (now < deadline) return wake_at(deadline);
  c.reason = fmt::format("watchdog: no WATCHDOG=1 for {:g} s", spec.watchdog_s);
  say(c, c.reason + "; restarting");
  request_stop(c, AfterStop::RestartPolicy, now);
}

void Supervisor::check_hub_report(int64_t now) {
  if (!hub_ || !hub_->running() || hub_->state == ProcessState::Stopping || !report_->reporting()) return;
  int64_t deadline = report_->last_report_us() + kReportDeadUs;
  if (now < deadline) return wake_at(deadline);
  hub_->reason = fmt::format("stalled: no report for {:g} s", seconds(kReportDeadUs));
  say(*hub_, hub_->reason + "; restarting");
  request_stop(*hub_, AfterStop::RestartPolicy, now);
}

// ------------------------------------------------------------------ ending

void Supervisor::on_exit(Child& c, int status, int64_t now) {
  guard_->remove(c.ended(*sink_));
  ExitStatus how = exit_status_from_wait(status);
  c.last_exit = to_string(how);
  if (c.is_hub()) {
    if (report_fd_ >= 0) read_report(now);
    report_->reset();
    hub_reporting_since_us_ = 0;
  }
  AfterStop after = c.after_stop;
  c.after_stop = AfterStop::None;
  c.stop_signal = 0;
  if (stopping_ || after == AfterStop::Stay) {
    c.tracker.stop_requested();
    c.tracker.exited(seconds(now), how);
    c.state = ProcessState::Stopped;
    c.last_exit_failed = false;
    say(c, fmt::format("stopped ({})", c.last_exit));
    return;
  }
  say(c, fmt::format("exited ({})", c.last_exit));
  if (after == AfterStop::None) c.reason = c.last_exit;
  // Stopped for a stall or a late watchdog: a failure, however the process then exited.
  if (after == AfterStop::RestartPolicy && how.success()) how = ExitStatus{1, 0};
  decide(c, how, now);
}

void Supervisor::cannot_start(Child& c, const std::string& error, int64_t now) {
  say(c, error);
  c.last_exit = error;
  c.reason = error;
  c.notify.reset();
  decide(c, ExitStatus{127, 0}, now);  // 127: what a shell says of a command it cannot run
}

void Supervisor::decide(Child& c, const ExitStatus& how, int64_t now) {
  RestartDecision d = c.tracker.exited(seconds(now), how);
  c.last_exit_failed = !how.success();
  switch (d.action) {
    case RestartDecision::Action::Restart:
      c.state = ProcessState::Backoff;
      c.restart_at_us = now + micros(d.delay_s);
      say(c, fmt::format("restarting in {:g} s ({})", d.delay_s, c.reason.empty() ? c.last_exit : c.reason));
      wake_at(c.restart_at_us);
      return;
    case RestartDecision::Action::Stop:
      if (how.success()) {
        c.state = ProcessState::Stopped;
        return;
      }
      c.state = ProcessState::Failed;
      c.reason = fmt::format("failed: {} (restart = {})", c.last_exit, to_string(c.spec().restart));
      say(c, c.reason);
      return;
    case RestartDecision::Action::Fail: {
      c.state = ProcessState::Failed;
      // The tracker names the exit status; a start that failed has a better description.
      c.reason = d.reason;
      std::string tail = "then " + to_string(how);
      if (c.reason.size() >= tail.size() && c.reason.compare(c.reason.size() - tail.size(), tail.size(), tail) == 0)
        c.reason.replace(c.reason.size() - tail.size(), tail.size(), "then " + c.last_exit);
      say(c, c.reason + "; not restarted");
      return;
    }
  }
}

void Supervisor::request_stop(Child& c, AfterStop after, int64_t now) {
  c.after_stop = after;
  if (after == AfterStop::Stay) c.tracker.stop_requested();
  if (after == AfterStop::RestartNow) c.tracker.restart_requested();
  if (!c.running()) return;
  if (c.state == ProcessState::Stopping) return;  // already on its way (the signals escalate)
  c.state = ProcessState::Stopping;
  c.stop_signal = SIGINT;
  c.stop_next_us = now + micros(c.spec().stop_timeout_s);
  if (options_.verbose) say(c, "sending SIGINT");
  c.signal_group(SIGINT);
  wake_at(c.stop_next_us);
}

void Supervisor::escalate_stop(Child& c, int64_t now) {
  if (c.state != ProcessState::Stopping || !c.running() || c.stop_signal == SIGKILL) return;
  if (now < c.stop_next_us) return wake_at(c.stop_next_us);
  int next = c.stop_signal == SIGINT ? SIGTERM : SIGKILL;
  say(c, fmt::format("still running {:g} s after {}: sending {}", c.spec().stop_timeout_s, signal_name(c.stop_signal),
                     signal_name(next)));
  c.stop_signal = next;
  c.signal_group(next);
  c.stop_next_us = now + micros(c.spec().stop_timeout_s);
  if (next != SIGKILL) wake_at(c.stop_next_us);
}

void Supervisor::begin_shutdown(int64_t now) {
  if (stopping_) return;
  stopping_ = true;
  systemd_->stopping();
  for (Child* c : all())
    if (!c->running() && !ended_state(c->state)) c->state = ProcessState::Stopped;  // Waiting, Backoff
  advance_shutdown(now);
}

void Supervisor::advance_shutdown(int64_t now) {
  // A process is stopped once nothing that runs `after` it is still running: dependents first.
  bool any_process_running = false;
  for (auto& c : children_) {
    if (!c->running()) continue;
    any_process_running = true;
    if (c->state == ProcessState::Stopping) {
      c->after_stop = AfterStop::Stay;  // a restart in progress becomes a stop
      c->tracker.stop_requested();
      continue;
    }
    bool dependent_running = std::any_of(children_.begin(), children_.end(), [&](auto& d) {
      return d.get() != c.get() && d->running() && depends_on(*d, *c);
    });
    if (!dependent_running) request_stop(*c, AfterStop::Stay, now);
  }
  // The hub goes last: the others may still publish their last messages through it.
  if (!any_process_running && hub_ && hub_->running() && hub_->state != ProcessState::Stopping)
    request_stop(*hub_, AfterStop::Stay, now);
}

void Supervisor::kill_everything() {
  for (Child* c : all())
    if (c->running()) {
      c->state = ProcessState::Stopping;
      c->after_stop = AfterStop::Stay;
      c->stop_signal = SIGKILL;
      c->signal_group(SIGKILL);
    }
}

bool Supervisor::finished() const {
  if (!stopping_) return false;
  for (auto& c : children_)
    if (c->running()) return false;
  return !(hub_ && hub_->running());
}

int Supervisor::summary() {
  std::vector<Child*> children = all();
  size_t width = 4;
  for (Child* c : children) width = std::max(width, c->name().size());
  log_line(fmt::format("{:<{}}  {:>8}  {}", "NAME", width, "RESTARTS", "LAST EXIT"));
  bool failed = false;
  for (Child* c : children) {
    std::string last = c->last_exit.empty() ? "-" : c->last_exit;
    if (c->state == ProcessState::Failed) {
      failed = true;
      last += " (failed)";
    }
    log_line(fmt::format("{:<{}}  {:>8}  {}", c->name(), width, c->tracker.restarts(), last));
  }
  return failed ? 1 : 0;
}

// ------------------------------------------------------------------ Control

std::vector<ProcessStatus> Supervisor::status() {
  int64_t now = mono_us();
  std::vector<ProcessStatus> out;
  for (Child* c : all()) {
    ProcessStatus s;
    s.name = c->name();
    s.state = c->state;
    s.pid = c->running() ? int(c->pid()) : 0;
    s.uptime_s = c->running() ? seconds(now - c->started_us) : 0;
    s.restarts = c->tracker.restarts();
    if (c->running()) {
      GroupUsage u = usage_->usage(c->pid());
      s.cpu_percent = u.cpu_percent;
      s.rss_bytes = u.rss_bytes;
    }
    s.last_exit = c->last_exit;
    s.reason = c->reason;
    std::optional<int64_t> newest;
    auto consider = [&](const std::string& topic) {
      auto t = report_->newest_message_us(topic);
      if (t && (!newest || *t > *newest)) newest = t;
    };
    for (auto& t : c->spec().topics) consider(t);
    for (auto& st : c->spec().stalls) consider(st.topic);
    if (newest) s.last_message_age_s = seconds(std::max<int64_t>(now - *newest, 0));
    out.push_back(std::move(s));
  }
  return out;
}

std::string Supervisor::restart(const std::string& name) {
  Child* c = find(name);
  if (!c) return fmt::format("no process named '{}'", name);
  if (stopping_) return "hub run is stopping";
  int64_t now = mono_us();
  c->stopped_by_control = false;
  c->reason = "restart requested";
  if (c->running()) {
    request_stop(*c, AfterStop::RestartNow, now);
  } else {
    c->tracker.restart_requested();  // a failed process may start again
    start_child(*c, now);
  }
  return "";
}

std::string Supervisor::stop(const std::string& name) {
  int64_t now = mono_us();
  if (name.empty()) {
    if (!stopping_) log_line("stop requested: stopping everything");
    begin_shutdown(now);
    return "";
  }
  Child* c = find(name);
  if (!c) return fmt::format("no process named '{}'", name);
  c->stopped_by_control = true;
  if (c->running()) {
    request_stop(*c, AfterStop::Stay, now);
  } else if (!ended_state(c->state)) {
    c->state = ProcessState::Stopped;
  }
  return "";
}

std::vector<std::string> Supervisor::logs(const std::string& name, size_t lines, std::string& error) {
  Child* c = find(name);
  if (!c) {
    error = fmt::format("no process named '{}'", name);
    return {};
  }
  error.clear();
  return c->logs(lines == 0 ? SIZE_MAX : lines);  // 0: all that are kept
}

uint64_t Supervisor::log_total(const std::string& name) {
  Child* c = find(name);
  return c ? c->log_total() : 0;
}

std::vector<SaveSignal> Supervisor::save(const std::string& name, std::string& error) {
  error.clear();
  std::vector<Child*> targets;
  if (!name.empty()) {
    Child* c = find(name);
    if (!c) {
      error = fmt::format("no process named '{}'", name);
      return {};
    }
    if (c->is_hub() || launched_program(c->spec()) != "rec") {
      error = fmt::format("'{}' does not run rec itself (cmd = [\"rec\", ...] or sh = \"exec rec ...\"): "
                          "its pid is not rec's",
                          name);
      return {};
    }
    if (!c->running() || c->state == ProcessState::Stopping) {
      error = fmt::format("'{}' is not running ({})", name, to_string(c->state));
      return {};
    }
    targets.push_back(c);
  } else {
    for (auto& c : children_)
      if (launched_program(c->spec()) == "rec" && c->running() && c->state != ProcessState::Stopping)
        targets.push_back(c.get());
    if (targets.empty()) {
      error = "no rec is running under this hub run (a process with cmd = [\"rec\", ...] or sh = \"exec rec ...\")";
      return {};
    }
  }
  for (Child* c : targets)
    if (!catches_signal(c->pid(), SIGUSR1)) {
      error = fmt::format("'{}' does not catch SIGUSR1 yet (still starting?): nothing signalled, try again", c->name());
      return {};
    }
  std::vector<SaveSignal> out;
  for (Child* c : targets) {
    // Only the pid: SIGUSR1 would end whatever else is in its process group.
    if (::kill(c->pid(), SIGUSR1) != 0) {
      say(*c, fmt::format("cannot send SIGUSR1 (save): {}", std::strerror(errno)));
      continue;
    }
    say(*c, "save requested: SIGUSR1 sent");
    out.push_back(SaveSignal{c->name(), int(c->pid()), c->log_total()});
  }
  if (out.empty()) error = "could not signal any rec";
  return out;
}

}  // namespace rvkit::supervisor

// The supervisor's event loop (supervisor.hpp) on launch files built in code, without the hub
// ([hub].enabled = false; the hub's report pipe is tested in tests/pipeline/hub_run*.sh): what
// its lines say, restarts and limits, readiness, stopping in dependency order with escalation, and
// the Control requests.
#include "test_util.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "rvkit/core/clock.hpp"
#include "rvkit/supervisor/supervisor.hpp"

using namespace rvkit::supervisor;

namespace {

// Collects what is written to stderr (the supervisor's lines and its children's) while it lives.
class CapturedStderr {
 public:
  CapturedStderr() : path_(dir_.file("stderr")) {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    saved_ = ::dup(2);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~CapturedStderr() { restore(); }
  std::string text() {
    restore();
    return testutil::read_file(path_);
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  testutil::TempDir dir_;
  std::string path_;
  int saved_ = -1;
};

ProcessSpec sh(const std::string& name, const std::string& command) {
  ProcessSpec p;
  p.name = name;
  p.sh = command;
  p.restart = RestartPolicy::Never;
  p.backoff.first_s = 0.01;
  p.stop_timeout_s = 0.3;
  return p;
}

LaunchFile launch(std::vector<ProcessSpec> processes) {
  LaunchFile f;
  f.path = "test.toml";
  f.hub.enabled = false;
  f.processes = std::move(processes);
  return f;
}

struct Run {
  int status = -1;
  std::string text;
  double seconds = 0;
};

Run run(LaunchFile f, std::vector<PollSource*> sources = {}) {
  Run r;
  auto start = std::chrono::steady_clock::now();
  {
    CapturedStderr err;
    SupervisorOptions options;
    Supervisor s(std::move(f), options);
    for (PollSource* p : sources) s.add_source(*p);
    r.status = s.run();
    r.text = err.text();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

size_t position(const std::string& text, const std::string& what) {
  size_t p = text.find(what);
  INFO("looking for '" << what << "' in:\n" << text);
  REQUIRE(p != std::string::npos);
  return p;
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// The process exists and is not a zombie (a grandchild the supervisor, as subreaper, may not have
// reaped before run() returned).
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

}  // namespace

TEST_CASE("supervisor loop: lines prefixed and in order, a partial last line flushed, then the summary") {
  Run r = run(launch({sh("greeter", "echo one; echo two >&2; echo three; printf partial"),
                      sh("b", "echo from-b")}));
  INFO(r.text);
  CHECK(r.status == 0);
  size_t started = position(r.text, "rvkit: greeter: started (pid ");
  size_t one = position(r.text, "greeter | one\n");
  size_t two = position(r.text, "greeter | two\n");
  size_t three = position(r.text, "greeter | three\n");
  size_t partial = position(r.text, "greeter | partial\n");
  size_t ended = position(r.text, "rvkit: greeter: exited (exit 0)");
  CHECK(started < one);
  CHECK(one < two);
  CHECK(two < three);
  CHECK(three < partial);
  CHECK(partial < ended);
  position(r.text, "b       | from-b\n");  // padded to the longest name
  size_t header = position(r.text, "rvkit: NAME     RESTARTS  LAST EXIT\n");
  CHECK(header > ended);
  position(r.text, "rvkit: greeter         0  exit 0\n");
}

TEST_CASE("supervisor loop: a crash loop fails at its limit while the others keep running") {
  ProcessSpec crash = sh("crash", "echo crashing; exit 3");
  crash.restart = RestartPolicy::Always;
  crash.limit.restarts = 3;
  ProcessSpec steady = sh("steady", "sleep 30");
  bool steady_running_after_failure = false;
  // Once crash has failed, look at steady, then stop everything.
  struct WhenFailed : PollSource {
    bool* seen;
    bool done = false;
    explicit WhenFailed(bool* s) : seen(s) {}
    void add_fds(std::vector<pollfd>&) override {}
    int64_t wake_at_us() override { return rvkit::mono_us() + 20000; }
    void on_poll(const pollfd*, size_t, Control& c) override {
      if (done) return;
      auto st = c.status();
      if (st.size() == 2 && st[0].state == ProcessState::Failed) {
        done = true;
        *seen = st[1].state == ProcessState::Running && st[1].pid > 0;
        c.stop("");
      }
    }
  } when_failed(&steady_running_after_failure);
  Run r = run(launch({crash, steady}), {&when_failed});
  INFO(r.text);
  CHECK(r.status == 1);
  CHECK(steady_running_after_failure);
  CHECK(count(r.text, "crash  | crashing\n") == 4);  // the first run and 3 restarts
  position(r.text, "rvkit: crash: restarting in 0.01 s (exit 3)");
  position(r.text, "rvkit: crash: restarting in 0.02 s (exit 3)");
  position(r.text, "rvkit: crash: failed: 3 restarts within 60 s, then exit 3; not restarted\n");
  position(r.text, "rvkit: crash          3  exit 3 (failed)\n");
  position(r.text, "rvkit: steady: stopped (signal 2 (SIGINT))");
}

TEST_CASE("supervisor loop: a command that cannot run is one clear line and a failure") {
  ProcessSpec missing;
  missing.name = "detect";
  missing.cmd = {"detectt", "--flag"};
  missing.restart = RestartPolicy::OnFailure;
  missing.limit.restarts = 1;
  missing.backoff.first_s = 0.01;
  ProcessSpec bad_cwd = sh("elsewhere", "true");
  bad_cwd.cwd = "/nonexistent-dir";
  Run r = run(launch({missing, bad_cwd}));
  INFO(r.text);
  CHECK(r.status == 1);
  CHECK(count(r.text, "rvkit: detect: cannot run 'detectt': No such file or directory\n") == 2);
  position(r.text, "rvkit: detect: failed: 1 restarts within 60 s, then cannot run 'detectt': No such file or directory; not restarted\n");
  position(r.text, "rvkit: elsewhere: cannot change to directory '/nonexistent-dir': No such file or directory\n");
  position(r.text, "rvkit: elsewhere: failed: cannot change to directory '/nonexistent-dir': No such file or directory (restart = never)\n");
}

TEST_CASE("supervisor loop: restart = on-failure restarts a failure, not a clean exit") {
  testutil::TempDir dir;
  std::string marker = dir.file("ran-once");
  // Fails the first time, succeeds the second.
  ProcessSpec flaky = sh("flaky", "if [ -e " + marker + " ]; then echo second; exit 0; fi; touch " + marker +
                                      "; echo first; exit 1");
  flaky.restart = RestartPolicy::OnFailure;
  Run r = run(launch({flaky}));
  INFO(r.text);
  CHECK(r.status == 0);
  CHECK(position(r.text, "flaky | first") < position(r.text, "flaky | second"));
  CHECK(count(r.text, "rvkit: flaky: started") == 2);
  position(r.text, "rvkit: flaky         1  exit 0\n");
}

TEST_CASE("supervisor loop: `after` waits for readiness: a TCP port, a notify READY=1") {
  int port = 0;
  {
    // A free port, found by binding port 0.
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    ::close(s);
  }
  ProcessSpec server = sh("server", "sleep 0.3; echo listening; exec python3 -c \"import socket,time; s=socket.socket(); "
                                    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', " +
                                        std::to_string(port) + ")); s.listen(); time.sleep(30)\"");
  server.ready.kind = Readiness::Kind::Port;
  server.ready.port = port;
  server.ready.timeout_s = 20;
  ProcessSpec notifier = sh("notifier", "sleep 0.2; echo notifying; exec python3 -c \"import os,socket; "
                                        "a=os.environ['NOTIFY_SOCKET']; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); "
                                        "s.sendto(b'READY=1', '\\0'+a[1:]); import time; time.sleep(30)\"");
  notifier.notify = true;
  notifier.ready.kind = Readiness::Kind::Notify;
  notifier.ready.timeout_s = 20;
  ProcessSpec client = sh("client", "echo client-started; sleep 30");
  client.after = {"server", "notifier"};
  struct StopWhenClientRuns : PollSource {
    void add_fds(std::vector<pollfd>&) override {}
    int64_t wake_at_us() override { return rvkit::mono_us() + 20000; }
    void on_poll(const pollfd*, size_t, Control& c) override {
      auto st = c.status();
      if (st.size() == 3 && st[2].pid > 0 && !stopped) {
        stopped = true;
        CHECK(st[0].state == ProcessState::Ready);
        CHECK(st[1].state == ProcessState::Ready);
        c.stop("");
      }
    }
    bool stopped = false;
  } stopper;
  Run r = run(launch({server, notifier, client}), {&stopper});
  INFO(r.text);
  CHECK(r.status == 0);
  size_t server_ready = position(r.text, "rvkit: server: ready after");
  size_t notifier_ready = position(r.text, "rvkit: notifier: ready after");
  size_t client_started = position(r.text, "rvkit: client: started");
  CHECK(position(r.text, "server   | listening") < server_ready);
  CHECK(position(r.text, "notifier | notifying") < notifier_ready);
  CHECK(server_ready < client_started);
  CHECK(notifier_ready < client_started);
  // Stopping: the dependent first.
  size_t client_stopped = position(r.text, "rvkit: client: stopped");
  CHECK(client_stopped < position(r.text, "rvkit: server: stopped"));
  CHECK(client_stopped < position(r.text, "rvkit: notifier: stopped"));
}

TEST_CASE("supervisor loop: a readiness that never comes times out with a warning, the dependents start") {
  ProcessSpec silent = sh("silent", "sleep 30");
  silent.notify = true;
  silent.ready.kind = Readiness::Kind::Notify;
  silent.ready.timeout_s = 0.3;
  ProcessSpec dependent = sh("dependent", "echo started");
  dependent.after = {"silent"};
  struct StopAfterDependent : PollSource {
    void add_fds(std::vector<pollfd>&) override {}
    int64_t wake_at_us() override { return rvkit::mono_us() + 20000; }
    void on_poll(const pollfd*, size_t, Control& c) override {
      auto st = c.status();
      if (!stopped && st[1].state == ProcessState::Stopped) {
        stopped = true;
        c.stop("");
      }
    }
    bool stopped = false;
  } stopper;
  Run r = run(launch({silent, dependent}), {&stopper});
  INFO(r.text);
  CHECK(r.status == 0);
  CHECK(position(r.text, "rvkit: silent: warning: not ready after 0.3 s (no READY=1); starting what waits for it") <
        position(r.text, "dependent | started"));
}

TEST_CASE("supervisor loop: SIGTERM after the stop timeout, SIGKILL after it again, grandchildren too") {
  testutil::TempDir dir;
  std::string pids = dir.file("pids");
  // The shell ignores SIGINT and SIGTERM, and so do the commands it starts.
  ProcessSpec stubborn = sh("stubborn", "trap '' INT TERM; sleep 30 & echo $! > " + pids + "; sleep 31 & echo $! >> " +
                                            pids + "; echo up; wait");
  stubborn.stop_timeout_s = 0.3;
  struct StopWhenUp : PollSource {
    std::string file;
    bool stopped = false;
    void add_fds(std::vector<pollfd>&) override {}
    int64_t wake_at_us() override { return rvkit::mono_us() + 20000; }
    void on_poll(const pollfd*, size_t, Control& c) override {
      std::string err;
      if (!stopped && !c.logs("stubborn", 10, err).empty()) {
        stopped = true;
        c.stop("");
      }
    }
  } stopper;
  Run r = run(launch({stubborn}), {&stopper});
  INFO(r.text);
  CHECK(r.status == 0);
  CHECK(position(r.text, "rvkit: stubborn: still running 0.3 s after SIGINT: sending SIGTERM") <
        position(r.text, "rvkit: stubborn: still running 0.3 s after SIGTERM: sending SIGKILL"));
  position(r.text, "rvkit: stubborn: stopped (signal 9 (SIGKILL))");
  std::ifstream in(pids);
  int pid, n = 0;
  while (in >> pid) {
    ++n;
    CHECK(testutil::eventually([&] { return !running(pid); }, 2.0));
  }
  CHECK(n == 2);
}

TEST_CASE("supervisor loop: Control: status, logs, restart and stop of one process") {
  ProcessSpec worker = sh("worker", "echo run; sleep 30");
  ProcessSpec other = sh("other", "sleep 30");
  std::vector<std::string> logs_seen;
  std::string unknown_error, restart_error;
  int phase = 0;
  struct Script : PollSource {
    std::function<void(Control&)> step;
    void add_fds(std::vector<pollfd>&) override {}
    int64_t wake_at_us() override { return rvkit::mono_us() + 20000; }
    void on_poll(const pollfd*, size_t, Control& c) override { step(c); }
  } script;
  pid_t first_pid = 0;
  script.step = [&](Control& c) {
    auto st = c.status();
    std::string err;
    if (phase == 0 && st[0].pid > 0 && c.logs("worker", 5, err).size() == 1) {
      first_pid = st[0].pid;
      CHECK(st[0].state == ProcessState::Running);
      CHECK(c.restart("nope") == "no process named 'nope'");
      c.logs("nope", 5, unknown_error);
      restart_error = c.restart("worker");
      phase = 1;
    } else if (phase == 1 && st[0].pid > 0 && st[0].pid != first_pid && c.logs("worker", 5, err).size() == 2) {
      CHECK(st[0].restarts == 1);
      logs_seen = c.logs("worker", 5, err);
      CHECK(c.stop("worker") == "");
      phase = 2;
    } else if (phase == 2 && st[0].state == ProcessState::Stopped) {
      CHECK(st[1].state == ProcessState::Running);  // stopping one leaves the others, and hub run, going
      c.stop("");
      phase = 3;
    }
  };
  Run r = run(launch({worker, other}), {&script});
  INFO(r.text);
  CHECK(phase == 3);
  CHECK(r.status == 0);
  CHECK(unknown_error == "no process named 'nope'");
  CHECK(restart_error == "");
  CHECK(logs_seen == std::vector<std::string>{"run", "run"});
  CHECK(count(r.text, "rvkit: worker: started") == 2);
}

TEST_CASE("supervisor loop: the environment and the hub address reach the processes") {
  ProcessSpec p = sh("env", "echo hub=${RVKIT_HUB:-unset} extra=$EXTRA notify=${NOTIFY_SOCKET:-none}");
  p.env = {{"EXTRA", "yes"}};
  ::setenv("NOTIFY_SOCKET", "/run/systemd/notify-of-the-supervisor", 1);
  Run r = run(launch({p}));
  ::unsetenv("NOTIFY_SOCKET");
  INFO(r.text);
  // Without the hub, RVKIT_HUB is left as it was; systemd's socket is the supervisor's own.
  position(r.text, "env | hub=unset extra=yes notify=none\n");
}

TEST_CASE("supervisor loop: a notify process whose WATCHDOG=1 is late is restarted, and counted") {
  // Ready at once, then one WATCHDOG=1, then silence: the watchdog (0.5 s) restarts it.
  ProcessSpec quiet = sh("quiet", "exec python3 -c \"import os,socket,time; a=os.environ['NOTIFY_SOCKET']; "
                                  "print('watchdog', os.environ.get('WATCHDOG_USEC'), flush=True); "
                                  "s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); "
                                  "s.sendto(b'READY=1', '\\0'+a[1:]); s.sendto(b'WATCHDOG=1', '\\0'+a[1:]); time.sleep(30)\"");
  quiet.notify = true;
  quiet.watchdog_s = 0.5;
  quiet.ready.kind = Readiness::Kind::Notify;
  quiet.restart = RestartPolicy::OnFailure;  // the watchdog's restart counts as a failure
  quiet.limit.restarts = 1;
  Run r = run(launch({quiet}));
  INFO(r.text);
  CHECK(r.status == 1);
  position(r.text, "quiet | watchdog 500000\n");
  CHECK(count(r.text, "rvkit: quiet: watchdog: no WATCHDOG=1 for 0.5 s; restarting\n") == 2);
  position(r.text, "rvkit: quiet: failed: 1 restarts within 60 s, then signal 2 (SIGINT); not restarted\n");
}

TEST_CASE("supervisor loop: under systemd, READY=1 once everything started, STOPPING=1 when it stops") {
  // Stands in for systemd: the socket NOTIFY_SOCKET names.
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string name = "rvkit-test-systemd-" + std::to_string(::getpid());
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name.size())) == 0);
  ::setenv("NOTIFY_SOCKET", ("@" + name).c_str(), 1);
  ::setenv("WATCHDOG_USEC", "200000", 1);
  ProcessSpec p = sh("p", "echo NOTIFY_SOCKET=${NOTIFY_SOCKET:-none} WATCHDOG_USEC=${WATCHDOG_USEC:-none}; sleep 30");
  struct StopLater : PollSource {
    int64_t at = rvkit::mono_us() + 600'000;
    bool done = false;
    void add_fds(std::vector<pollfd>&) override {}
    int64_t wake_at_us() override { return done ? 0 : at; }
    void on_poll(const pollfd*, size_t, Control& c) override {
      if (!done && rvkit::mono_us() >= at) {
        done = true;
        c.stop("");
      }
    }
  } stopper;
  Run r = run(launch({p}), {&stopper});
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  INFO(r.text);
  std::vector<std::string> got;
  char buf[512];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) got.emplace_back(buf, size_t(n));
  ::close(fd);
  REQUIRE(got.size() >= 3);
  CHECK(got.front().rfind("READY=1\nSTATUS=", 0) == 0);
  // STOPPING=1 once, when the stop begins; the watchdog pings may go on while the processes end (so a
  // slow stop is not taken for a hang), nothing else after it.
  auto stopping = std::find(got.begin(), got.end(), std::string("STOPPING=1"));
  REQUIRE(stopping != got.end());
  CHECK(std::count(got.begin(), got.end(), std::string("STOPPING=1")) == 1);
  CHECK(std::all_of(stopping + 1, got.end(), [](const std::string& m) { return m == "WATCHDOG=1"; }));
  CHECK(std::count(got.begin(), got.end(), std::string("WATCHDOG=1")) >= 2);  // every 0.1 s for 0.6 s
  // The process does not see the supervisor's socket.
  position(r.text, "p | NOTIFY_SOCKET=none WATCHDOG_USEC=none\n");
}

TEST_CASE("supervisor loop: hub restart gives a failed process a fresh start") {
  testutil::TempDir dir;
  std::string marker = dir.file("restarted");
  // Crashes until the marker exists, then stays up.
  ProcessSpec crash = sh("crash", "if [ -e " + marker + " ]; then echo up; exec sleep 30; fi; exit 3");
  crash.restart = RestartPolicy::Always;
  crash.limit.restarts = 1;
  int phase = 0;
  std::string error;
  struct Script : PollSource {
    std::function<void(Control&)> step;
    void add_fds(std::vector<pollfd>&) override {}
    int64_t wake_at_us() override { return rvkit::mono_us() + 20000; }
    void on_poll(const pollfd*, size_t, Control& c) override { step(c); }
  } script;
  script.step = [&](Control& c) {
    auto st = c.status();
    if (phase == 0 && st[0].state == ProcessState::Failed) {
      testutil::write_file(marker, "");
      error = c.restart("crash");
      phase = 1;
    } else if (phase == 1 && st[0].state == ProcessState::Running && c.logs("crash", 1, error) ==
                                                                        std::vector<std::string>{"up"}) {
      c.stop("");
      phase = 2;
    }
  };
  Run r = run(launch({crash}), {&script});
  INFO(r.text);
  CHECK(phase == 2);
  CHECK(error == "");
  CHECK(r.status == 0);  // it did not end failed
  CHECK(count(r.text, "rvkit: crash: started") == 3);
}

TEST_CASE("supervisor loop: an exit is seen though another thread of the process took the SIGCHLD") {
  // A thread with the default signal mask, idle on a condition variable as a library's pool worker
  // is (OpenCV's TBB workers, which the unit binary's earlier tests leave behind): the kernel gives
  // it the process-directed SIGCHLD, whose default action discards it, so the signalfd never sees
  // that exit. Blocking SIGCHLD in the thread that runs the supervisor cannot prevent this.
  std::mutex mu;
  std::condition_variable cv;
  bool quit = false;
  std::thread idle([&] {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return quit; });
  });
  // If an exit goes unseen for 3 s, a SIGCHLD sent to the supervisor's own thread (which blocks it,
  // so only its signalfd takes it) gets the run unstuck: the test then fails instead of hanging.
  struct Rescue : PollSource {
    int64_t at = 0;
    bool rescued = false;
    void add_fds(std::vector<pollfd>&) override {}
    int64_t wake_at_us() override { return rescued ? 0 : at; }
    void on_poll(const pollfd*, size_t, Control&) override {
      if (!rescued && rvkit::mono_us() >= at) {
        rescued = true;
        ::pthread_kill(::pthread_self(), SIGCHLD);
      }
    }
  };
  // The thread wins the race for the signal most of the time, not always: a few runs.
  for (int i = 0; i < 5; ++i) {
    CAPTURE(i);
    Rescue rescue;
    rescue.at = rvkit::mono_us() + 3'000'000;
    Run r = run(launch({sh("brief", "echo done")}), {&rescue});
    INFO(r.text);
    CHECK_FALSE(rescue.rescued);
    CHECK(r.status == 0);
    position(r.text, "rvkit: brief: exited (exit 0)");
    if (rescue.rescued) break;
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    quit = true;
  }
  cv.notify_all();
  idle.join();
}

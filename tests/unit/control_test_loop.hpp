// What the control socket's and the status page's tests share: a fake Control (the supervisor's
// side, with processes the test sets), a poll loop like the supervisor's that drives a server in
// the test's own thread, and raw non-blocking clients that the test steps by hand (so a test can
// be the slow, silent or malformed client while the loop keeps serving the others).
#pragma once
#include "test_util.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rvkit/core/clock.hpp"
#include "rvkit/supervisor/status.hpp"


namespace controltest {

namespace sv = rvkit::supervisor;

struct FakeControl : sv::Control {
  std::vector<sv::ProcessStatus> processes;
  std::map<std::string, std::vector<std::string>> log_lines;
  std::vector<std::string> calls;  // "restart NAME", "stop NAME", "logs NAME N"
  bool throw_on_status = false;

  FakeControl() {
    sv::ProcessStatus a;
    a.name = "detect-front";
    a.state = sv::ProcessState::Ready;
    a.pid = 4242;
    a.uptime_s = 75.5;
    a.restarts = 2;
    a.last_exit = "signal 9 (SIGKILL)";
    a.reason = "stalled: no detections/front/ for 2 s";
    a.cpu_percent = 37.5;
    a.rss_bytes = 48u << 20;
    a.last_message_age_s = 0.03;
    sv::ProcessStatus b;
    b.name = "ntpub";
    b.state = sv::ProcessState::Failed;
    b.restarts = 10;
    b.last_exit = "exit 1";
    processes = {a, b};
    log_lines["detect-front"] = {"line 1", "line 2", "line 3"};
  }
  bool known(const std::string& name) const {
    for (const auto& p : processes)
      if (p.name == name) return true;
    return false;
  }
  std::vector<sv::ProcessStatus> status() override {
    if (throw_on_status) throw std::runtime_error("the status broke");
    return processes;
  }
  std::string restart(const std::string& name) override {
    calls.push_back("restart " + name);
    return known(name) ? "" : "no process named '" + name + "'";
  }
  std::string stop(const std::string& name) override {
    calls.push_back("stop " + name);
    return name.empty() || known(name) ? "" : "no process named '" + name + "'";
  }
  std::vector<std::string> logs(const std::string& name, size_t lines, std::string& error) override {
    calls.push_back("logs " + name + " " + std::to_string(lines));
    if (!known(name)) {
      error = "no process named '" + name + "'";
      return {};
    }
    std::vector<std::string> all = log_lines[name];
    if (lines && lines < all.size()) all.erase(all.begin(), all.end() - long(lines));
    return all;
  }
  uint64_t log_total(const std::string& name) override { return known(name) ? log_lines[name].size() + 40 : 0; }
  // detect-front plays a rec; ntpub is not one.
  std::vector<sv::SaveSignal> save(const std::string& name, std::string& error) override {
    calls.push_back("save " + name);
    if (!name.empty() && !known(name)) {
      error = "no process named '" + name + "'";
      return {};
    }
    if (name == "ntpub") {
      error = "'ntpub' does not run rec itself";
      return {};
    }
    return {sv::SaveSignal{"detect-front", 4242, log_total("detect-front")}};
  }
};

// One turn of the supervisor's loop: poll the server's fds for up to `timeout_ms`, hand every
// ready one to on_ready, then expire idle clients.
template <class Server>
void turn(Server& server, sv::Control& control, int timeout_ms) {
  std::vector<pollfd> fds;
  server.add_pollfds(fds);
  int n = ::poll(fds.data(), fds.size(), timeout_ms);
  REQUIRE(n >= 0);
  for (const pollfd& p : fds)
    if (p.revents) REQUIRE(server.on_ready(p.fd, p.revents, control));
  server.expire(rvkit::mono_us());
}

// Turns the loop until `cond` holds, for at most `seconds`; returns its last answer.
template <class Server, class Cond>
bool turn_until(Server& server, sv::Control& control, Cond cond, double seconds = 5) {
  const int64_t end = rvkit::mono_us() + int64_t(seconds * 1e6);
  while (rvkit::mono_us() < end) {
    if (cond()) return true;
    turn(server, control, 10);
  }
  return cond();
}

// What a program run by run_while_serving() did.
struct Run {
  int status = -1;  // its exit status (-1: killed by a signal)
  std::string out, err;
};

// Runs a program (stdout and stderr into files) while this thread turns the server's loop, for at
// most `seconds`; the server's clients (curl, the hub tool, a browser) are other processes, started
// by testutil::spawn() so that none outlives a test binary that is killed.
template <class Server>
Run run_while_serving(Server& server, sv::Control& c, const std::vector<std::string>& args, double seconds = 30) {
  testutil::TempDir dir;
  const std::string out = dir.file("stdout");
  const pid_t pid = testutil::spawn(args, {"", out, dir.file("stderr")});
  int status = 0;
  bool ended = turn_until(server, c, [&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, seconds);
  if (!ended) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  REQUIRE_MESSAGE(ended, args[0] << " did not finish within " << seconds << " s");
  return Run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, testutil::read_file(out),
             testutil::read_file(dir.file("stderr"))};
}

// Sets an environment variable for one scope (the default control path reads XDG_RUNTIME_DIR;
// programs run by run_while_serving() inherit it).
struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old) ::setenv(name.c_str(), old->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
};

inline void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

inline int connect_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  REQUIRE_MESSAGE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0,
                  "connect " << path << ": " << std::strerror(errno));
  set_nonblocking(fd);
  return fd;
}

inline int connect_tcp(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE_MESSAGE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0,
                  "connect 127.0.0.1:" << port << ": " << std::strerror(errno));
  set_nonblocking(fd);
  return fd;
}

inline void send_all(int fd, const std::string& s) {
  size_t sent = 0;
  while (sent < s.size()) {
    ssize_t n = ::send(fd, s.data() + sent, s.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 100);
      continue;
    }
    REQUIRE_MESSAGE(n > 0, "send: " << std::strerror(errno));
    sent += size_t(n);
  }
}

// A raw client's side: what arrived so far, and whether the server hung up.
struct Peer {
  int fd;
  std::string got;
  bool closed = false;
  explicit Peer(int f) : fd(f) {}
  ~Peer() { ::close(fd); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  void read() {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        got.append(buf, size_t(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) closed = true;
      return;
    }
  }
  size_t lines() const {
    size_t n = 0;
    for (char c : got) n += c == '\n';
    return n;
  }
};

}  // namespace controltest

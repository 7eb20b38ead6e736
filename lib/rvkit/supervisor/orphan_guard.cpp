#include "rvkit/supervisor/orphan_guard.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rvkit::supervisor {

namespace {

constexpr int kMaxGroups = 4096;

// The guard process: system calls and fixed arrays only (it is a fork of the supervisor).
[[noreturn]] void guard_main(int fd) {
  ::setpgid(0, 0);  // not in the terminal's job: a kill of that group must not take the guard along
  ::prctl(PR_SET_NAME, "hub-guard");
  struct sigaction ign;
  std::memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ign, nullptr);
  ::sigaction(SIGTERM, &ign, nullptr);
  ::sigaction(SIGHUP, &ign, nullptr);
  ::sigaction(SIGPIPE, &ign, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int null_fd = ::open("/dev/null", O_RDWR);  // not the terminal: a pipe of the user's must not wait on us
  for (int i = 0; i <= 2; ++i) ::dup2(null_fd, i);
  if (null_fd > 3) ::close(null_fd);
  static pid_t groups[kMaxGroups];
  int count = 0;
  char buf[512];
  char line[32];
  size_t line_len = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the supervisor has gone (or closed the pipe after a clean stop)
    for (ssize_t i = 0; i < n; ++i) {
      char c = buf[i];
      if (c != '\n') {
        if (line_len < sizeof line - 1) line[line_len++] = c;
        continue;
      }
      line[line_len] = 0;
      pid_t pgid = 0;
      for (size_t k = 1; k < line_len && line[k] >= '0' && line[k] <= '9'; ++k) pgid = pgid * 10 + (line[k] - '0');
      if (pgid > 1 && line[0] == '+' && count < kMaxGroups) {
        groups[count++] = pgid;
      } else if (pgid > 1 && line[0] == '-') {
        for (int k = 0; k < count; ++k)
          if (groups[k] == pgid) {
            groups[k] = groups[--count];
            break;
          }
      }
      line_len = 0;
    }
  }
  for (int k = 0; k < count; ++k) ::kill(-groups[k], SIGKILL);
  ::_exit(0);
}

}  // namespace

bool OrphanGuard::start() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return false;
  }
  if (pid == 0) {
    // Keep only sv[1], as fd 3, then close everything else (the supervisor's pipes and sockets
    // must not be held open by the guard).
    ::dup2(sv[1], 3);
    ::close_range(4, ~0U, 0);
    guard_main(3);
  }
  ::close(sv[1]);
  pipe_ = sv[0];
  pid_ = pid;
  return true;
}

OrphanGuard::~OrphanGuard() {
  if (pipe_ >= 0) ::close(pipe_);
  // It exits at once (after killing what is still on its list); reaped here, so that it is not
  // left as a zombie for whoever waits for children next.
  if (pid_ > 0)
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
}

void OrphanGuard::send(char sign, pid_t pgid) {
  if (pipe_ < 0 || pgid <= 1) return;
  char line[32];
  int n = std::snprintf(line, sizeof line, "%c%d\n", sign, int(pgid));
  // The guard reads at once; a dead guard gives EPIPE, which must not raise SIGPIPE here.
  while (::send(pipe_, line, size_t(n), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

void OrphanGuard::add(pid_t pgid) { send('+', pgid); }
void OrphanGuard::remove(pid_t pgid) { send('-', pgid); }

}  // namespace rvkit::supervisor

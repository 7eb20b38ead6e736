// rvkit supervisor: nothing `hub run` started outlives it, even when it is killed with SIGKILL.
//
// PR_SET_PDEATHSIG kills each direct child when the supervisor dies, but the setting is not
// inherited across fork: the grandchildren of a `sh` pipeline (`cap ... | detect ...`) would live
// on. OrphanGuard is a small process forked at start, before any child, that knows every process
// group the supervisor started (one line "+PGID" / "-PGID" each through a pipe) and waits on that
// pipe. When the supervisor ends in any way, the kernel closes the pipe: the guard then sends
// SIGKILL to every group still on its list and exits. After a clean stop the list is empty and the
// guard just exits. It ignores SIGINT, SIGTERM and SIGHUP (a Ctrl-C or `kill -- -PGID` of the
// terminal's job reaches it too), so only the pipe ends it.
//
// The guard is forked from the supervisor's thread-free process and never execs: it only reads,
// parses a few digits and calls kill(). Single-threaded: the supervisor's event loop owns it.
#pragma once
#include <sys/types.h>

namespace rvkit::supervisor {

class OrphanGuard {
 public:
  OrphanGuard() = default;
  ~OrphanGuard();  // closes the pipe: the guard kills what is left, then exits
  OrphanGuard(const OrphanGuard&) = delete;
  OrphanGuard& operator=(const OrphanGuard&) = delete;

  // Forks the guard; false (and the supervisor goes on without one) if it cannot.
  bool start();
  void add(pid_t pgid);
  void remove(pid_t pgid);
  pid_t pid() const { return pid_; }

 private:
  void send(char sign, pid_t pgid);
  int pipe_ = -1;
  pid_t pid_ = 0;
};

}  // namespace rvkit::supervisor

// rvkit supervisor: the TCP check of `ready = { port = N, host = ... }` (docs/launch.md, "after").
//
// PortProbe tries a non-blocking connect to host:port, so the event loop never waits on it: after
// start() the probe's fd is polled for POLLOUT, and on_writable() tells whether the connection
// was accepted. A refused or failed attempt is closed; the supervisor starts another one after a
// short pause until the process's readiness timeout. The other kinds of readiness need no object of
// their own: "started" holds once exec succeeded, a topic once the hub's report shows a message on
// it since the start (hub_report.hpp), "notify" once READY=1 arrives (notify_socket.hpp).
//
// Single-threaded: the supervisor's event loop owns it.
#pragma once
#include <string>

namespace rvkit::supervisor {

class PortProbe {
 public:
  PortProbe() = default;
  ~PortProbe() { close(); }
  PortProbe(const PortProbe&) = delete;
  PortProbe& operator=(const PortProbe&) = delete;

  enum class Result { Pending, Connected, Failed };
  // Starts one attempt. Connected at once (a local port may accept immediately), Pending (poll
  // fd() for POLLOUT) or Failed (refused, unknown host: try again later).
  Result start(const std::string& host, int port);
  // When fd() became writable: whether that attempt connected. The fd is closed either way.
  Result on_writable();
  int fd() const { return fd_; }  // -1 between attempts
  void close();

 private:
  int fd_ = -1;
};

}  // namespace rvkit::supervisor

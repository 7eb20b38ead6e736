// rvkit supervisor: the systemd notify protocol, both ways (docs/launch.md, `notify`).
//
// NotifySocket is the socket a `notify = true` process reports to: its NOTIFY_SOCKET names it, and
// sd_notify("READY=1") / ("WATCHDOG=1") from the process (or anything it started) arrive here as
// datagrams of NAME=VALUE lines. Each such process gets a socket of its own, so a message needs no
// matching to its sender; the sockets live in the abstract namespace ("@rvkit-hub/PID/NAME/N"), so
// nothing is left in the file system when the supervisor is killed. Datagrams from another user are
// dropped (SO_PASSCRED).
//
// SystemdNotifier is the other direction: `hub run` under systemd (Type=notify) says READY=1 once
// every process has started, STOPPING=1 when it stops, and WATCHDOG=1 at half of WATCHDOG_USEC.
//
// Single-threaded: the supervisor's event loop owns both.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rvkit::supervisor {

struct NotifyMessage {
  bool ready = false;     // READY=1
  bool watchdog = false;  // WATCHDOG=1
  bool stopping = false;  // STOPPING=1
  std::string status;     // STATUS=...
};

// Parses one datagram ("READY=1\nSTATUS=up\n").
NotifyMessage parse_notify_message(const std::string& datagram);

class NotifySocket {
 public:
  // Binds a fresh abstract socket named after the process; throws rvkit::Error if it cannot.
  explicit NotifySocket(const std::string& process_name);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  int fd() const { return fd_; }
  // The value for the child's NOTIFY_SOCKET ("@rvkit-hub/...").
  const std::string& address() const { return address_; }
  // Reads every datagram waiting (non-blocking) and merges them into one NotifyMessage.
  NotifyMessage receive();

 private:
  int fd_ = -1;
  std::string address_;
};

class SystemdNotifier {
 public:
  SystemdNotifier();  // reads NOTIFY_SOCKET and WATCHDOG_USEC (sd_watchdog_enabled)
  bool enabled() const { return enabled_; }
  void ready(const std::string& status);
  void stopping();
  void status(const std::string& status);
  // Sends WATCHDOG=1 when due; returns the monotonic time it is next due (0 without a watchdog).
  int64_t watchdog(int64_t now_us);

 private:
  bool enabled_ = false;
  int64_t watchdog_interval_us_ = 0;  // half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises
  int64_t next_watchdog_us_ = 0;
};

}  // namespace rvkit::supervisor

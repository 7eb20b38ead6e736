#include "rvkit/supervisor/notify_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "rvkit/core/error.hpp"

namespace rvkit::supervisor {

NotifyMessage parse_notify_message(const std::string& datagram) {
  NotifyMessage m;
  size_t start = 0;
  while (start < datagram.size()) {
    size_t end = datagram.find('\n', start);
    if (end == std::string::npos) end = datagram.size();
    std::string line = datagram.substr(start, end - start);
    if (line == "READY=1") m.ready = true;
    else if (line == "WATCHDOG=1") m.watchdog = true;
    else if (line == "STOPPING=1") m.stopping = true;
    else if (line.rfind("STATUS=", 0) == 0) m.status = line.substr(7);
    start = end + 1;
  }
  return m;
}

NotifySocket::NotifySocket(const std::string& process_name) {
  static unsigned counter = 0;
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) throw Error(fmt::format("{}: cannot create a notify socket: {}", process_name, std::strerror(errno)));
  int on = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  std::string name = fmt::format("rvkit-hub/{}/{}/{}", ::getpid(), process_name, ++counter);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (name.size() + 1 > sizeof addr.sun_path) name.resize(sizeof addr.sun_path - 1);
  std::memcpy(addr.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: the abstract namespace
  socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    int e = errno;
    ::close(fd_);
    throw Error(fmt::format("{}: cannot bind the notify socket @{}: {}", process_name, name, std::strerror(e)));
  }
  address_ = "@" + name;
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) ::close(fd_);
}

NotifyMessage NotifySocket::receive() {
  NotifyMessage merged;
  for (;;) {
    char buf[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EAGAIN: nothing more
    }
    bool trusted = false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        ucred cred;
        std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
        trusted = cred.uid == ::getuid() || cred.uid == 0;
      }
    if (!trusted) continue;
    NotifyMessage m = parse_notify_message(std::string(buf, size_t(n)));
    merged.ready = merged.ready || m.ready;
    merged.watchdog = merged.watchdog || m.watchdog;
    merged.stopping = merged.stopping || m.stopping;
    if (!m.status.empty()) merged.status = m.status;
  }
  return merged;
}

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket && *socket;
  uint64_t usec = 0;
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) watchdog_interval_us_ = int64_t(usec / 2);
}

void SystemdNotifier::ready(const std::string& status) {
  if (enabled_) sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
}

void SystemdNotifier::stopping() {
  if (enabled_) sd_notify(0, "STOPPING=1");
}

void SystemdNotifier::status(const std::string& status) {
  if (enabled_) sd_notifyf(0, "STATUS=%s", status.c_str());
}

int64_t SystemdNotifier::watchdog(int64_t now_us) {
  if (!enabled_ || watchdog_interval_us_ == 0) return 0;
  if (now_us >= next_watchdog_us_) {
    sd_notify(0, "WATCHDOG=1");
    next_watchdog_us_ = now_us + watchdog_interval_us_;
  }
  return next_watchdog_us_;
}

}  // namespace rvkit::supervisor

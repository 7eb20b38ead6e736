// rvkit supervisor: a listening socket and its non-blocking clients (see socket_server.hpp).
#include "rvkit/supervisor/socket_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include <cstring>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"

namespace rvkit::supervisor {
namespace {

constexpr int kAcceptsPerWakeup = 64;  // then the loop serves the others before accepting more
constexpr int64_t kAcceptPauseUs = 1000000;

}  // namespace

sockaddr_un unix_socket_address(const std::string& path, const std::string& what) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty()) throw Error(fmt::format("{}: the path is empty", what));
  if (path.size() >= sizeof addr.sun_path)
    throw Error(fmt::format("{} {}: the path is {} bytes, a unix socket's may have at most {}", what, path,
                            path.size(), sizeof addr.sun_path - 1));
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

SocketServer::SocketServer(int listen_fd, Limits limits, std::string busy_reply)
    : listen_fd_(listen_fd), limits_(limits), busy_reply_(std::move(busy_reply)) {}

SocketServer::~SocketServer() {
  for (auto& [fd, c] : clients_) ::close(fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void SocketServer::add_pollfds(std::vector<pollfd>& fds) const {
  if (accept_paused_until_us_ == 0) fds.push_back({listen_fd_, POLLIN, 0});
  for (const auto& [fd, c] : clients_) {
    short events = 0;
    if (!c.eof && !c.close_after_reply) events |= POLLIN;
    if (!c.out.empty()) events |= POLLOUT;
    fds.push_back({fd, events, 0});
  }
}

bool SocketServer::on_ready(int fd, short revents, const Handler& handler) {
  if (fd == listen_fd_) {
    if (revents & POLLIN) accept_clients();
    return true;
  }
  auto it = clients_.find(fd);
  if (it == clients_.end()) return false;
  if (revents) serve(it->second, revents, handler);
  return true;
}

void SocketServer::accept_clients() {
  for (int i = 0; i < kAcceptsPerWakeup; ++i) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of fds: the listening socket would stay readable and spin the loop, so it is left out
      // of the poll set for a second (expire() brings it back).
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        accept_paused_until_us_ = mono_us() + kAcceptPauseUs;
      return;  // EAGAIN: all accepted
    }
    if (clients_.size() >= limits_.max_clients) {
      if (!busy_reply_.empty())
        (void)!::send(fd, busy_reply_.data(), busy_reply_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      ::close(fd);
      continue;
    }
    Client& c = clients_[fd];
    c.fd = fd;
    c.last_activity_us = mono_us();
  }
}

void SocketServer::serve(Client& c, short revents, const Handler& handler) {
  const int fd = c.fd;
  if (revents & (POLLERR | POLLNVAL)) return close_client(fd);
  if ((revents & (POLLIN | POLLHUP)) && !c.eof && !c.close_after_reply) {
    bool got = false;
    char buf[16384];
    while (c.in.size() < limits_.max_input) {
      size_t room = std::min(sizeof buf, limits_.max_input - c.in.size());
      ssize_t n = ::recv(fd, buf, room, MSG_DONTWAIT);
      if (n > 0) {
        c.in.append(buf, size_t(n));
        got = true;
        continue;
      }
      if (n == 0) {
        c.eof = true;
        got = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return close_client(fd);  // ECONNRESET and the like
    }
    if (got) {
      c.last_activity_us = mono_us();
      handler(c);
      // Still full and not answered: it would never be read again.
      if (c.in.size() >= limits_.max_input && !c.close_after_reply) return close_client(fd);
    }
  }
  if (!flush(c)) return close_client(fd);
  if (c.out.size() > limits_.max_output) return close_client(fd);  // it does not read its replies
  if (c.out.empty() && (c.close_after_reply || c.eof)) return close_client(fd);
  // Hung up with replies it can no longer receive.
  if ((revents & POLLHUP) && !c.out.empty()) return close_client(fd);
}

bool SocketServer::flush(Client& c) {
  size_t sent = 0;
  while (sent < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + sent, c.out.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return false;  // EPIPE, ECONNRESET
  }
  if (sent) {
    c.out.erase(0, sent);
    c.last_activity_us = mono_us();
  }
  return true;
}

void SocketServer::close_client(int fd) {
  ::close(fd);
  clients_.erase(fd);
}

void SocketServer::expire(int64_t now_us) {
  if (accept_paused_until_us_ && now_us >= accept_paused_until_us_) accept_paused_until_us_ = 0;
  const auto timeout_us = int64_t(limits_.idle_timeout_s * 1e6);
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (now_us - it->second.last_activity_us >= timeout_us) {
      ::close(it->first);
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
}

int64_t SocketServer::next_expiry_us() const {
  int64_t next = accept_paused_until_us_ ? accept_paused_until_us_ : INT64_MAX;
  const auto timeout_us = int64_t(limits_.idle_timeout_s * 1e6);
  for (const auto& [fd, c] : clients_) next = std::min(next, c.last_activity_us + timeout_us);
  return next;
}

}  // namespace rvkit::supervisor

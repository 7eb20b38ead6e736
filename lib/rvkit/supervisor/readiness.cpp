#include "rvkit/supervisor/readiness.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rvkit::supervisor {

PortProbe::Result PortProbe::start(const std::string& host, int port) {
  close();
  // A numeric address needs no resolver; a name is resolved with getaddrinfo, which for a name in
  // /etc/hosts (localhost, the robot's coprocessors) does not block on the network.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || !found) return Result::Failed;
  fd_ = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    ::freeaddrinfo(found);
    return Result::Failed;
  }
  int rc = ::connect(fd_, found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (rc == 0) {
    close();
    return Result::Connected;
  }
  if (errno == EINPROGRESS) return Result::Pending;
  close();
  return Result::Failed;
}

PortProbe::Result PortProbe::on_writable() {
  int error = 0;
  socklen_t len = sizeof error;
  bool ok = fd_ >= 0 && ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
  close();
  return ok ? Result::Connected : Result::Failed;
}

void PortProbe::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace rvkit::supervisor

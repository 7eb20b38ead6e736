// rvkit supervisor: the control socket's client (see control_client.hpp).
#include "rvkit/supervisor/control_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "rvkit/core/clock.hpp"
#include "rvkit/core/error.hpp"
#include "rvkit/core/json_error.hpp"
#include "rvkit/supervisor/control_server.hpp"
#include "rvkit/supervisor/socket_server.hpp"

namespace rvkit::supervisor {
namespace {

constexpr size_t kMaxReply = 64u << 20;  // a logs reply of many long lines still fits

struct ClientSocket {
  int fd;
  ~ClientSocket() { ::close(fd); }
};

}  // namespace

Json control_request(const std::string& given_path, const Json& request, double timeout_s) {
  const std::string path = given_path.empty() ? default_control_path() : given_path;
  sockaddr_un addr = unix_socket_address(path, "control socket");
  const int64_t deadline = mono_us() + int64_t(timeout_s * 1e6);
  auto ms_left = [&] { return int(std::max<int64_t>(0, (deadline - mono_us() + 999) / 1000)); };
  auto timed_out = [&] {
    return Error(fmt::format("no reply from the hub run on {} within {:g} s", path, timeout_s));
  };

  ClientSocket s{::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) throw Error(fmt::format("control socket {}: {}", path, std::strerror(errno)));
  while (::connect(s.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == EINTR) continue;
    if (errno == ENOENT || errno == ECONNREFUSED || errno == ENOTDIR)
      throw Error("no hub run is listening on " + path);
    // A non-blocking unix connect fails with EAGAIN while the server's backlog is full: try again.
    if (errno != EAGAIN) throw Error(fmt::format("control socket {}: {}", path, std::strerror(errno)));
    if (ms_left() == 0) throw timed_out();
    ::poll(nullptr, 0, 10);
  }

  const std::string line = request.dump() + "\n";
  for (size_t sent = 0; sent < line.size();) {
    ssize_t n = ::send(s.fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN)
      throw Error(fmt::format("control socket {}: cannot send the request: {}", path, std::strerror(errno)));
    pollfd p{s.fd, POLLOUT, 0};
    if (::poll(&p, 1, ms_left()) == 0) throw timed_out();
  }

  std::string reply;
  size_t nl;
  while ((nl = reply.find('\n')) == std::string::npos) {
    pollfd p{s.fd, POLLIN, 0};
    int r = ::poll(&p, 1, ms_left());
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) throw timed_out();
    char buf[65536];
    ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0)
      throw Error(fmt::format("control socket {}: cannot read the reply: {}", path, std::strerror(errno)));
    if (n == 0) throw Error(fmt::format("the hub run on {} closed the connection without a reply", path));
    reply.append(buf, size_t(n));
    if (reply.size() > kMaxReply)
      throw Error(fmt::format("control socket {}: a reply longer than {} bytes", path, kMaxReply));
  }
  reply.resize(nl);
  Json j;
  try {
    j = Json::parse(reply);
  } catch (const std::exception& e) {
    throw Error(fmt::format("control socket {}: malformed reply: {}", path, json_error_text(e)));
  }
  if (!j.is_object() || !j.contains("ok") || !j["ok"].is_boolean())
    throw Error(fmt::format("control socket {}: a reply without \"ok\"", path));
  return j;
}

Json control_call(const std::string& path, const Json& request, double timeout_s) {
  Json j = control_request(path, request, timeout_s);
  if (!j["ok"].get<bool>()) {
    auto e = j.find("error");
    throw Error(e != j.end() && e->is_string() ? e->get<std::string>() : "the hub run refused the request");
  }
  return j;
}

}  // namespace rvkit::supervisor

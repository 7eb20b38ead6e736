// rvkit supervisor: the status page of `hub run --http PORT` (docs/launch.md, "Control").
//
//   GET /             an HTML page: the `hub status` table, refreshed once a second from /status.json
//   GET /status.json  {"processes":[ProcessStatus...]}, the control socket's status reply without "ok"
// HEAD is answered as GET without the body; other methods get 405, other paths 404, a malformed
// request, one with a body or headers over kMaxRequestHeader bytes 400/413/431 (and the connection
// is closed). Keep-alive and pipelined requests are served in order.
//
// Like the control socket it is a piece of the supervisor's single-threaded poll loop
// (socket_server.hpp: add_pollfds(), on_ready(), expire()): requests are parsed with Boost.Beast's
// request parser from each client's buffer, replies are queued and written as the client takes
// them, so many clients, slow ones and silent ones never make the loop wait; Control is called
// from that loop only.
#pragma once
#include <poll.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rvkit/supervisor/socket_server.hpp"
#include "rvkit/supervisor/status.hpp"

namespace rvkit::supervisor {

constexpr size_t kMaxRequestHeader = 8 * 1024;

// The page at "/" (self-contained: its script fetches /status.json).
const std::string& status_page_html();
// The body of /status.json.
std::string status_json(Control& control);

class StatusPage {
 public:
  // Listens on host:port: "" = every IPv4 interface, port 0 = any free port (port() says which).
  // Throws rvkit::Error naming the address when it cannot.
  StatusPage(const std::string& host, int port, SocketServer::Limits limits = default_limits());

  int port() const { return port_; }

  void add_pollfds(std::vector<pollfd>& fds) const { server_.add_pollfds(fds); }
  // Handles `fd` if it is one of this page's (returns false otherwise).
  bool on_ready(int fd, short revents, Control& control);
  void expire(int64_t now_us) { server_.expire(now_us); }
  int64_t next_expiry_us() const { return server_.next_expiry_us(); }
  size_t clients() const { return server_.clients(); }

  // 64 clients, 16 KiB of unanswered input, idle for 15 s: closed (a browser's keep-alive
  // connection fetches every second, so it stays).
  static SocketServer::Limits default_limits();

 private:
  StatusPage(std::pair<int, int> fd_and_port, SocketServer::Limits limits);
  int port_;
  SocketServer server_;
};

}  // namespace rvkit::supervisor

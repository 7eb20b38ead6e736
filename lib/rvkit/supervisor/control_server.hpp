// rvkit supervisor: the control socket of `hub run`, what `hub status`, `hub restart NAME`,
// `hub stop [NAME]`, `hub logs NAME` and `rec save` talk to (docs/launch.md, "Control").
//
// A unix stream socket. A client writes one request per line, a JSON object:
//   {"cmd":"status"}                         -> {"ok":true,"processes":[ProcessStatus...]}
//   {"cmd":"restart","name":"detect"}        -> {"ok":true}
//   {"cmd":"stop"} / {"cmd":"stop","name":N} -> {"ok":true}  (no name: stop everything, hub run ends)
//   {"cmd":"logs","name":"detect","lines":50}-> {"ok":true,"lines":["...", ...],"total":N}  (lines 0 or absent:
//                                               all kept; total: lines it ever wrote)
//   {"cmd":"save"} / {"cmd":"save","name":N} -> {"ok":true,"signalled":[{"name":N,"pid":P,"log_total":T}, ...]}
//                                               (SIGUSR1 to the rec processes: Control::save)
// and reads one reply line per request, in order; any failure is {"ok":false,"error":"one line"}
// (a malformed or unknown request, an unknown name). Several requests may share a connection; a
// request line longer than kMaxRequestLine gets an error reply and the connection is closed.
//
// The server is one piece of the supervisor's single-threaded poll loop (socket_server.hpp: the
// fds it wants, on_ready(), expire()); it calls Control from that loop, so Control needs no
// locking, and no client (slow, silent, malformed) can make the loop wait. The socket file:
//   - the default path (default_control_path()) is $XDG_RUNTIME_DIR/rvkit/hub.sock, else
//     /tmp/rvkit-hub-UID/hub.sock; its folder is created with mode 0700 and must be the user's own
//     and writable by nobody else (a path given with --control or [hub].control is used as it is:
//     its folder must exist); the socket file is mode 0600;
//   - a socket file already there is removed only when nothing answers on it (a crashed hub run
//     left it); when a live server answers, the constructor throws "another hub run is using PATH";
//   - the file is removed again when the server goes (if it is still the one it made).
#pragma once
#include <poll.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/supervisor/socket_server.hpp"
#include "rvkit/supervisor/status.hpp"

namespace rvkit::supervisor {

constexpr size_t kMaxRequestLine = 64 * 1024;

// $XDG_RUNTIME_DIR/rvkit/hub.sock when XDG_RUNTIME_DIR is set, else /tmp/rvkit-hub-UID/hub.sock.
// Pure: creates nothing.
std::string default_control_path();

// The reply to one request line (without its newline), as above. Never throws: a malformed request
// or an exception from `control` becomes {"ok":false,"error":...}.
Json control_reply(std::string_view request_line, Control& control);

class ControlServer {
 public:
  // Listens on `path` ("" = default_control_path(), whose folder it creates). Throws rvkit::Error
  // with one line naming the path when it cannot ("another hub run is using PATH", a path too long
  // for a unix socket, a folder it may not use).
  explicit ControlServer(std::string path = "", SocketServer::Limits limits = default_limits());
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::string& path() const { return path_; }

  void add_pollfds(std::vector<pollfd>& fds) const { server_.add_pollfds(fds); }
  // Handles `fd` if it is one of this server's (returns false otherwise), answering requests
  // through `control`.
  bool on_ready(int fd, short revents, Control& control);
  void expire(int64_t now_us) { server_.expire(now_us); }
  int64_t next_expiry_us() const { return server_.next_expiry_us(); }
  size_t clients() const { return server_.clients(); }

  // 32 clients, kMaxRequestLine of input, a client silent for 10 s is closed.
  static SocketServer::Limits default_limits();

 private:
  struct Socket {
    std::string path;
    int fd;
    ino_t inode;
  };
  static Socket bind_socket(std::string path);
  ControlServer(Socket socket, SocketServer::Limits limits);

  std::string path_;
  ino_t inode_;  // of the socket file it bound, so it removes only its own
  SocketServer server_;
};

}  // namespace rvkit::supervisor

// rvkit supervisor: a listening stream socket and its clients, driven by a poll() loop; what the
// control socket (control_server.hpp) and the status page (status_page.hpp) share.
//
// The supervisor runs one single-threaded poll loop and must never wait on one peer: every socket
// here is non-blocking, each client has an input buffer bounded by Limits::max_input and an
// output buffer bounded by Limits::max_output, and a client that makes no progress (sends nothing,
// or reads none of its reply) for Limits::idle_timeout_s is closed by expire(). A server over
// max_clients sends the new client `busy_reply` (one non-blocking send) and closes it.
//
// The loop asks add_pollfds() for the fds to watch, hands every ready one to on_ready() (which
// ignores fds that are not this server's and returns false for them), and calls expire() at least
// every second (next_expiry_us() says when it must). The protocol lives in the Handler given to
// on_ready(): it is called after new bytes arrived in Client::in (or the peer closed its side,
// Client::eof), consumes what it understood from `in`, appends replies to `out`, and sets
// `close_after_reply` to hang up once `out` is written. A handler that leaves `in` full without
// closing gets the client closed (it would otherwise never read again).
//
// Every fd is non-blocking and close-on-exec (the supervisor forks its children from this
// thread). Not thread-safe: one loop owns it.
#pragma once
#include <poll.h>
#include <sys/un.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace rvkit::supervisor {

// The address of the unix socket at `path`; throws rvkit::Error naming it when the path is empty
// or longer than a unix socket address holds (107 bytes). `what` names the socket in the message.
sockaddr_un unix_socket_address(const std::string& path, const std::string& what);

class SocketServer {
 public:
  struct Limits {
    size_t max_clients = 32;
    size_t max_input = 64 * 1024;         // bytes of a client's not yet handled input
    size_t max_output = 16 * 1024 * 1024; // bytes of replies a client has not read yet
    double idle_timeout_s = 10;           // no byte in or out for this long: closed
  };
  struct Client {
    int fd = -1;
    std::string in, out;
    bool eof = false;                // the peer closed its side (nothing more will arrive)
    bool close_after_reply = false;  // set by the handler: close once `out` is written
    int64_t last_activity_us = 0;    // monotonic (rvkit/core/clock.hpp: mono_us)
  };
  using Handler = std::function<void(Client&)>;

  // Takes a listening, non-blocking, close-on-exec socket (closed with the server).
  SocketServer(int listen_fd, Limits limits, std::string busy_reply);
  ~SocketServer();
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  void add_pollfds(std::vector<pollfd>& fds) const;
  // True when `fd` was this server's (and was handled).
  bool on_ready(int fd, short revents, const Handler& handler);
  // Closes the clients idle longer than the timeout at `now_us` (mono_us()).
  void expire(int64_t now_us);
  // When expire() next has work: a client's timeout, or accepting again after running out of fds
  // (INT64_MAX when neither).
  int64_t next_expiry_us() const;

  int listen_fd() const { return listen_fd_; }
  size_t clients() const { return clients_.size(); }
  const Limits& limits() const { return limits_; }

 private:
  void accept_clients();
  void serve(Client& c, short revents, const Handler& handler);
  bool flush(Client& c);  // false: the client is gone (error)
  void close_client(int fd);

  int listen_fd_;
  Limits limits_;
  std::string busy_reply_;
  std::map<int, Client> clients_;
  int64_t accept_paused_until_us_ = 0;  // out of fds: not accepting until then (0 = accepting)
};

}  // namespace rvkit::supervisor

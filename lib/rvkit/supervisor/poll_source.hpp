// rvkit supervisor: how the control socket and the status page join the supervisor's event loop.
//
// `hub run` is one thread and one poll() (HELPER-11 item 5). Anything else that must wait on
// descriptors inside it (the control socket server, its client connections, the HTTP status
// page) is a PollSource: before every poll() the loop asks it for the descriptors it wants and the
// events it waits for (add_fds appends them), and after poll() hands back exactly those entries,
// with revents filled in, together with the Control the requests act on (status.hpp). A source
// must never block: its descriptors are non-blocking, and a request it cannot finish now waits
// for the next round. wake_at_us() lets it ask for a round at a monotonic time (a client's
// timeout, say) even if none of its descriptors becomes ready.
//
// ServerPollSource adapts the shape the control socket and the status page have (socket_server.hpp:
// add_pollfds(fds), on_ready(fd, revents, Control&), expire(now_us), next_expiry_us()), so those
// servers need no knowledge of this interface.
//
// Single-threaded: called from the supervisor's event loop only.
#pragma once
#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rvkit/core/clock.hpp"
#include "rvkit/supervisor/status.hpp"

namespace rvkit::supervisor {

class PollSource {
 public:
  virtual ~PollSource() = default;
  // Appends the descriptors to wait on now (fd, events).
  virtual void add_fds(std::vector<pollfd>& fds) = 0;
  // After every poll(): the entries add_fds appended (maybe none), in the same order, with
  // revents filled in. Called every round, so a source may also act on time (wake_at_us).
  virtual void on_poll(const pollfd* fds, size_t count, Control& control) = 0;
  // A monotonic time (rvkit/core/clock.hpp: mono_us) by which the loop should come round again;
  // 0 for none.
  virtual int64_t wake_at_us() { return 0; }
};

template <class Server>
class ServerPollSource : public PollSource {
 public:
  explicit ServerPollSource(Server& server) : server_(server) {}
  void add_fds(std::vector<pollfd>& fds) override { server_.add_pollfds(fds); }
  void on_poll(const pollfd* fds, size_t count, Control& control) override {
    for (size_t i = 0; i < count; ++i)
      if (fds[i].revents != 0) server_.on_ready(fds[i].fd, fds[i].revents, control);
    server_.expire(mono_us());
  }
  int64_t wake_at_us() override { return server_.next_expiry_us(); }

 private:
  Server& server_;
};

}  // namespace rvkit::supervisor
